"""What goes into the cut and where: the selected take of each shot, or a slate, placed on
the canvas's frame grid.

A shot's segment is its selected take's completed output (as the manifest records it and the
file on disk still is), else a slate for the shot's planned duration. Every boundary is rounded
from the running total in seconds, so the cut's length is the sum of its parts (minus the
crossfades) within half a frame however many shots it has.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.cut.probe import ClipInfo, probe
from runner.spec import catalogue
from runner.spec.pipeline import Pipeline, Shot

SAMPLE_RATE = 48_000
_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}
_DEFAULT_ASPECT = "16:9"


@dataclass(frozen=True, slots=True)
class Canvas:
    """The cut's frame: every clip is scaled (letterboxed, never stretched) to this."""

    width: int
    height: int
    fps: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One shot in the cut: its selected take's video, or a slate when it has none."""

    shot: Shot
    take: int
    status: str
    """The take's status in the manifest (`completed`, `failed`, …), `not run` without one."""
    clip: Path | None
    """The completed video (absolute); None: a slate."""
    sha256: str | None
    info: ClipInfo | None
    seconds: float
    """The clip's duration, or the slate's planned duration (the model's)."""
    start_frame: int = 0
    frames: int = 0
    overlap: int = 0
    """Frames shared with the previous segment (a crossfade); 0 for a hard cut."""

    @property
    def missing(self) -> bool:
        return self.clip is None


@dataclass(frozen=True, slots=True)
class Timeline:
    """Every segment of the cut, placed on the canvas's frame grid."""

    canvas: Canvas
    crossfade: float
    segments: tuple[Segment, ...]

    @property
    def frames(self) -> int:
        last = self.segments[-1] if self.segments else None
        return last.start_frame + last.frames if last else 0

    @property
    def seconds(self) -> float:
        return self.frames / self.canvas.fps


def canvas_for(pipeline: Pipeline) -> Canvas:
    """The pipeline's `cut.size`, else its shots' most common aspect ratio at 720p."""
    settings = pipeline.cut
    if settings.size is not None:
        return Canvas(*settings.size, settings.fps)
    aspects = Counter(s.aspect_ratio or _DEFAULT_ASPECT for s in pipeline.shots)
    # Ties go to the aspect of the earliest shot (Counter keeps insertion order).
    aspect = aspects.most_common(1)[0][0] if aspects else _DEFAULT_ASPECT
    return Canvas(*_SIZES.get(aspect, _SIZES[_DEFAULT_ASPECT]), settings.fps)


def _manifest_takes(output_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads((output_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    shots = document.get("shots") if isinstance(document, dict) else None
    if not isinstance(shots, list):
        return {}
    return {
        f"{s.get('id')}#{s.get('take')}": s
        for s in shots
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    }


def planned_seconds(shot: Shot) -> float:
    """How long the shot's video will be: its model's and option's duration."""
    return float(catalogue.load().model(shot.model).seconds_for(shot.options))


def _segment(shot: Shot, entry: dict[str, Any] | None, output_dir: Path) -> Segment:
    status = str(entry.get("status")) if entry else "not run"
    output = entry.get("output") if entry else None
    take = shot.select
    if status == "completed" and isinstance(output, dict) and isinstance(output.get("path"), str):
        clip = output_dir / output["path"]
        info = probe(clip) if clip.is_file() else None
        if info is not None and info.seconds > 0:
            sha = output.get("sha256")
            return Segment(
                shot, take, status, clip, sha if isinstance(sha, str) else None, info, info.seconds
            )
        status = "unreadable" if clip.is_file() else "file missing"
    return Segment(shot, take, status, None, None, None, planned_seconds(shot))


def _place(segments: list[Segment], fps: int, crossfade: float) -> tuple[Segment, ...]:
    placed: list[Segment] = []
    at = 0.0  # where the segment starts, in seconds
    previous_end = 0
    for i, seg in enumerate(segments):
        fade = 0.0
        if i > 0 and crossfade > 0:
            # A crossfade never eats more than half of either shot.
            fade = min(crossfade, seg.seconds / 2, segments[i - 1].seconds / 2)
            at -= fade
        start = round(at * fps)
        end = round((at + seg.seconds) * fps)
        overlap = max(0, previous_end - start) if fade else 0
        placed.append(
            Segment(
                seg.shot,
                seg.take,
                seg.status,
                seg.clip,
                seg.sha256,
                seg.info,
                seg.seconds,
                start_frame=start,
                frames=max(1, end - start),
                overlap=overlap,
            )
        )
        previous_end = start + max(1, end - start)
        at += seg.seconds
    return tuple(placed)


def make_timeline(pipeline: Pipeline, output_dir: Path) -> Timeline:
    """The cut of `pipeline` as its output folder holds it now."""
    canvas = canvas_for(pipeline)
    entries = _manifest_takes(output_dir)
    segments = [
        _segment(shot, entries.get(f"{shot.id}#{shot.select}"), output_dir)
        for shot in pipeline.shots
    ]
    crossfade = pipeline.cut.crossfade
    return Timeline(canvas, crossfade, _place(segments, canvas.fps, crossfade))
