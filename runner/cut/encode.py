"""Writes the cut's video file: every segment streamed into one H.264 + AAC MP4.

Memory holds one decoded frame at a time, plus the frames of one crossfade (its overlap) and a
segment's seconds of sound; never a whole clip. The file is written beside its target and
renamed into place, so a reader sees the old cut or the new one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from runner.cut.audio import AudioOut, Music, crossfade
from runner.cut.slate import slate_picture
from runner.cut.timeline import SAMPLE_RATE, Segment, Timeline
from runner.cut.video import Samples, Sound, clip_frames

PRESET = "ultrafast"
"""x264's preset: faster than real time at 1280x720 on two shared cores (tests/bench)."""
CRF = "23"


def _samples_at(frame: int, fps: int) -> int:
    return round(frame * SAMPLE_RATE / fps)


def _pictures(segment: Segment, timeline: Timeline, sound: Sound) -> Iterator[av.VideoFrame]:
    canvas = timeline.canvas
    if segment.clip is not None:
        source = clip_frames(segment.clip, canvas, segment.frames, sound)
    else:
        picture = slate_picture(segment, canvas)
        still = av.VideoFrame.from_image(picture).reformat(format="yuv420p")  # type: ignore[no-untyped-call]
        source = iter([still] * segment.frames)
    count = 0
    last = None
    for last in source:
        count += 1
        yield last
    black = last or av.VideoFrame.from_ndarray(
        np.zeros((canvas.height, canvas.width, 3), np.uint8), format="rgb24"
    ).reformat(format="yuv420p")
    for _ in range(segment.frames - count):
        yield black


def _blend(held: np.ndarray, picture: av.VideoFrame, weight: float) -> av.VideoFrame:
    mixed = held * (1.0 - weight) + picture.to_ndarray() * weight
    return av.VideoFrame.from_ndarray(mixed.round().astype(np.uint8), format="yuv420p")


class _Writer:
    def __init__(self, container: av.container.OutputContainer, timeline: Timeline) -> None:
        canvas = timeline.canvas
        self.video = container.add_stream("libx264", rate=canvas.fps)
        self.video.width, self.video.height, self.video.pix_fmt = (
            canvas.width,
            canvas.height,
            "yuv420p",
        )
        self.video.codec_context.time_base = Fraction(1, canvas.fps)
        self.video.options = {"preset": PRESET, "crf": CRF}
        self._container = container
        self._pts = 0

    def picture(self, frame: av.VideoFrame) -> None:
        frame.pts = self._pts
        frame.time_base = self.video.codec_context.time_base
        self._pts += 1
        for packet in self.video.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode(None):
            self._container.mux(packet)


def _segment(
    segment: Segment,
    next_overlap: int,
    timeline: Timeline,
    writer: _Writer,
    audio: AudioOut,
    held: tuple[list[np.ndarray], Samples],
) -> tuple[list[np.ndarray], Samples]:
    """Write one segment; hold back its last `next_overlap` frames (and their sound) for the
    crossfade into the next. Returns what it held back."""
    fps = timeline.canvas.fps
    held_pictures, held_sound = held
    sound = Sound()
    keep: list[np.ndarray] = []
    body_end = segment.frames - next_overlap
    for k, picture in enumerate(_pictures(segment, timeline, sound)):
        if k < segment.overlap:
            writer.picture(_blend(held_pictures[k], picture, (k + 1) / (segment.overlap + 1)))
        elif k < body_end:
            writer.picture(picture)
        else:
            keep.append(picture.to_ndarray())
    first, end = segment.start_frame, segment.start_frame + segment.frames
    total = _samples_at(end, fps) - _samples_at(first, fps)
    samples = sound.samples(total)
    overlap = _samples_at(first + segment.overlap, fps) - _samples_at(first, fps)
    if overlap:
        audio.write(crossfade(held_sound[:, :overlap], samples[:, :overlap]))
    cut = _samples_at(end - next_overlap, fps) - _samples_at(first, fps)
    audio.write(samples[:, overlap:cut])
    return keep, samples[:, cut:]


def encode(timeline: Timeline, target: Path, music: Path | None, volume: float) -> None:
    """Write the cut of `timeline` to `target` (atomically)."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    bed = Music(music, volume) if music is not None else None
    try:
        with av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            writer = _Writer(out, timeline)
            audio = AudioOut(out, bed)
            held: tuple[list[np.ndarray], Samples] = ([], np.zeros((2, 0), np.float32))
            segments = timeline.segments
            for i, segment in enumerate(segments):
                following = segments[i + 1].overlap if i + 1 < len(segments) else 0
                held = _segment(segment, following, timeline, writer, audio, held)
            writer.close()
            audio.close()
        with temp.open("rb") as f:
            os.fsync(f.fileno())
        temp.replace(target)
    finally:
        if bed is not None:
            bed.close()
        with contextlib.suppress(OSError):
            temp.unlink()
