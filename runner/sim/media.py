"""Real, playable media for simulated videos: an H.264 MP4 and a JPEG cover.

The picture comes from the job: a colour and caption from the prompt, the first frame (when
there is one) blended in, and a dot crossing the screen so that players show motion. It has the
size the API reports for the job, or a scaled copy (`SimConfig.media_scale`: a 1280x720 video
takes about ten times as long to make as a 320x180 one), 8 frames a second. Models with native
audio (`has_audio`) get an AAC track of the clip's length: a tone and some noise shaped by the
prompt, made by FFmpeg's own audio sources. Results are cached by what they depend on.
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

from runner.spec.catalogue import Model

FPS = 8
LONG_SIDE, SHORT_SIDE = 320, 180
"""The size of a look that names none (the smallest the simulator serves)."""
AUDIO_RATE = 24_000
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
    size: tuple[int, int] | None = None
    """Width and height served; None: 320x180 (180x320 for 9:16)."""
    audio: bool = False
    """With an AAC track (models with native audio)."""


def has_audio(model: Model) -> bool:
    """Whether a model's videos carry sound: the Veo 3.1 family (the seed: "native audio").

    Inferred: the seed says "native audio" of Veo-3.1 only, and the S2V and Fast variants are
    the same model family; Hailuo and Sora 2 as served through useapi: none known.
    """
    return model.family == "veo"


def served_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """The size a video is served at: the reported one times `scale`, in even pixels (H.264)."""
    return (max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2))


def frame_size(look: Look) -> tuple[int, int]:
    if look.size is not None:
        return look.size
    return (SHORT_SIDE, LONG_SIDE) if look.aspect == "9:16" else (LONG_SIDE, SHORT_SIDE)


def _colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return (40 + digest[0] % 170, 40 + digest[1] % 170, 40 + digest[2] % 170)


def base_picture(look: Look, first: bytes | None) -> Image.Image:
    """The still behind a frame: prompt colour, an image (first or last frame), caption."""
    size = frame_size(look)
    scale = max(1.0, min(size) / SHORT_SIDE)  # captions and marks grow with the picture
    picture = Image.new("RGB", size, _colour(look.prompt))
    if first is not None:
        with Image.open(io.BytesIO(first)) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size)
        picture = Image.blend(picture, fitted, 0.7)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=round(12 * scale))
    width = 44 if size[0] > size[1] else 24
    caption = "\n".join(textwrap.wrap(look.prompt or "(no prompt)", width)[:6])
    margin = round(8 * scale)
    draw.multiline_text(
        (margin, margin),
        caption,
        fill=(255, 255, 255),
        font=font,
        stroke_width=1,
        stroke_fill=(0, 0, 0),
    )
    if look.watermark:
        mark = (size[0] - round(60 * scale), size[1] - round(18 * scale))
        draw.text(mark, "Hailuo AI", fill=(230, 230, 230), font=font)
    return picture


def _still(image: bytes | None, size: tuple[int, int]) -> Image.Image | None:
    if image is None:
        return None
    with Image.open(io.BytesIO(image)) as opened:
        return ImageOps.fit(opened.convert("RGB"), size)


def encode_mp4(look: Look, first: bytes | None, last: bytes | None = None) -> bytes:
    """A playable H.264 MP4 of `look.seconds` seconds; with an end frame, it fades into it.
    A video given a first (last) frame shows exactly that image as its first (last) frame,
    as the real models do, so a chain of shots visibly continues."""
    base = base_picture(look, first)
    end = base_picture(look, last) if last is not None else None
    opening, closing = _still(first, base.size), _still(last, base.size)
    width, height = base.size
    dot = round(16 * max(1.0, min(width, height) / SHORT_SIDE))
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        container.metadata["comment"] = _STAMP.decode()  # made the job's own by `stamped`
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "stillimage"}
        stream.codec_context.time_base = Fraction(1, FPS)
        sound = _audio_stream(container) if look.audio else None
        total = look.seconds * FPS
        for index in range(total):
            progress = index / max(1, total - 1)
            picture = Image.blend(base, end, progress) if end is not None else base.copy()
            x = int((width - dot) * (1 - progress if look.variant % 2 else progress))
            y = height - round(dot * 2.1) - round(dot * 1.4) * (look.variant // 2 % 5)
            ImageDraw.Draw(picture).ellipse((x, y, x + dot, y + dot), fill="white")
            if index == 0 and opening is not None:
                picture = opening
            elif index == total - 1 and closing is not None:
                picture = closing
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            _write_audio(container, sound, look)
    return out.getvalue()


def _audio_stream(container: av.container.OutputContainer) -> av.AudioStream:
    stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
    stream.bit_rate = 32_000
    return stream


def _write_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, look: Look
) -> None:
    """An AAC track of the clip's length: a tone, pink noise and a tremolo, from the prompt."""
    digest = hashlib.sha256(look.prompt.encode()).digest()
    tone = 110 + digest[3] % 64 * 10  # 110-740 Hz
    noise = 0.02 + digest[4] % 16 / 100  # 0.02-0.17
    pulse = 1 + digest[5] % 6  # 1-6 Hz
    for frame in _sound(look.seconds, tone, noise, pulse, seed=digest[6]):
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def _sound(seconds: int, tone: int, noise: float, pulse: int, seed: int) -> list[av.AudioFrame]:
    """`seconds` of mono float audio from FFmpeg's sine and anoisesrc sources, mixed."""
    rate = f"sample_rate={AUDIO_RATE}:duration={seconds}"
    graph = av.filter.Graph()
    sine = graph.add("sine", f"frequency={tone}:{rate}")
    hiss = graph.add("anoisesrc", f"color=pink:amplitude={noise}:seed={seed}:{rate}")
    mix = graph.add("amix", "inputs=2:duration=shortest")
    shaped = graph.add("tremolo", f"f={pulse}:d=0.5")
    fade = graph.add("afade", f"t=out:st={max(0, seconds - 1)}:d=1")
    form = graph.add("aformat", f"sample_fmts=fltp:channel_layouts=mono:sample_rates={AUDIO_RATE}")
    sink = graph.add("abuffersink")
    sine.link_to(mix, 0, 0)
    hiss.link_to(mix, 0, 1)
    mix.link_to(shaped)
    shaped.link_to(fade)
    fade.link_to(form)
    form.link_to(sink)
    graph.configure()
    frames: list[av.AudioFrame] = []
    while True:
        try:
            frame = sink.pull()
        except (EOFError, av.error.EOFError, BlockingIOError):
            return frames
        if isinstance(frame, av.AudioFrame):
            frames.append(frame)


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
