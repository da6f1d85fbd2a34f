"""Responses that end the connection abruptly: simulated resets and truncated downloads.

From the client's side these must be transport errors (httpx raises RemoteProtocolError or
ReadError), never a 500. When uvicorn's connection is reachable through `receive` (its h11
protocol), the socket is closed directly and uvicorn stays quiet; otherwise the response is
left incomplete, uvicorn closes the connection, and `quiet_uvicorn` drops its log line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

_INCOMPLETE = "ASGI callable returned without completing response."


class Abrupt(Response):
    """Send `partial` of a `declared`-byte body (or nothing at all), then close."""

    def __init__(
        self, partial: bytes = b"", declared: int = 0, media_type: str = "application/json"
    ) -> None:
        super().__init__(content=b"", media_type=media_type)
        self.partial = partial
        self.declared = max(declared, len(partial) + 1)

    async def __call__(self, _scope: Scope, receive: Receive, send: Send) -> None:
        cycle: Any = getattr(receive, "__self__", None)
        transport: Any = getattr(cycle, "transport", None)
        if transport is not None and not self.partial:
            transport.abort()  # a reset before any reply: no status line at all
            await _until_disconnected(cycle)
            return
        headers = [
            (b"content-type", self.media_type.encode() if self.media_type else b"text/plain"),
            (b"content-length", str(self.declared).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if self.partial:
            await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        if transport is not None:
            transport.close()  # flushes what was sent, then closes
            await _until_disconnected(cycle)


async def _until_disconnected(cycle: Any) -> None:
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


class _DropIncomplete(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_INCOMPLETE)


_FILTER = _DropIncomplete()


def quiet_uvicorn() -> None:
    """Keep uvicorn from logging the simulator's deliberate incomplete replies as errors."""
    logger = logging.getLogger("uvicorn.error")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
