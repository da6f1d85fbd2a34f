"""Fetching a finished video: streamed to a temporary file beside the target, checked, renamed.

Media URLs are public CDN addresses, so they are fetched with a separate client that never
carries the API token. A download shorter than its Content-Length is retried; only a complete
file is renamed into place, so `<output>/<shot-id>.mp4` is either absent or whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx

from runner.run.retry import Timing
from runner.state.takestate import Output

DOWNLOAD_TRIES = 8
QUICK_PROBE = {"probesize": "4096", "analyzeduration": "0"}


class DownloadFailed(Exception):
    """The video could not be fetched completely."""


def media_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client for media URLs: no Authorization header, ever."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(60.0, connect=15.0),
        transport=transport,
        follow_redirects=True,
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
    )


async def _fetch_once(client: httpx.AsyncClient, url: str, temp: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise DownloadFailed(f"HTTP {response.status_code} from the media server")
        expected = response.headers.get("Content-Length")
        with temp.open("wb") as f:
            async for chunk in response.aiter_raw(1 << 16):
                f.write(chunk)
                h.update(chunk)
                size += len(chunk)
            f.flush()
            os.fsync(f.fileno())
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise DownloadFailed(f"truncated: {size} of {expected} bytes")
    if size == 0:
        raise DownloadFailed("empty file")
    return size, h.hexdigest()


async def download(
    client: httpx.AsyncClient,
    url: str,
    target: Path,
    timing: Timing,
    make_room: Callable[[str], Awaitable[None]] | None = None,
) -> Output:
    """Download `url` to `target` atomically; retry truncated or failed transfers. An OSError
    means the output folder cannot be written (a full disk): it is raised as it is.
    `make_room(sha256)` runs just before the complete file takes `target`'s place (it sets an
    earlier file there aside)."""
    temp = target.with_name(f".{target.name}.part")
    last = "no attempt"
    for attempt in range(1, DOWNLOAD_TRIES + 1):
        try:
            size, digest = await _fetch_once(client, url, temp)
        except OSError:
            # The local disk refused the file (full, read-only): retrying cannot help.
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        except (httpx.HTTPError, DownloadFailed) as exc:
            last = str(exc) or type(exc).__name__
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            await anyio.sleep(timing.backoff(attempt))
            continue
        width, height = video_size(temp)
        if make_room is not None:
            await make_room(digest)
        temp.replace(target)
        return Output(path=target, size=size, sha256=digest, width=width, height=height)
    raise DownloadFailed(f"download failed {DOWNLOAD_TRIES} times: {last}")


def video_size(path: Path) -> tuple[int | None, int | None]:
    """Width and height of the first video stream, read with PyAV (None when unreadable)."""
    import av

    # The container's header has the size: skip most of the stream probing (a third of the
    # CPU), and probe fully only when that did not find it.
    for options in (QUICK_PROBE, {}):
        try:
            with av.open(str(path), options=options) as container:
                streams = container.streams.video
                if not streams:
                    return None, None
                ctx = streams[0].codec_context
                if ctx.width and ctx.height:
                    return int(ctx.width), int(ctx.height)
        except (av.FFmpegError, OSError, ValueError):
            return None, None
    return None, None
