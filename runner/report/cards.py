"""One card of the review page per shot-take: the video (or why there is none) and its facts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.report.assets import VideoInfo
from runner.report.format import between, esc, href, size, span, when
from runner.report.model import FrameRef, PastOutput, ShotCard
from runner.spec import catalogue

STATUSES = ("completed", "running", "pending", "failed", "moderated", "skipped")
PROBLEMS = ("failed", "moderated", "skipped")
PRELOAD_LIMIT = 100
"""Beyond this many videos, players load nothing until asked (posters still show): Chromium
suspends or refuses media players past a few dozen per page."""
_MOVE = re.compile(r"(\[[^\[\]\n]{1,80}\])")
_NO_VIDEO = {
    "pending": "Not started",
    "running": "Rendering…",
    "failed": "Failed",
    "moderated": "Moderated",
    "skipped": "Skipped",
    "completed": "Video file missing",
}


@dataclass(frozen=True, slots=True)
class Thumb:
    frame: FrameRef
    src: str | None
    """The thumbnail, relative to the output folder (None: the image could not be read)."""


@dataclass(frozen=True, slots=True)
class Version:
    past: PastOutput
    src: str | None
    """The set-aside file, relative to the output folder (None: not in the folder)."""


@dataclass(frozen=True, slots=True)
class CardView:
    shot: ShotCard
    anchor: str
    video: str | None
    """The video, relative to the output folder (None: no usable file)."""
    info: VideoInfo
    preload: str
    thumbs: tuple[Thumb, ...]
    versions: tuple[Version, ...]


def status_class(status: str) -> str:
    return f"st-{status}" if status in STATUSES else "st-other"


def badge(status: str, text: str | None = None) -> str:
    return f'<span class="badge {status_class(status)}">{esc(text or status)}</span>'


def prompt_html(prompt: str | None) -> str:
    """The prompt, escaped, with camera moves like `[Push in]` set apart."""
    if not prompt:
        return '<p class="prompt empty">(no prompt)</p>'
    parts = _MOVE.split(prompt)
    body = "".join(
        f'<span class="move">{esc(p)}</span>' if i % 2 else esc(p) for i, p in enumerate(parts)
    )
    return f'<p class="prompt">{body}</p>'


def _media(card: CardView) -> str:
    shot = card.shot
    if card.video is not None and card.info.readable:
        poster = f' poster="{href(card.info.poster)}"' if card.info.poster else ""
        dims = ""
        if shot.output is not None and shot.output.width and shot.output.height:
            dims = f' width="{shot.output.width}" height="{shot.output.height}"'
        label = esc(f"{shot.key}: {shot.prompt or ''}"[:200])
        attributes = f'controls preload="{card.preload}" playsinline{poster}{dims}'
        return (
            f'<div class="media"><video {attributes} src="{href(card.video)}"'
            f' aria-label="{label}"></video></div>'
        )
    text = _NO_VIDEO.get(shot.status, shot.status)
    if card.video is not None:
        text = "Video file unreadable"
    return (
        f'<div class="media empty {status_class(shot.status)}">'
        f'<span class="placeholder">{esc(text)}</span></div>'
    )


def _fixed_format(model: str) -> str:
    """What a model without options renders (the runner resolves every other default)."""
    found = catalogue.load().models.get(model)
    if found is None or found.resolution is None:
        return "\u2014"
    return f"none ({found.resolution}, {found.seconds} s)"


def _fact(name: str, value: str) -> str:
    return f"<div><dt>{esc(name)}</dt><dd>{value}</dd></div>"


def _facts(card: CardView) -> str:
    shot = card.shot
    if shot.credits or shot.status == "completed":
        credits = f"{shot.credits}"
        if shot.credits_estimated != shot.credits:
            credits += f' <span class="dim">of {shot.credits_estimated} est.</span>'
    else:
        credits = f'0 <span class="dim">({shot.credits_estimated} est.)</span>'
    rows = [
        _fact("model", f"<code class='id'>{esc(shot.model)}</code>"),
        _fact("options", esc(shot.options or _fixed_format(shot.model))),
        _fact("aspect", esc(shot.aspect_ratio or "\u2014")),
        _fact("credits", credits),
        _fact("render", esc(span(between(shot.submitted, shot.completed)))),
    ]
    if card.info.seconds is not None:
        rows.append(_fact("length", esc(span(card.info.seconds))))
    if shot.account:
        rows.append(_fact("account", esc(shot.account)))
    if shot.attempts > 1:
        rows.append(_fact("attempts", str(shot.attempts)))
    return f'<dl class="facts">{"".join(rows)}</dl>'


def _thumbs(card: CardView) -> str:
    if not card.thumbs:
        return ""
    items = []
    for t in card.thumbs:
        f = t.frame
        name = (f.path or "").replace("\\", "/").rsplit("/", 1)[-1]
        if not name:  # a frame given as a fileID: its short form, the whole id in the tooltip
            name = "file:" + (f.file_id or "?").rsplit("file:", 1)[-1]
        tip = esc(f.path or f.file_id or "")
        if t.src is not None:
            pic = f'<img src="{href(t.src)}" alt="{esc(f.role)} frame" loading="lazy">'
        else:
            pic = '<span class="nothumb">no preview</span>'
        items.append(
            f'<li title="{tip}">{pic}<span class="role">{esc(f.role)}</span>'
            f'<span class="file">{esc(name)}</span></li>'
        )
    return f'<ul class="frames">{"".join(items)}</ul>'


def _versions(card: CardView) -> str:
    if not card.versions:
        return ""
    n = len(card.versions)
    items = []
    for v in card.versions:
        label = esc(when(v.past.when) if v.past.when else v.past.path or "earlier version")
        note = f' <span class="dim">{esc(v.past.note)}</span>' if v.past.note else ""
        if v.src is not None:
            items.append(f'<li><a href="{href(v.src)}">{label}</a>{note}</li>')
        else:
            items.append(f'<li>{label} <span class="dim">(file not in this folder)</span></li>')
    return (
        f'<details class="versions"><summary>{n} earlier version{"s" if n > 1 else ""}'
        f"</summary><ul>{''.join(items)}</ul></details>"
    )


def card_html(card: CardView) -> str:
    shot = card.shot
    take = f'<span class="take">take {shot.take} of {shot.takes}</span>' if shot.takes > 1 else ""
    reused = badge("other", "reused") if shot.reused else ""
    reason = ""
    if shot.status in PROBLEMS or shot.error:
        reason = f'<p class="reason">{esc(shot.error or "no reason given")}</p>'
    out = shot.output
    file_line = ""
    if card.video is not None and out is not None:
        file_line = (
            f'<p class="file"><a href="{href(card.video)}">{esc(card.video)}</a>'
            f' <span class="dim">{esc(size(out.size))}</span></p>'
        )
    return (
        f'<article class="card {status_class(shot.status)}" id="{card.anchor}">'
        f"{_media(card)}"
        f'<div class="body"><header><h2>{esc(shot.id)}</h2>{take}'
        f"{badge(shot.status)}{reused}</header>"
        f"{reason}{prompt_html(shot.prompt)}{_facts(card)}{_thumbs(card)}"
        f"{_versions(card)}{file_line}</div></article>"
    )
