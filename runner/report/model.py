"""The review page's view of a run: `<output>/manifest.json` read into frozen records.

The manifest may come from a run still going, one that was killed, or an older Reel, so every
field is read leniently: a missing value becomes None or zero rather than an error. Only a
folder without a readable manifest object is a `UsageError`. Entries of the `superseded` and
`orphaned` lists (outputs a rerun set aside, or left without a shot) are read by the keys
they are likely to carry (`key` or `id`/`take`, `path`, `sha256`, a time) so that the page
works whichever of them the run writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from runner.errors import UsageError

MANIFEST_NAME = "manifest.json"
_TIME_KEYS = ("supersededAt", "orphanedAt", "at", "time", "completed", "when")


@dataclass(frozen=True, slots=True)
class FrameRef:
    role: str
    path: str | None
    sha256: str | None
    file_id: str | None
    continues: str | None = None
    """The shot whose video this frame was taken from (continuity), if any."""
    moment: str | None = None
    """Which of its frames: `first`, `last` or seconds, as text."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str
    size: int
    sha256: str | None
    width: int | None
    height: int | None
    seconds: float | None = None
    """The video's duration, as the run that downloaded it measured it."""


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a resolved prompt: `source` None for the shot's own words, else
    `var:NAME`, `look:NAME` or `cast:NAME`."""

    text: str
    source: str | None


@dataclass(frozen=True, slots=True)
class CastRef:
    """A cast member of the run, with its reference images."""

    name: str
    description: str
    references: tuple[FrameRef, ...]


@dataclass(frozen=True, slots=True)
class ShotCard:
    """One shot-take of the manifest, in the pipeline's order."""

    id: str
    take: int
    takes: int
    key: str
    status: str
    reused: bool
    model: str
    options: str | None
    aspect_ratio: str | None
    prompt: str | None
    frames: tuple[FrameRef, ...]
    account: str | None
    video_id: str | None
    attempts: int
    submitted: datetime | None
    completed: datetime | None
    credits_estimated: int
    credits: int
    output: OutputFile | None
    error: str | None
    look: str | None = None
    cast: tuple[str, ...] = ()
    prompt_parts: tuple[Part, ...] = ()
    variant_of: str | None = None
    """The matrix shot this card is a variant of."""
    matrix: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PastOutput:
    """A file a rerun set aside (superseded) or no shot claims any more (orphaned)."""

    key: str
    path: str | None
    sha256: str | None
    when: datetime | None
    note: str | None


@dataclass(frozen=True, slots=True)
class RunView:
    pipeline: str
    name: str
    run_id: str
    backend: str
    base_url: str
    started: datetime | None
    ended: datetime | None
    shots: tuple[ShotCard, ...]
    counts: dict[str, int]
    credits_estimated: int
    credits_spent: int
    estimated_by_model: dict[str, int]
    spent_by_model: dict[str, int]
    spent_by_account: dict[str, int]
    superseded: tuple[PastOutput, ...]
    orphaned: tuple[PastOutput, ...]
    cast: tuple[CastRef, ...] = ()


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _seconds(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _int(v) for k, v in value.items()}


def _output(value: object) -> OutputFile | None:
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return None
    width, height = value.get("width"), value.get("height")
    return OutputFile(
        path=value["path"],
        size=_int(value.get("bytes")),
        sha256=_str(value.get("sha256")),
        width=width if isinstance(width, int) and width > 0 else None,
        height=height if isinstance(height, int) and height > 0 else None,
        seconds=_seconds(value.get("seconds")),
    )


def _frames(value: object) -> tuple[FrameRef, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        FrameRef(
            role=_str(f.get("role")) or "frame",
            path=_str(f.get("path")),
            sha256=_str(f.get("sha256")),
            file_id=_str(f.get("fileID")),
            continues=_str(_dict(f.get("continues")).get("shot")),
            moment=_moment(_dict(f.get("continues")).get("frame")),
        )
        for f in value
        if isinstance(f, dict)
    )


