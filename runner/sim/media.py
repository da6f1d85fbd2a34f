"""Real, playable media for simulated videos: an H.264 MP4 and a JPEG cover.

The picture comes from the job: a colour and caption from the prompt, the first frame (when
there is one) blended in, and a dot crossing the screen so that players show motion. Small
(320x180 or 180x320) and 8 frames a second, so one video takes a fraction of a second to make;
results are cached by what they depend on.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import av
from PIL import Image, ImageDraw, ImageFont, ImageOps

FPS = 8
LONG_SIDE, SHORT_SIDE = 320, 180
_CACHE_SIZE = 64
VARIANTS = 10
"""Renders of one look differ visibly, as real takes of a shot do, in one of this many ways (a
shot has at most 10 takes); every job's file also differs in its bytes (its job number in the
MP4's comment tag), while each look is still encoded once per variant (the cache)."""
_STAMP = b"reel-sim-job:" + b"0" * 20


@dataclass(frozen=True, slots=True)
class Look:
    """Everything a simulated video's picture depends on (its cache key)."""

    prompt: str
    first_sha256: str | None
    aspect: str
    seconds: int
    watermark: bool
    last_sha256: str | None = None
    variant: int = 0
    """Which of the `VARIANTS` renders of this look (`MediaCache.variant`)."""


def frame_size(aspect: str) -> tuple[int, int]:
    return (SHORT_SIDE, LONG_SIDE) if aspect == "9:16" else (LONG_SIDE, SHORT_SIDE)


def _colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return (40 + digest[0] % 170, 40 + digest[1] % 170, 40 + digest[2] % 170)


def base_picture(look: Look, first: bytes | None) -> Image.Image:
    """The still behind a frame: prompt colour, an image (first or last frame), caption."""
    size = frame_size(look.aspect)
    picture = Image.new("RGB", size, _colour(look.prompt))
    if first is not None:
        with Image.open(io.BytesIO(first)) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size)
        picture = Image.blend(picture, fitted, 0.7)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=12)
    width = 44 if size[0] > size[1] else 24
    caption = "\n".join(textwrap.wrap(look.prompt or "(no prompt)", width)[:6])
    draw.multiline_text(
        (8, 8), caption, fill=(255, 255, 255), font=font, stroke_width=1, stroke_fill=(0, 0, 0)
    )
    if look.watermark:
        draw.text((size[0] - 60, size[1] - 18), "Hailuo AI", fill=(230, 230, 230), font=font)
    return picture


def encode_mp4(look: Look, first: bytes | None, last: bytes | None = None) -> bytes:
    """A playable H.264 MP4 of `look.seconds` seconds; with an end frame, it fades into it."""
    base = base_picture(look, first)
    end = base_picture(look, last) if last is not None else None
    width, height = base.size
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        container.metadata["comment"] = _STAMP.decode()  # made the job's own by `stamped`
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "stillimage"}
        stream.codec_context.time_base = Fraction(1, FPS)
        total = look.seconds * FPS
        for index in range(total):
            progress = index / max(1, total - 1)
            picture = Image.blend(base, end, progress) if end is not None else base.copy()
            x = int((width - 16) * (1 - progress if look.variant % 2 else progress))
            y = height - 34 - 22 * (look.variant // 2 % 5)
            ImageDraw.Draw(picture).ellipse((x, y, x + 16, y + 16), fill="white")
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def encode_jpeg(look: Look, first: bytes | None) -> bytes:
    out = io.BytesIO()
    base_picture(look, first).save(out, format="JPEG", quality=80)
    return out.getvalue()


def stamped(data: bytes, job: int) -> bytes:
    """The MP4 with `job`'s number in its comment tag: the same length, still playable."""
    return data.replace(_STAMP, b"reel-sim-job:" + b"%020d" % job, 1)


class MediaCache:
    """Made-once media by (kind, look); thread-safe, bounded."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, Look], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[tuple[str, Look], threading.Lock] = {}
        self._variants: dict[Look, dict[int, int]] = {}

    def variant(self, look: Look, job: int) -> int:
        """The variant of `job` among the jobs of the same look: the n-th of them to be fetched
        gets n modulo VARIANTS, so up to 10 takes of one shot all look different."""
        with self._lock:
            seen = self._variants.setdefault(look, {})
            return seen.setdefault(job, len(seen) % VARIANTS)

    def get(self, kind: str, look: Look, first: bytes | None, last: bytes | None = None) -> bytes:
        key = (kind, look)
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:  # two requests for the same video make it once
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            data = encode_mp4(look, first, last) if kind == "mp4" else encode_jpeg(look, first)
            with self._lock:
                self._items[key] = data
                while len(self._items) > _CACHE_SIZE:
                    self._items.popitem(last=False)
                self._making.pop(key, None)
            return data
