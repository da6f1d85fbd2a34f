"""Test media made with PyAV: clips of a given size, rate and length, with or without a tone;
and what a test reads back from a cut (its streams, its loudness and colours over time)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

RATE = 48_000


def make_clip(
    path: Path,
    seconds: float,
    size: tuple[int, int] = (160, 90),
    fps: int = 12,
    colour: tuple[int, int, int] = (40, 160, 60),
    tone: float | None = None,
) -> Path:
    """An H.264 MP4 of one colour; with `tone` (Hz), an AAC track of that sine at -6 dBFS."""
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=RATE, layout="stereo") if tone else None
        picture = np.zeros((size[1], size[0], 3), np.uint8)
        picture[:, :] = colour
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio is not None and tone is not None:
            total = round(seconds * RATE)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                t = (np.arange(start, start + n) / RATE).astype(np.float32)
                wave = (0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
                block = np.ascontiguousarray(np.stack([wave, wave]))
                frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = RATE, start
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode(None):
                out.mux(packet)
    return path


def make_music(path: Path, seconds: float, tone: float = 220.0) -> Path:
    """An audio-only M4A: a sine at -6 dBFS."""
    with av.open(str(path), "w", format="mp4") as out:
        audio = out.add_stream("aac", rate=RATE, layout="stereo")
        total = round(seconds * RATE)
        for start in range(0, total, 1024):
            n = min(1024, total - start)
            t = (np.arange(start, start + n) / RATE).astype(np.float32)
            wave = (0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(np.stack([wave, wave])), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = RATE, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode(None):
            out.mux(packet)
    return path


def write_manifest(output: Path, entries: list[dict[str, Any]]) -> None:
    """A manifest as `reel run` writes it, reduced to what a cut reads: per shot-take its id,
    take, key, status and output (path relative to the folder, bytes, sha256)."""
    shots = []
    for e in entries:
        entry = {"id": e["id"], "take": e.get("take", 1), "status": e["status"], "output": None}
        entry["key"] = f"{entry['id']}#{entry['take']}"
        if "file" in e:
            data = (output / e["file"]).read_bytes()
            entry["output"] = {
                "path": e["file"],
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        shots.append(entry)
    (output / "manifest.json").write_text(json.dumps({"shots": shots}), encoding="utf-8")


@dataclass
class Decoded:
    """A cut as a viewer gets it."""

    width: int
    height: int
    fps: float
    seconds: float
    audio_codec: str | None
    pictures: list[np.ndarray]
    """One RGB frame per second-tenth is too much; every frame, at a tiny size."""
    sound: np.ndarray
    """Mono samples at 48 kHz."""

    def picture_at(self, seconds: float) -> np.ndarray:
        return self.pictures[min(len(self.pictures) - 1, int(seconds * self.fps))]

    def loudness(self, start: float, end: float) -> float:
        """RMS of the sound between two times (seconds)."""
        part = self.sound[int(start * RATE) : int(end * RATE)]
        return float(np.sqrt(np.mean(part**2))) if len(part) else 0.0


def decode(path: Path) -> Decoded:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        seconds = float(video.duration * video.time_base)
        width, height = video.codec_context.width, video.codec_context.height
        fps = float(video.average_rate)
        pictures = [
            f.to_ndarray(format="rgb24", width=32, height=18 if width > height else 56)
            for f in container.decode(video)
        ]
    chunks: list[np.ndarray] = []
    codec = None
    if audio is not None:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            codec = stream.codec_context.name
            resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            for frame in container.decode(stream):
                chunks.extend(f.to_ndarray()[0] for f in resampler.resample(frame))
    sound = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return Decoded(width, height, fps, seconds, codec, pictures, sound)