def _moment(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return f"{value:g} s"
    return _str(value)


def _shot(raw: dict[str, Any], takes: dict[str, int]) -> ShotCard:
    shot_id = _str(raw.get("id")) or "?"
    take = _int(raw.get("take")) or 1
    times = _dict(raw.get("times"))
    return ShotCard(
        id=shot_id,
        take=take,
        takes=takes.get(shot_id, 1),
        key=_str(raw.get("key")) or f"{shot_id}#{take}",
        status=_str(raw.get("status")) or "pending",
        reused=raw.get("reused") is True,
        model=_str(raw.get("model")) or "?",
        options=_str(raw.get("options")),
        aspect_ratio=_str(raw.get("aspectRatio")),
        prompt=_str(raw.get("prompt")),
        frames=_frames(raw.get("frames")),
        account=_str(raw.get("account")),
        video_id=_str(raw.get("videoId")),
        attempts=_int(raw.get("attempts")),
        submitted=parse_time(times.get("submitted")),
        completed=parse_time(times.get("completed")),
        credits_estimated=_int(raw.get("creditsEstimated")),
        credits=_int(raw.get("credits")),
        output=_output(raw.get("output")),
        error=_str(raw.get("error")),
        look=_str(raw.get("look")),
        cast=_strs(raw.get("cast")),
        prompt_parts=_parts(raw.get("promptParts")),
        variant_of=_str(raw.get("variantOf")),
        matrix=tuple(
            (str(k), v) for k, v in _dict(raw.get("matrix")).items() if isinstance(v, str)
        ),
    )


def _strs(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _parts(value: object) -> tuple[Part, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Part(p["text"], _str(p.get("from")))
        for p in value
        if isinstance(p, dict) and isinstance(p.get("text"), str)
    )


def _cast(value: object) -> tuple[CastRef, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        CastRef(
            name=_str(c.get("name")) or "?",
            description=_str(c.get("description")) or "",
            references=tuple(
                FrameRef("reference", _str(r.get("path")), None, _str(r.get("fileID")))
                for r in c.get("references") or ()
                if isinstance(r, dict)
            ),
        )
        for c in value
        if isinstance(c, dict)
    )


def _past(raw: object) -> PastOutput | None:
    if not isinstance(raw, dict):
        return None
    key = _str(raw.get("key"))
    if key is None and isinstance(raw.get("id"), str):
        key = f"{raw['id']}#{_int(raw.get('take')) or 1}"
    out = raw.get("output")
    path = _str(raw.get("path")) or (_str(out.get("path")) if isinstance(out, dict) else None)
    when = next((t for k in _TIME_KEYS if (t := parse_time(raw.get(k))) is not None), None)
    note = _str(raw.get("reason")) or _str(raw.get("prompt"))
    return PastOutput(key or "?", path, _str(raw.get("sha256")), when, note)


def _pasts(value: object) -> tuple[PastOutput, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(p for p in map(_past, value) if p is not None)


def read_manifest(output_dir: Path) -> dict[str, Any]:
    """The manifest document of an output folder; UsageError when there is none."""
    path = output_dir / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{output_dir} has no {MANIFEST_NAME}: give the output folder of a `reel run`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("shots"), list):
        raise UsageError(f"{path} is not a Reel manifest (no list of shots)")
    return document


def run_view(document: dict[str, Any]) -> RunView:
    """The records the page is drawn from."""
    raw_shots = [s for s in document["shots"] if isinstance(s, dict)]
    takes: dict[str, int] = {}
    for s in raw_shots:
        shot_id = _str(s.get("id")) or "?"
        takes[shot_id] = max(takes.get(shot_id, 0), _int(s.get("take")) or 1)
    shots = tuple(_shot(s, takes) for s in raw_shots)
    backend, totals = _dict(document.get("backend")), _dict(document.get("totals"))
    pipeline = _str(document.get("pipeline")) or "?"
    counts: dict[str, int] = {}
    for shot in shots:  # from the shots, so that the page always adds up
        counts[shot.status] = counts.get(shot.status, 0) + 1
    return RunView(
        pipeline=pipeline,
        name=_str(document.get("name")) or Path(pipeline).stem,
        run_id=_str(document.get("runId")) or "?",
        backend=_str(backend.get("kind")) or "?",
        base_url=_str(backend.get("baseUrl")) or "",
        started=parse_time(document.get("started")),
        ended=parse_time(document.get("ended")),
        shots=shots,
        counts=counts,
        credits_estimated=_int(totals.get("creditsEstimated")),
        credits_spent=_int(totals.get("creditsSpent")),
        estimated_by_model=_counts(totals.get("estimatedByModel")),
        spent_by_model=_counts(totals.get("spentByModel")),
        spent_by_account=_counts(totals.get("spentByAccount")),
        superseded=_pasts(document.get("superseded")),
        orphaned=_pasts(document.get("orphaned")),
        cast=_cast(document.get("cast")),
    )
