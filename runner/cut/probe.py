"""What the cut needs to know of a clip before decoding it: its length, size and whether it has
sound. Reads the container's headers only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True, slots=True)
class ClipInfo:
    seconds: float
    width: int
    height: int
    has_audio: bool


def probe(path: Path) -> ClipInfo | None:
    """The clip's length, size and sound; None when it is not a readable video."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = (container.duration or 0) / av.time_base
            return ClipInfo(
                seconds=seconds,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                has_audio=bool(container.streams.audio),
            )
    except (av.FFmpegError, OSError):
        return None
