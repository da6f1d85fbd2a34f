"""One card of the review page per shot-take: the video (or why there is none) and its facts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.report.assets import VideoInfo
from runner.report.format import between, esc, href, size, span, when
from runner.report.model import FrameRef, Part, PastOutput, ShotCard
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
    in_cut: bool = False
    """This take is the one of its shot in the cut."""
    select_command: str | None = None
    """For another take of a shot with several: the command that puts it in the cut."""
    upstream: tuple[tuple[str, str | None], ...] = ()
    """(shot id, anchor of its card or None) of each shot this one continues from."""


def status_class(status: str) -> str:
    return f"st-{status}" if status in STATUSES else "st-other"


def badge(status: str, text: str | None = None) -> str:
    return f'<span class="badge {status_class(status)}">{esc(text or status)}</span>'


SOURCES = {"var": "var", "look": "look", "cast": "cast member"}
"""Where a part of a prompt can come from, and what its tooltip calls it."""


def _moves(text: str) -> str:
    parts = _MOVE.split(text)
    return "".join(
        f'<span class="move">{esc(p)}</span>' if i % 2 else esc(p) for i, p in enumerate(parts)
    )


def _part(part: Part) -> str:
    kind, _, name = (part.source or "").partition(":")
    if kind not in SOURCES:
        return _moves(part.text)
    return (
        f'<mark class="from-{kind}" title="{esc(SOURCES[kind])} {esc(name)}">'
        f"{_moves(part.text)}</mark>"
    )


def prompt_html(prompt: str | None, parts: tuple[Part, ...] = ()) -> str:
    """The prompt, escaped, with camera moves like `[Push in]` set apart and the parts that
    came from vars, looks and the cast marked (when the parts add up to the prompt)."""
    if not prompt:
        return '<p class="prompt empty">(no prompt)</p>'
    if parts and "".join(p.text for p in parts) == prompt:
        body = "".join(_part(p) for p in parts)
    else:
        body = _moves(prompt)
    return f'<p class="prompt">{body}</p>'


def media_html(card: CardView) -> str:
    """The video player, or a placeholder saying why there is none."""
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


def credits_html(shot: ShotCard) -> str:
    """Credits spent, with the estimate when it differs (or nothing is spent yet)."""
    if shot.credits or shot.status == "completed":
        credits = f"{shot.credits}"
        if shot.credits_estimated != shot.credits:
            credits += f' <span class="dim">of {shot.credits_estimated} est.</span>'
        return credits
    return f'0 <span class="dim">({shot.credits_estimated} est.)</span>'


def _facts(card: CardView) -> str:
    shot = card.shot
    credits = credits_html(shot)
    rows = [
        _fact("model", f"<code class='id'>{esc(shot.model)}</code>"),
        _fact("options", esc(shot.options or _fixed_format(shot.model))),
        _fact("aspect", esc(shot.aspect_ratio or "\u2014")),
        _fact("credits", credits),
        _fact("render", esc(span(between(shot.submitted, shot.completed)))),
    ]
    if card.info.seconds is not None:
        rows.append(_fact("length", esc(span(card.info.seconds))))
    if shot.look:
        rows.append(_fact("look", esc(shot.look)))
    if shot.cast:
        rows.append(_fact("cast", esc(", ".join(shot.cast))))
    if shot.account:
        rows.append(_fact("account", esc(shot.account)))
    if shot.attempts > 1:
        rows.append(_fact("attempts", str(shot.attempts)))
    return f'<dl class="facts">{"".join(rows)}</dl>'


def _thumbs(card: CardView) -> str:
    return thumbs_html(card.thumbs)


def thumbs_html(thumbs: tuple[Thumb, ...]) -> str:
    """A row of frame thumbnails, each with its role and file name."""
    if not thumbs:
        return ""
    items = []
    for t in thumbs:
        f = t.frame
        name = (f.path or "").replace("\\", "/").rsplit("/", 1)[-1]
        if not name:  # a frame given as a fileID: its short form, the whole id in the tooltip
            name = "file:" + (f.file_id or "?").rsplit("file:", 1)[-1]
        tip = esc(f.path or f.file_id or "")
        if t.src is not None:
            pic = f'<img src="{href(t.src)}" alt="{esc(f.role)} frame" loading="lazy">'
        else:
            pic = '<span class="nothumb">no preview</span>'
        if f.continues:  # a frame of another shot's video: say which, not its hash name
            name = f"{f.continues}, {f.moment or 'last'}"
        items.append(
            f'<li title="{tip}">{pic}<span class="role">{esc(f.role)}</span>'
            f'<span class="file">{esc(name)}</span></li>'
        )
    return f'<ul class="frames">{"".join(items)}</ul>'


def continues_html(card: CardView) -> str:
    """`continues from door`, linked to door's card (its frame is among the thumbnails)."""
    if not card.upstream:
        return ""
    links = [
        f'<a href="#{esc(anchor)}">{esc(name)}</a>' if anchor else esc(name)
        for name, anchor in card.upstream
    ]
    return f'<p class="continues">continues from {", ".join(links)}</p>'


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


def _selection(card: CardView) -> str:
    if card.in_cut:
        return '<p class="selected">In the cut</p>'
    if card.select_command is None:
        return ""
    return (
        f'<p class="select">Put this take in the cut: <code>{esc(card.select_command)}</code></p>'
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
        f"{media_html(card)}"
        f'<div class="body"><header><h2>{esc(shot.id)}</h2>{take}'
        f"{badge(shot.status)}{reused}</header>"
        f"{reason}{_selection(card) if shot.takes > 1 else ''}{continues_html(card)}"
        f"{prompt_html(shot.prompt, shot.prompt_parts)}{_facts(card)}{_thumbs(card)}"
        f"{_versions(card)}{file_line}</div></article>"
    )
