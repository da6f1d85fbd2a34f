"""Fetching a finished video: streamed to a temporary file beside the target, checked, renamed.

Media URLs are public CDN addresses, so they are fetched with a separate client that never
carries the API token. A download shorter than its Content-Length is retried; a file is
complete only when PyAV decodes a video frame from it, and only a complete file is renamed into
place, so `<output>/<shot-id>.mp4` is either absent or a video. Every attempt is bounded in
size, time and speed (`DownloadLimits`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from runner.api import pool
from runner.errors import UsageError
from runner.run.retry import Timing
from runner.state.posters import first_frame, seconds, try_poster
from runner.state.takestate import Output

DOWNLOAD_TRIES = 8
"""Attempts at a download that broke off (truncated, reset, a 5xx)."""
CONTENT_TRIES = 2
"""Attempts at a download that is not a video (an HTML page, an image, too big), crawls or
loops in redirects, before the shot-take fails (a rerun downloads it again)."""


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    """Bounds on one download attempt, so that no media server can hang a run or fill a disk.

    A Veo 4k 8 s video is some 50-100 MB; the size cap leaves room for ten times that. The
    minimum speed (checked once `window` seconds have passed) ends a trickle; the deadline ends
    anything else. Each is set by an environment variable (`REEL_DOWNLOAD_MAX_MB`,
    `REEL_DOWNLOAD_MIN_KBPS`, `REEL_DOWNLOAD_WINDOW_S`, `REEL_DOWNLOAD_DEADLINE_S`)."""

    max_bytes: int = 1024 * 1024 * 1024
    min_bytes_per_second: float = 32 * 1024
    window: float = 30.0
    deadline: float = 900.0

    @classmethod
    def from_env(cls) -> DownloadLimits:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise UsageError(f"{name}={raw!r} is not a number") from None
            if value <= 0:
                raise UsageError(f"{name}={raw!r} must be above 0")
            return value

        base = cls()
        return cls(
            max_bytes=int(number("REEL_DOWNLOAD_MAX_MB", base.max_bytes / 2**20) * 2**20),
            min_bytes_per_second=number("REEL_DOWNLOAD_MIN_KBPS", 32.0) * 1024,
            window=number("REEL_DOWNLOAD_WINDOW_S", base.window),
            deadline=number("REEL_DOWNLOAD_DEADLINE_S", base.deadline),
        )


class DownloadFailed(Exception):
    """The video could not be fetched completely."""


class TooSlow(DownloadFailed):
    """The media server sends below the minimum speed."""


class NotAVideo(DownloadFailed):
    """What arrived whole is not a decodable video."""


def media_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client for media URLs: no Authorization header, ever."""
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(60.0, connect=15.0),
        transport=transport or pool.transport(limits),
        follow_redirects=True,
        max_redirects=5,
        limits=limits,
    )


def _size_text(size: int) -> str:
    return f"{size:,} bytes" if size < 2**20 else f"{size / 2**20:,.1f} MB"


async def _fetch_once(
    client: httpx.AsyncClient, url: str, temp: Path, limits: DownloadLimits
) -> tuple[int, str, str]:
    """(size, sha256, content type) of one complete transfer into `temp`."""
    h = hashlib.sha256()
    size = 0
    started = time.monotonic()
    with anyio.fail_after(limits.deadline):
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code} from the media server")
            expected = response.headers.get("Content-Length")
            ctype = response.headers.get("Content-Type", "no content type")
            if expected is not None and expected.isdigit() and int(expected) > limits.max_bytes:
                raise NotAVideo(
                    f"the media server announced {_size_text(int(expected))}, over the"
                    f" {_size_text(limits.max_bytes)} cap (REEL_DOWNLOAD_MAX_MB)"
                )
            with temp.open("wb") as f:
                async for chunk in response.aiter_raw():  # as it comes: a trickle shows
                    f.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise NotAVideo(
                            f"more than {_size_text(limits.max_bytes)} arrived ({ctype}), over"
                            " the cap (REEL_DOWNLOAD_MAX_MB)"
                        )
                    elapsed = time.monotonic() - started
                    if elapsed > limits.window and size < limits.min_bytes_per_second * elapsed:
                        raise TooSlow(
                            f"too slow: {_size_text(size)} in {elapsed:.0f} s (below"
                            f" {limits.min_bytes_per_second / 1024:.0f} KB/s)"
                        )
                f.flush()
                os.fsync(f.fileno())
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise DownloadFailed(f"truncated: {size} of {expected} bytes")
    if size == 0:
        raise DownloadFailed("empty file")
    return size, h.hexdigest(), ctype


