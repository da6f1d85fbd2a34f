"""Frames taken from a video: the first, the last, the one at a moment, at full size, and fitted
to an exact size by cropping or padding."""

from __future__ import annotations

import hashlib
import io
import os
from fractions import Fraction
from pathlib import Path

import anyio
import av
import pytest
from PIL import Image

from runner.spec.pipeline import Upstream
from runner.spec.validate import load_pipeline
from runner.state.frames import FrameStore, extract, frame_key
from runner.state.journal import Journal
from runner.state.plan import exact_size
from tests.run.conftest import write_pipeline

FPS = 4
COLOURS = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)] * 2  # 2 s at 4 frames/s


def _video(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    """A video whose frame n is one flat colour, COLOURS[n]."""
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "0"}
        stream.codec_context.time_base = Fraction(1, FPS)
        for n, colour in enumerate(COLOURS):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, colour))
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _colour(png: bytes, at: tuple[int, int] = (160, 120)) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(png)) as image:
        pixel = image.getpixel(at)
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 12 for x, y in zip(a, b, strict=True))


def test_first_last_and_a_moment(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.mp4")
    assert _near(_colour(extract(video, "first", "crop", None)), COLOURS[0])
    assert _near(_colour(extract(video, "last", "crop", None)), COLOURS[-1])
    # 0.5 s at 4 frames a second is frame 2; 0.6 s still shows frame 2; 1.75 s frame 7.
    assert _near(_colour(extract(video, 0.5, "crop", None)), COLOURS[2])
    assert _near(_colour(extract(video, 0.6, "crop", None)), COLOURS[2])
    assert _near(_colour(extract(video, 1.75, "crop", None)), COLOURS[7])
    with Image.open(io.BytesIO(extract(video, "last", "crop", None))) as image:
        assert image.size == (320, 240)  # full resolution
    assert extract(video, "last", "crop", None) == extract(video, "last", "crop", None)


def test_fit_crops_to_fill_or_pads_to_the_exact_size(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.mp4", (320, 240))  # 4:3 into 16:9
    cropped = extract(video, "first", "crop", (1280, 720))
    padded = extract(video, "first", "pad", (1280, 720))
    for png in (cropped, padded):
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (1280, 720)
    assert _near(_colour(cropped, (5, 360)), COLOURS[0])  # filled to the edge
    assert _colour(padded, (5, 360)) == (0, 0, 0)  # a bar at the side
    assert _near(_colour(padded, (640, 360)), COLOURS[0])


def test_the_store_names_frames_by_content_and_journals_them(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.mp4")
    journal = Journal(tmp_path / "out" / ".reel")
    try:
        store = FrameStore(tmp_path / "out", journal)
        up = Upstream("door", "last", "crop")
        path = store.make(video, up, None)
        assert path.parent == tmp_path / "out" / ".reel" / "frames"
        assert path.name == f"{hashlib.sha256(path.read_bytes()).hexdigest()}.png"
        key = frame_key("abc", up, None)
        assert store.known(key) is None
        journal.remember_frame_now(key, path)
        assert store.known(key) == path
        during_a_run = frame_key("def", up, (64, 36))
        anyio.run(journal.remember_frame, during_a_run, path)
        assert store.known(during_a_run) == path
        path.unlink()
        assert store.known(key) is None  # a deleted frame is extracted again
    finally:
        journal.close()


def test_only_a_sora_first_frame_must_have_an_exact_size(tmp_path: Path) -> None:
    """Sora-2 takes its first frame at exactly 1280x720 or 720x1280; Veo, which also takes an
    aspect ratio, any size (so an upstream frame is fitted only for Sora)."""
    body = """\
shots:
  - {id: s, model: Sora-2, aspectRatio: "9:16", prompt: p, frames: {first: tall.png}}
  - {id: v, model: Veo-3.1, aspectRatio: "9:16", prompt: p, frames: {first: a.png, last: b.png}}
"""
    tmp_path.mkdir(exist_ok=True)
    Image.new("RGB", (720, 1280), (9, 9, 9)).save(tmp_path / "tall.png")
    pipe, diagnostics = load_pipeline(write_pipeline(tmp_path, body))
    assert pipe is not None, [d.render() for d in diagnostics]
    sora, veo = pipe.shots
    assert exact_size(sora, "first") == (720, 1280)
    assert exact_size(veo, "first") is None and exact_size(veo, "last") is None


def test_frames_fitted_to_two_sizes_of_one_height_are_two_frames() -> None:
    """A catalogue overlay may give a model 1280x720 and 960x720 first frames: a frame fitted to
    one is never taken for the other."""
    up = Upstream("door", "last", "crop")
    keys = {frame_key("abc", up, size) for size in ((1280, 720), (960, 720), (720, 720), None)}
    assert len(keys) == 4


def test_a_frame_that_cannot_be_written_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = _video(tmp_path / "v.mp4")
    journal = Journal(tmp_path / "out" / ".reel")
    try:
        store = FrameStore(tmp_path / "out", journal)

        def full(_fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(OSError, match="No space left"):
            store.make(video, Upstream("door", "last", "crop"), None)
        assert list(store.folder.iterdir()) == []
    finally:
        journal.close()
