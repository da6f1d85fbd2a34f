"""`<output>/.reel/cut.json`: what the last cut was made of (its fingerprint and where each shot
sits in it), for the next `reel cut` (rebuild or not) and for the review page (the markers and
the selected takes)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RECORD_PATH = Path(".reel") / "cut.json"
CUT_NAME = "cut.mp4"
OTIO_NAME = "cut.otio"


@dataclass(frozen=True, slots=True)
class Mark:
    """One shot's place in the cut."""

    id: str
    take: int
    takes: int
    start: float
    """Seconds from the cut's start."""
    seconds: float
    missing: bool
    status: str


@dataclass(frozen=True, slots=True)
class CutRecord:
    fingerprint: str
    pipeline: str
    seconds: float
    width: int
    height: int
    fps: int
    marks: tuple[Mark, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n"


def _mark(raw: Any) -> Mark | None:
    try:
        return Mark(
            id=str(raw["id"]),
            take=int(raw["take"]),
            takes=int(raw["takes"]),
            start=float(raw["start"]),
            seconds=float(raw["seconds"]),
            missing=bool(raw["missing"]),
            status=str(raw["status"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def read_record(output_dir: Path) -> CutRecord | None:
    """The record of the folder's last cut; None when there is none (or it is unreadable)."""
    try:
        raw = json.loads((output_dir / RECORD_PATH).read_text(encoding="utf-8"))
        marks = tuple(m for m in map(_mark, raw["marks"]) if m is not None)
        return CutRecord(
            fingerprint=str(raw["fingerprint"]),
            pipeline=str(raw["pipeline"]),
            seconds=float(raw["seconds"]),
            width=int(raw["width"]),
            height=int(raw["height"]),
            fps=int(raw["fps"]),
            marks=marks,
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
