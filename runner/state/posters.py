"""Poster frames of the review page: JPEGs of a video's first frame, named by the video's sha256,
in `<output>/.reel/report/posters/`.

The download step makes a video's poster from the frame it decodes anyway to check the video,
so that the review page at the end of a run need not open every video a second time; the page
(`runner.report.assets`) makes any poster that is missing. Both write through `save_jpeg`.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

if TYPE_CHECKING:
    import av

REPORT_ASSETS = Path(".reel") / "report"
"""The review page's pictures, inside the output folder (so that it can be zipped whole)."""
POSTERS = REPORT_ASSETS / "posters"
POSTER_WIDTH = 640


def seconds(container: av.container.InputContainer) -> float | None:
    """A video's length as its container gives it, else its first video stream; None when
    neither says."""
    if container.duration:
        return float(container.duration / 1_000_000)
    stream = container.streams.video[0] if container.streams.video else None
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def first_frame(container: av.container.InputContainer) -> av.VideoFrame | None:
    """The first frame of a container's first video stream (it has one), decoded on one thread:
    for one frame, FFmpeg's decoder threads (one per core, by default) cost more to start than
    they save (about a third of a download check's CPU)."""
    stream = container.streams.video[0]
    stream.codec_context.thread_count = 1
    return next(container.decode(stream), None)


def poster_path(output_dir: Path, sha256: str) -> Path:
    return output_dir / POSTERS / f"{sha256}.jpg"


def frame_image(frame: av.VideoFrame) -> Image.Image:
    """An RGB picture of a decoded frame (PyAV's `to_image` does the same, several times slower:
    one conversion, one copy)."""
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    return Image.frombuffer(
        "RGB", (rgb.width, rgb.height), bytes(plane), "raw", "RGB", plane.line_size, 1
    )


def save_jpeg(image: Image.Image, target: Path, size: int, *, upright: bool = True) -> None:
    """`image` as a JPEG of at most `size` pixels a side, written atomically to `target`
    (`upright`: turned as its EXIF orientation says; a decoded video frame has none)."""
    picture = ImageOps.exif_transpose(image) if upright else image
    if picture.mode != "RGB":
        background = Image.new("RGB", picture.size, (255, 255, 255))
        rgba = picture.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        picture = background
    picture.thumbnail((size, size))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Its own temporary name per thread: two downloads of one file may make its poster at once.
    temp = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
    picture.save(temp, "JPEG", quality=82)
    temp.replace(target)


def save_poster(frame: av.VideoFrame, target: Path) -> None:
    """The poster of a video whose first frame is `frame`."""
    save_jpeg(frame_image(frame), target, POSTER_WIDTH, upright=False)


def try_poster(frame: av.VideoFrame, target: Path) -> None:
    """`save_poster` where it costs nothing to fail: a poster that cannot be written now is
    made by the review page."""
    if target.is_file():
        return
    with contextlib.suppress(OSError, ValueError):
        save_poster(frame, target)
