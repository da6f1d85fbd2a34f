"""The cut's sound: each segment's samples (its clip's audio, else silence), crossfaded, with
the music bed mixed under it, encoded as AAC in frames of the encoder's size."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from runner.cut.timeline import SAMPLE_RATE
from runner.cut.video import Samples
from runner.errors import UsageError

AAC_FRAME = 1024


class Music:
    """The music bed, decoded as it is needed; silence once it has ended."""

    def __init__(self, path: Path, volume: float) -> None:
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError) as exc:
            raise UsageError(f"cut.music: {path} cannot be read as audio ({exc})") from None
        if not self._container.streams.audio:
            self._container.close()
            raise UsageError(f"cut.music: {path} has no audio track; give an audio file")
        self._frames = self._decode()
        self._volume = volume
        self._pending = np.zeros((2, 0), np.float32)

    def _decode(self) -> Iterator[Samples]:
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        for frame in self._container.decode(self._container.streams.audio[0]):
            for out in resampler.resample(frame):
                yield out.to_ndarray().astype(np.float32, copy=False)

    def take(self, count: int) -> Samples:
        while self._pending.shape[1] < count:
            chunk = next(self._frames, None)
            if chunk is None:
                break
            self._pending = np.concatenate([self._pending, chunk], axis=1)
        out, self._pending = self._pending[:, :count], self._pending[:, count:]
        if out.shape[1] < count:
            out = np.pad(out, ((0, 0), (0, count - out.shape[1])))
        return out * np.float32(self._volume)

    def close(self) -> None:
        self._container.close()


class AudioOut:
    """Samples in, AAC packets muxed; counts samples so that pts never jump."""

    def __init__(self, container: av.container.OutputContainer, music: Music | None) -> None:
        self.stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        self.stream.codec_context.time_base = Fraction(1, SAMPLE_RATE)
        self._container = container
        self._music = music
        self._pending = np.zeros((2, 0), np.float32)
        self._pts = 0

    def write(self, samples: Samples) -> None:
        if self._music is not None:
            samples = samples + self._music.take(samples.shape[1])
        self._pending = np.concatenate([self._pending, samples], axis=1)
        while self._pending.shape[1] >= AAC_FRAME:
            self._emit(self._pending[:, :AAC_FRAME])
            self._pending = self._pending[:, AAC_FRAME:]

    def _emit(self, block: Samples) -> None:
        clipped = np.ascontiguousarray(np.clip(block, -1.0, 1.0), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(clipped, format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self._pts += block.shape[1]
        for packet in self.stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._pending.shape[1]:
            self._emit(self._pending)
            self._pending = np.zeros((2, 0), np.float32)
        for packet in self.stream.encode(None):
            self._container.mux(packet)


def crossfade(tail: Samples, head: Samples) -> Samples:
    """`tail` fading out under `head` fading in (equal lengths)."""
    ramp = np.linspace(0.0, 1.0, head.shape[1], dtype=np.float32)
    mixed: Samples = tail * (1.0 - ramp) + head * ramp
    return mixed
