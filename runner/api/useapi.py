"""The useapi.net MiniMax client: one httpx.AsyncClient, typed replies, typed refusals.

Every reply is read leniently (the API documents all fields as optional): missing fields get
defaults, extra fields are ignored. Every refusal becomes an `ApiError` subclass chosen by HTTP
status, so the scheduler's policy is a `match` on types, not on numbers. A failure of the
transport is split in two, because it decides whether money may have been spent:
`TransportFailed` (nothing reached the server) and `MaybeQueued` (the request went out and the
answer was lost: the job may exist).

Ids contain `:` and go into URL paths raw; httpx leaves `:` in a path unencoded.
The token is registered with `runner.api.redact` and never appears in an exception's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from runner.api import pool
from runner.api.records import Account, Available, Created, SchedulerJob, Upload, Video
from runner.api.redact import redact, register_secret

DEFAULT_BASE_URL = "https://api.useapi.net/v1/minimax"
CONNECTIONS = 16


class ApiError(Exception):
    """The API answered with an error status."""

    def __init__(self, status: int | None, error: str, body: Any = None) -> None:
        self.status = status
        self.error = redact(error)
        self.body = body
        super().__init__(f"HTTP {status}: {self.error}" if status else self.error)


class BadRequest(ApiError):
    """400: the request was refused as invalid; resending it cannot help."""


class Unauthorized(ApiError):
    """401: the token was rejected."""


class NotFound(ApiError):
    """404: for a video, moderated and removed after generation."""


class OutOfCredits(ApiError):
    """412: the account has no credits left."""


class Moderated(ApiError):
    """422: the prompt or image was moderated at submission."""


class Busy(ApiError):
    """429: no free slot on the account (or MiniMax's own queue is full)."""


class OnHold(ApiError):
    """596: the account is on hold for some hours."""


class ServerError(ApiError):
    """Any other 5xx: the request reached the server, which failed."""


class MaybeQueued(ApiError):
    """502/504, a timeout or a dropped connection after the request was sent: the job may exist."""


class NotTheApi(ApiError):
    """The base URL answered with something the API never sends (an HTML page, a redirect):
    asking again cannot help."""


class BadReply(ApiError):
    """The API answered 200 with something Reel must not use (a videoId of another shape)."""


VIDEO_ID = re.compile(r"user:\d+-minimax:[A-Za-z0-9_]+-video:[A-Za-z0-9_]+")
"""The documented shape of a videoId: nothing else goes into a URL path."""


def checked_video_id(video_id: str) -> str:
    """`video_id` when it has the documented shape; BadReply (showing it) otherwise."""
    if VIDEO_ID.fullmatch(video_id) is None:
        raise BadReply(200, f"the API answered with a videoId Reel cannot use: {video_id!r}")
    return video_id


class TransportFailed(ApiError):
    """Nothing reached the server (connection refused, DNS, connect timeout): safe to resend."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    412: OutOfCredits,
    422: Moderated,
    429: Busy,
    502: MaybeQueued,
    504: MaybeQueued,
    596: OnHold,
}


def _is_html(response: httpx.Response) -> bool:
    head = response.content[:200].lstrip().lower()
    return "html" in response.headers.get("Content-Type", "") or head.startswith(
        (b"<!doctype html", b"<html")
    )


def _refusal(response: httpx.Response) -> ApiError:
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text[:500]
    message = body.get("error") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = response.reason_phrase or "error"
        if _is_html(response):
            message = f"an HTML page ({message}), not the API's JSON: is the base URL right?"
    kind = _BY_STATUS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else ApiError
    return kind(response.status_code, message, body)


def _transport(exc: httpx.TransportError) -> ApiError:
    # Only failures that happen before the request leaves are safe to resend blindly.
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransportFailed(None, f"{type(exc).__name__}: {exc}")
    return MaybeQueued(None, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    base_url: str
    token: str
    timeout: float = 60.0


class UseApi:
    """The API calls a batch runner makes, over one shared AsyncClient."""

    def __init__(
        self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        register_secret(config.token)
        self.timeout = config.timeout
        """Seconds a request may take before it counts as lost."""
        self.requests = 0
        """HTTP requests sent (for the run's figures)."""
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {config.token}"},
            timeout=config.timeout,
            transport=transport or pool.transport(limits),
            limits=limits,
        )
        # Requests wait here rather than in httpcore's pool, whose queue is scanned per request.
        self._gate = anyio.CapacityLimiter(CONNECTIONS)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> UseApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests += 1
        try:
            async with self._gate:
                response = await self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _transport(exc) from None
        except httpx.RequestError as exc:  # a reply that could not be decoded
            raise MaybeQueued(None, f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise _refusal(response)
        if 300 <= response.status_code < 400:  # the API never redirects (nor is followed)
            where = response.headers.get("Location", "nowhere")
            raise NotTheApi(response.status_code, f"a redirect to {where}: is the base URL right?")
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            if _is_html(response):
                raise NotTheApi(
                    response.status_code,
                    "an HTML page, not the API's JSON: is the base URL right?",
                ) from None
            # A 200 with a body we cannot read: the request did reach the server.
            raise MaybeQueued(response.status_code, "unreadable reply") from None

    async def accounts(self) -> list[Account]:
        """GET /accounts: every configured MiniMax account."""
        raw = await self._call("GET", "/accounts")
        if isinstance(raw, dict):
            items = [
                {"account": k, **v} if isinstance(v, dict) else {"account": k}
                for k, v in raw.items()
            ]
        elif isinstance(raw, list):
            items = [v for v in raw if isinstance(v, dict)]
        else:
            items = []
        return [Account.from_json(v) for v in items]

    async def available(self) -> tuple[list[Available], list[SchedulerJob]]:
        """GET /scheduler/available: free slots per account and the jobs executing."""
        raw = await self._call("GET", "/scheduler/available")
        raw = raw if isinstance(raw, dict) else {}
        slots = [Available.from_json(v) for v in _dicts(raw.get("available"))]
        running = [SchedulerJob.from_json(v) for v in _dicts(raw.get("executing"))]
        return slots, running

    async def scheduler(self) -> list[SchedulerJob]:
        """GET /scheduler: the jobs useapi is tracking."""
        return [SchedulerJob.from_json(v) for v in _dicts(await self._call("GET", "/scheduler"))]

    async def upload(self, account: str, image: bytes | Path, content_type: str) -> Upload:
        """POST /files/?account=A with the raw image bytes (a file is streamed from disk, so
        a large image never sits in memory whole)."""
        if isinstance(image, Path):
            size = image.stat().st_size
            content: bytes | AsyncIterator[bytes] = _file_chunks(image)
            headers = {"Content-Type": content_type, "Content-Length": str(size)}
        else:
            content, headers = image, {"Content-Type": content_type}
        raw = await self._call(
            "POST", "/files/", params={"account": account}, content=content, headers=headers
        )
        return Upload.from_json(raw if isinstance(raw, dict) else {})

    async def create(self, body: dict[str, Any]) -> Created:
        """POST /videos/create. Spends money: the caller decides whether a resend is safe."""
        raw = await self._call("POST", "/videos/create", json=body)
        created = Created.from_json(raw if isinstance(raw, dict) else {})
        if not created.video_id:
            raise MaybeQueued(200, "the create reply carried no videoId", raw)
        checked_video_id(created.video_id)
        return created

    async def video(self, video_id: str) -> Video:
        """GET /videos/{videoId}; NotFound means moderated and removed."""
        raw = await self._call("GET", f"/videos/{checked_video_id(video_id)}")
        return Video.from_json(raw if isinstance(raw, dict) else {})

    async def videos(
        self, account: str, limit: int = 30, last_video_id: str | None = None
    ) -> list[Video]:
        """GET /videos/?account=A: the account's videos, newest first (older than
        `last_video_id` when given: the next page)."""
        params: dict[str, str | int] = {"account": account, "limit": limit}
        if last_video_id is not None:
            params["lastVideoId"] = last_video_id
        raw = await self._call("GET", "/videos/", params=params)
        return [Video.from_json(v) for v in _dicts(raw)]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as f:
        while chunk := await f.read(1 << 16):
            yield chunk


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
