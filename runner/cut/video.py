"""A segment's pictures on the canvas, streamed: decode, scale and letterbox, resample to the
canvas's rate (FFmpeg's filters, through PyAV), one frame at a time.

A segment yields exactly its number of frames: a clip that ends early holds its last frame, one
that runs long is cut; its sound (when it has any) is collected on the way, resampled for the
cut (seconds of audio, never the pictures).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from runner.cut.timeline import SAMPLE_RATE, Canvas

Samples = npt.NDArray[np.float32]
"""Audio as (2 channels, n samples) of float32 in -1..1."""


@dataclass(slots=True)
class Sound:
    """A clip's audio, collected while its pictures stream."""

    chunks: list[Samples] = field(default_factory=list)
    damaged: bool = False

    def samples(self, count: int) -> Samples:
        """Exactly `count` samples: silence where the clip had none or ran short."""
        have = np.concatenate(self.chunks, axis=1) if self.chunks else np.zeros((2, 0), np.float32)
        if have.shape[1] >= count:
            return have[:, :count]
        return np.pad(have, ((0, 0), (0, count - have.shape[1])))


def _graph(stream: av.video.stream.VideoStream, canvas: Canvas) -> av.filter.Graph:
    graph = av.filter.Graph()
    chain = [
        graph.add_buffer(template=stream),
        graph.add("scale", f"{canvas.width}:{canvas.height}:force_original_aspect_ratio=decrease"),
        graph.add("pad", f"{canvas.width}:{canvas.height}:(ow-iw)/2:(oh-ih)/2:black"),
        graph.add("setsar", "1"),
        graph.add("fps", str(canvas.fps)),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    for a, b in itertools.pairwise(chain):
        a.link_to(b)
    graph.configure()
    return graph


def _pull(graph: av.filter.Graph) -> Iterator[av.VideoFrame]:
    while True:
        try:
            yield graph.vpull()
        except (av.BlockingIOError, av.EOFError):
            return


def clip_frames(path: Path, canvas: Canvas, count: int, sound: Sound) -> Iterator[av.VideoFrame]:
    """`count` canvas frames of the clip at `path`; its audio goes into `sound`."""
    emitted = 0
    last: av.VideoFrame | None = None
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        streams = [video, *container.streams.audio[:1]]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        graph = _graph(video, canvas)
        try:
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        for out in resampler.resample(frame):
                            sound.chunks.append(out.to_ndarray().astype(np.float32, copy=False))
                        continue
                    if emitted >= count or not isinstance(frame, av.VideoFrame):
                        continue  # keep reading: the sound may run on
                    graph.vpush(frame)
                    for picture in _pull(graph):
                        if emitted < count:
                            last = picture
                            emitted += 1
                            yield picture
        except av.FFmpegError:
            sound.damaged = True  # a clip damaged part-way: what was read, then its last frame
        graph.vpush(None)
        for picture in _pull(graph):
            if emitted < count:
                last = picture
                emitted += 1
                yield picture
    while emitted < count and last is not None:
        emitted += 1
        yield last
