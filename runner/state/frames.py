"""Frames taken from rendered videos, for shots that continue from another shot.

A frame is decoded with PyAV at the video's full resolution (the first, the last, or the one
showing at a moment), fitted with Pillow when the model needs an exact size (crop to fill,
centred, or pad), and stored as PNG in `<output>/.reel/frames/<sha256>.png`, named by its
content. Each extraction is recorded in the journal (`frames` table: which video, which
moment, which fit → which file) before the frame is uploaded, so a rerun finds it without
decoding again; extraction is deterministic, so doing it twice after a kill costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from runner.spec.pipeline import Pipeline, Upstream
from runner.state.journal import JOURNAL_NAME, Journal
from runner.state.plan import Plan, ShotTake, make_plan
from runner.state.rerun import intact

FRAMES_DIR = "frames"


class FrameUnavailable(Exception):
    """The upstream video cannot be decoded into the frame asked for."""


def extract(video: Path, moment: str | float, fit: str, size: tuple[int, int] | None) -> bytes:
    """The frame as PNG bytes (deterministic for the same video and arguments)."""
    import av
    from PIL import Image, ImageOps

    image: Image.Image | None = None
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                at = float(frame.time or 0.0)
                if isinstance(moment, float) and image is not None and at > moment + 1e-6:
                    break
                image = frame.to_image()  # type: ignore[no-untyped-call]  # PyAV leaves it untyped
                if moment == "first":
                    break
    except (av.error.FFmpegError, OSError, IndexError) as exc:
        raise FrameUnavailable(f"cannot decode {video.name}: {exc}") from exc
    if image is None:
        raise FrameUnavailable(f"{video.name} has no video frame")
    image = image.convert("RGB")
    if size is not None and image.size != size:
        if fit == "pad":
            image = ImageOps.pad(image, size, color=(0, 0, 0))
        else:
            image = ImageOps.fit(image, size, centering=(0.5, 0.5))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _store(folder: Path, data: bytes) -> Path:
    """Write the frame atomically under its sha256; an existing copy is kept as it is."""
    digest = hashlib.sha256(data).hexdigest()
    target = folder / f"{digest}.png"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".frame-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def frame_key(video_sha: str, up: Upstream, size: tuple[int, int] | None) -> str:
    """What decides a frame: the video's content, the moment, and the fit to a size."""
    fitted = f"{up.fit}:{size[0]}x{size[1]}" if size else "as-is"
    return f"{video_sha}@{up.moment}/{fitted}"


class FrameStore:
    """Finds (or makes) the frames of upstream videos for one output folder."""

    def __init__(self, output: Path, journal: Journal | None = None) -> None:
        self.folder = output / ".reel" / FRAMES_DIR
        self._journal = journal
        self._owned = False
        if journal is None and (output / ".reel" / JOURNAL_NAME).exists():
            self._journal = Journal(output / ".reel")
            self._owned = True

    def close(self) -> None:
        if self._owned and self._journal is not None:
            self._journal.close()

    def find(self, upstream: ShotTake, up: Upstream, size: tuple[int, int] | None) -> Path | None:
        """The frame of the upstream shot-take's finished video, if that video is there."""
        if self._journal is None:
            return None
        record = self._journal.latest(upstream.key, upstream.fingerprint)
        if record is None or record.state != "completed" or not intact(record):
            return None
        assert record.output_path is not None and record.output_sha256 is not None
        key = frame_key(record.output_sha256, up, size)
        path = self.known(key)
        if path is None:
            try:
                path = self.make(Path(record.output_path), up, size)
            except FrameUnavailable:
                return None
            self._journal.remember_frame_now(key, path)
        return path

    def known(self, key: str) -> Path | None:
        """A frame extracted before, if its file is still there."""
        found = self._journal.frame(key) if self._journal is not None else None
        return found if found is not None and found.is_file() else None

    def make(self, video: Path, up: Upstream, size: tuple[int, int] | None) -> Path:
        """Extract the frame into the frames folder (the caller records it)."""
        return _store(self.folder, extract(video, up.moment, up.fit, size))


def plan_with_frames(
    pipeline: Pipeline, output: Path | None = None, force: Iterable[str] = ()
) -> Plan:
    """The plan, with the frames of upstream videos already rendered into `output` (default:
    the pipeline's) found or extracted, so their shots have their real fingerprints. A shot
    in `force` renders again: the shots continuing from it wait for its new video."""
    store = FrameStore(output or pipeline.output)
    forced = frozenset(force)

    def find(upstream: ShotTake, up: Upstream, size: tuple[int, int] | None) -> Path | None:
        return None if upstream.shot.id in forced else store.find(upstream, up, size)

    try:
        return make_plan(pipeline, frames=find)
    finally:
        store.close()
