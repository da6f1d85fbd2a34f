"""Downloads in isolation (httpx.MockTransport): a whole video is kept; anything else is refused,
saying what arrived, and never takes the output's place."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections.abc import AsyncIterator, Callable
from fractions import Fraction
from pathlib import Path

import anyio
import av
import httpx
import numpy as np
import pytest
from PIL import Image

from runner.errors import UsageError
from runner.run.download import (
    DownloadFailed,
    DownloadLimits,
    _sniff,
    decoded,
    download,
    media_client,
)
from runner.run.retry import Timing
from runner.state.takestate import Output
from tests.cut.clips import make_clip

NO_WAIT = Timing(retry_wait=0.0)
LIMITS = DownloadLimits(max_bytes=8 * 2**20, min_bytes_per_second=1.0, window=60.0, deadline=30.0)
URL = "https://cdn.example/v.mp4"
Handler = Callable[[httpx.Request], httpx.Response]


def _serve(body: bytes, ctype: str | None = "video/mp4") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(len(body))} | ({"Content-Type": ctype} if ctype else {})
        return httpx.Response(200, stream=httpx.ByteStream(body), headers=headers)

    return handler


def _fetch(
    tmp_path: Path, handler: Handler, limits: DownloadLimits = LIMITS
) -> tuple[Output | str, list[str]]:
    """The Output, or the DownloadFailed message; and what `make_room` was called with."""
    room: list[str] = []
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)

    async def make_room(digest: str) -> None:
        room.append(digest)

    async def go() -> Output | str:
        async with media_client(httpx.MockTransport(handler)) as client:
            try:
                return await download(client, URL, folder / "a.mp4", NO_WAIT, make_room, limits)
            except DownloadFailed as exc:
                return str(exc)

    return anyio.run(go), room


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "GIF":  # animated: two frames
        frames = [Image.new("RGB", (32, 18), c) for c in ((255, 0, 0), (0, 0, 255))]
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    else:
        Image.new("RGB", (32, 18), (200, 80, 20)).save(buf, fmt)
    return buf.getvalue()


def test_a_whole_video_is_kept_with_its_size_digest_and_picture(tmp_path: Path) -> None:
    body = make_clip(tmp_path / "src.mp4", 1.0).read_bytes()
    out, room = _fetch(tmp_path, _serve(body))
    digest = hashlib.sha256(body).hexdigest()
    assert isinstance(out, Output), out
    assert (out.path, out.size, out.sha256) == (tmp_path / "out" / "a.mp4", len(body), digest)
    assert (out.width, out.height) == (160, 90)
    assert out.duration == pytest.approx(1.0, abs=0.1)
    assert out.path.read_bytes() == body
    assert room == [digest], "make_room is told which file is about to take the place"
    assert not list((tmp_path / "out").glob(".*.part")), "no temporary file is left"


@pytest.mark.parametrize(
    ("body", "ctype", "says"),
    [
        (b"\n  <HTML><body>Sign in</body></html>", "text/html", "an HTML page"),
        (b"<!doctype html><title>x</title>", "text/html", "an HTML page"),
        (b"\0" * 100, "video/mp4", "only zero bytes"),
        (b"Not Found: the object expired", None, "starts with b'Not Found: the o'"),
        (b"X" * 40 + b"\0" * 8, "video/mp4", "starts with b'XXXXXXXXXXXXXXXX'"),
        (_image("PNG"), "image/png", "starts with b'\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR'"),
    ],
    ids=["html", "doctype", "zeros", "text", "placeholder", "png"],
)
def test_what_is_not_a_video_is_refused_saying_what_arrived(
    tmp_path: Path, body: bytes, ctype: str | None, says: str
) -> None:
    out, room = _fetch(tmp_path, _serve(body, ctype))
    kind = ctype or "no content type"
    assert out == (
        f"download failed 2 times: {len(body)} bytes of {kind} that is not a video ({says})"
    )
    assert room == [] and not list((tmp_path / "out").iterdir()), "nothing takes the output's place"


@pytest.mark.parametrize(
    ("size", "shown"),
    [(2**20 - 1, "1,048,575 bytes"), (2**20, "1.0 MB"), (3 * 2**19, "1.5 MB")],
    ids=["below", "at", "above"],
)
def test_sizes_are_said_in_bytes_below_a_megabyte_and_in_mb_from_one(
    tmp_path: Path, size: int, shown: str
) -> None:
    out, _ = _fetch(tmp_path, _serve(b"\0" * size, "video/mp4"))
    assert (
        out
        == f"download failed 2 times: {shown} of video/mp4 that is not a video (only zero bytes)"
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_picture_is_not_a_video_even_when_it_decodes(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "x.mp4.part"
    path.write_bytes(_image(fmt))
    assert decoded(path) is None


def test_download_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_MB", "MIN_KBPS", "WINDOW_S", "DEADLINE_S"):
        monkeypatch.delenv(f"REEL_DOWNLOAD_{name}", raising=False)
    assert DownloadLimits.from_env() == DownloadLimits()
    assert DownloadLimits() == DownloadLimits(2**30, 32 * 1024, 30.0, 900.0)
    monkeypatch.setenv("REEL_DOWNLOAD_MAX_MB", " 2.5 ")
    monkeypatch.setenv("REEL_DOWNLOAD_MIN_KBPS", "4")
    monkeypatch.setenv("REEL_DOWNLOAD_WINDOW_S", "7")
    monkeypatch.setenv("REEL_DOWNLOAD_DEADLINE_S", "11")
    assert DownloadLimits.from_env() == DownloadLimits(int(2.5 * 2**20), 4096.0, 7.0, 11.0)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("ten", "REEL_DOWNLOAD_WINDOW_S='ten' is not a number"),
        ("0", "REEL_DOWNLOAD_WINDOW_S='0' must be above 0"),
        ("-3", "REEL_DOWNLOAD_WINDOW_S='-3' must be above 0"),
    ],
)
def test_a_download_limit_that_is_not_a_positive_number_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, raw: str, says: str
) -> None:
    monkeypatch.setenv("REEL_DOWNLOAD_WINDOW_S", raw)
    with pytest.raises(UsageError) as caught:
        DownloadLimits.from_env()
    assert str(caught.value) == says


def test_a_part_file_gone_before_it_is_read_is_called_unreadable(tmp_path: Path) -> None:
    assert _sniff(tmp_path / ".a.mp4.part") == "unreadable"


def _sound_first_clip(path: Path, seconds: float = 1.0, fps: int = 12) -> Path:
    """A 160x90 MP4 whose first stream, and first packets, are its (silent) sound."""
    rate = 48_000
    with av.open(str(path), "w", format="mp4") as out:
        audio = out.add_stream("aac", rate=rate, layout="stereo")
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 90, "yuv420p"
        total = round(seconds * rate)
        for start in range(0, total, 1024):
            block = np.zeros((2, min(1024, total - start)), np.float32)
            sound = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            sound.sample_rate, sound.pts = rate, start
            for packet in audio.encode(sound):
                out.mux(packet)
        for packet in audio.encode(None):
            out.mux(packet)
        picture = np.zeros((90, 160, 3), np.uint8)
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return path


def test_a_video_whose_sound_comes_first_in_the_file_is_measured_by_its_picture(
    tmp_path: Path,
) -> None:
    size = decoded(_sound_first_clip(tmp_path / "v.mp4"))
    assert size is not None
    assert size[:2] == (160, 90)
    assert size[2] == pytest.approx(1.0, abs=0.1)


def test_a_video_announced_over_the_cap_is_refused_before_a_byte_is_kept(tmp_path: Path) -> None:
    small = dataclasses.replace(LIMITS, max_bytes=2**20)
    got, room = _fetch(tmp_path, _serve(b"\0" * (2 * 2**20)), small)
    assert got == (
        "download failed 2 times: the media server announced 2.0 MB, over the 1.0 MB cap"
        " (REEL_DOWNLOAD_MAX_MB)"
    )
    assert room == [] and list((tmp_path / "out").iterdir()) == []


def test_an_empty_file_is_not_a_download(tmp_path: Path) -> None:
    got, room = _fetch(tmp_path, _serve(b""))
    assert got == "download failed 8 times: empty file"
    assert room == [] and list((tmp_path / "out").iterdir()) == []


class _Trickle(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(3):
            await anyio.sleep(0.05)
            yield b"y" * 100


def test_a_trickle_is_cut_off_saying_the_speed_it_was_held_to(tmp_path: Path) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_Trickle(), headers={"Content-Type": "video/mp4"})

    quick = dataclasses.replace(LIMITS, min_bytes_per_second=10 * 2**20, window=0.01)
    got, room = _fetch(tmp_path, handler, quick)
    assert isinstance(got, str)
    assert re.fullmatch(
        r"download failed 2 times: too slow: 100 bytes in \d+ s \(below 10240 KB/s\)", got
    ), got
    assert room == []


def test_the_frame_decoded_for_the_check_becomes_the_pages_poster(tmp_path: Path) -> None:
    body = make_clip(tmp_path / "src.mp4", 1.0).read_bytes()
    posters = tmp_path / "posters"

    async def go() -> Output:
        async with media_client(httpx.MockTransport(_serve(body))) as client:
            return await download(client, URL, tmp_path / "a.mp4", NO_WAIT, posters=posters)

    out = anyio.run(go)
    [poster] = posters.iterdir()
    assert poster.name == f"{out.sha256}.jpg"
    with Image.open(poster) as image:
        assert image.format == "JPEG"
