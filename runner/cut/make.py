"""`write_cut(pipeline, output_dir)`: the cut of a pipeline's output folder, rebuilt only when
what goes into it changed.

Its fingerprint covers every input: each segment's clip (sha256) or slate (status, prompt,
first frame), its place on the frame grid, the canvas, the crossfade, the music (sha256) and
its level, and how it is encoded. An unchanged cut is not encoded again; `cut.otio` and the
record beside it are cheap and always rewritten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from runner.cut import encode as encoder
from runner.cut.otio import write_otio
from runner.cut.record import CUT_NAME, OTIO_NAME, RECORD_PATH, CutRecord, Mark, read_record
from runner.cut.timeline import Segment, Timeline, make_timeline
from runner.spec.pipeline import Pipeline
from runner.state.manifest import write_atomic
from runner.state.plan import sha256_file

CUT_VERSION = 1


@dataclass(frozen=True, slots=True)
class CutResult:
    path: Path
    otio: Path
    timeline: Timeline
    rebuilt: bool


def _segment_identity(segment: Segment) -> dict[str, object]:
    shot = segment.shot
    identity: dict[str, object] = {
        "id": shot.id,
        "take": segment.take,
        "frames": [segment.start_frame, segment.frames, segment.overlap],
    }
    if segment.clip is not None:
        identity["clip"] = segment.sha256 or sha256_file(segment.clip)
        return identity
    first = shot.frames.first
    identity["slate"] = {
        "status": segment.status,
        "prompt": shot.prompt,
        "first": sha256_file(first.path) if first and first.path and first.path.is_file() else None,
    }
    return identity


def fingerprint(pipeline: Pipeline, timeline: Timeline) -> str:
    """The hex sha256 of everything the cut's pixels and samples depend on."""
    music = pipeline.cut.music
    doc = {
        "v": CUT_VERSION,
        "encoder": [encoder.PRESET, encoder.CRF],
        "canvas": [timeline.canvas.width, timeline.canvas.height, timeline.canvas.fps],
        "crossfade": timeline.crossfade,
        "music": sha256_file(music) if music is not None else None,
        "volume": pipeline.cut.music_volume if music is not None else None,
        "segments": [_segment_identity(s) for s in timeline.segments],
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _record(pipeline: Pipeline, timeline: Timeline, digest: str) -> CutRecord:
    fps = timeline.canvas.fps
    return CutRecord(
        fingerprint=digest,
        pipeline=str(pipeline.path),
        seconds=timeline.seconds,
        width=timeline.canvas.width,
        height=timeline.canvas.height,
        fps=fps,
        marks=tuple(
            Mark(
                id=s.shot.id,
                take=s.take,
                takes=s.shot.takes,
                start=s.start_frame / fps,
                seconds=s.frames / fps,
                missing=s.missing,
                status=s.status,
            )
            for s in timeline.segments
        ),
    )


def write_cut(pipeline: Pipeline, output_dir: Path) -> CutResult:
    """Write `<output_dir>/cut.mp4` (when its inputs changed) and `cut.otio`."""
    (output_dir / RECORD_PATH).parent.mkdir(parents=True, exist_ok=True)
    timeline = make_timeline(pipeline, output_dir)
    digest = fingerprint(pipeline, timeline)
    target, otio_target = output_dir / CUT_NAME, output_dir / OTIO_NAME
    last = read_record(output_dir)
    rebuilt = last is None or last.fingerprint != digest or not target.is_file()
    if rebuilt:
        encoder.encode(timeline, target, pipeline.cut.music, pipeline.cut.music_volume)
    write_otio(timeline, output_dir, otio_target, pipeline.name)
    write_atomic(output_dir / RECORD_PATH, _record(pipeline, timeline, digest).to_json())
    return CutResult(target, otio_target, timeline, rebuilt)