async def download(
    client: httpx.AsyncClient,
    url: str,
    target: Path,
    timing: Timing,
    make_room: Callable[[str], Awaitable[None]] | None = None,
    limits: DownloadLimits | None = None,
    posters: Path | None = None,
) -> Output:
    """Download `url` to `target` atomically; retry truncated or failed transfers. The file is
    complete only when PyAV decodes a video frame from it (else it is fetched once more, then
    the download fails saying what arrived). An OSError means the output folder cannot be
    written (a full disk): it is raised as it is. `make_room(sha256)` runs just before the
    complete file takes `target`'s place (it sets an earlier file there aside). With `posters`
    (a folder), the frame decoded for the check also becomes the review page's poster there,
    named by the file's sha256 (`runner.state.posters`)."""
    limits = limits or DownloadLimits.from_env()
    temp = target.with_name(f".{target.name}.part")
    last = "no attempt"
    hopeless = 0
    for attempt in range(1, DOWNLOAD_TRIES + 1):
        try:
            size, digest, ctype = await _fetch_once(client, url, temp, limits)
            poster = posters / f"{digest}.jpg" if posters is not None else None
            probe = await anyio.to_thread.run_sync(decoded, temp, poster)
            if probe is None:
                raise NotAVideo(
                    f"{_size_text(size)} of {ctype} that is not a video ({_sniff(temp)})"
                )
        except OSError:
            # The local disk refused the file (full, read-only): retrying cannot help.
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        except (httpx.HTTPError, DownloadFailed, TimeoutError) as exc:
            last = str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                last = f"not complete after {limits.deadline:.0f} s (REEL_DOWNLOAD_DEADLINE_S)"
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            # Wrong content, a redirect loop or a crawl is unlikely to come right soon: a rerun
            # tries again later (the job id is kept).
            hopeless += isinstance(exc, NotAVideo | TooSlow | httpx.TooManyRedirects | TimeoutError)
            if hopeless >= CONTENT_TRIES:
                break
            await anyio.sleep(timing.backoff(attempt))
            continue
        if make_room is not None:
            await make_room(digest)
        temp.replace(target)
        width, height, duration = probe
        return Output(target, size, digest, width, height, duration)
    raise DownloadFailed(f"download failed {attempt} times: {last}")


def _sniff(path: Path) -> str:
    """A few words on what a file that is not a video holds."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError:
        return "unreadable"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if not head.strip(b"\0"):
        return "only zero bytes"
    return f"starts with {head[:16]!r}"


def _still_image(format_name: str) -> bool:
    """PyAV opens a PNG, JPEG or GIF as a one-frame video: not what a render delivers."""
    return "_pipe" in format_name or format_name.startswith("image2") or format_name == "gif"


def decoded(path: Path, poster: Path | None = None) -> tuple[int, int, float | None] | None:
    """(width, height, seconds) of a file PyAV opens as a video and decodes a frame from;
    None for anything else. The frame of a video is saved as its `poster` (best effort)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video or _still_image(container.format.name):
                return None
            frame = first_frame(container)
            if frame is None or not frame.width or not frame.height:
                return None
            if poster is not None:
                try_poster(frame, poster)
            return int(frame.width), int(frame.height), seconds(container)
    except (av.FFmpegError, OSError, ValueError, StopIteration, EOFError):
        return None
