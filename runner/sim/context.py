"""What every route of the simulator shares: the world, media cache, and the reply helpers."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from runner.sim.media import MediaCache
from runner.sim.world import World

BUSY_MESSAGE = "The MiniMax website is too busy to respond, please try again later"
_ACCOUNT_IN_ID = re.compile(r"-minimax:([^-:/]+)-")


@dataclass(slots=True)
class SimContext:
    """The state behind one simulator's routes."""

    world: World
    media: MediaCache = field(default_factory=MediaCache)
    root: str = "http://127.0.0.1"
    """Where the server was last reached (for URLs in callbacks, sent without a request)."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def root_of(self, request: Request) -> str:
        self.root = str(request.base_url).rstrip("/")
        return self.root

    def refuse(self, request: Request, status: int, error: str, **extra: Any) -> JSONResponse:
        """An error reply `{"error", "code"}` (plus extra fields), recorded as a refusal."""
        self.world.record(
            "refusals",
            path=request.url.path,
            status=status,
            account=account_of(request),
            error=error,
        )
        return JSONResponse({"error": error, **extra, "code": status}, status_code=status)

    def fault(self, request: Request, kind: str, **extra: Any) -> None:
        self.world.record(
            "faults", kind=kind, path=request.url.path, account=account_of(request), **extra
        )

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.world.config.bearer}"


def set_account(request: Request, account: str) -> None:
    """Name the account a request is about, for the ledger."""
    request.scope["sim.account"] = account


def account_of(request: Request) -> str | None:
    named: str | None = request.scope.get("sim.account")
    if named:
        return named
    query = request.query_params.get("account")
    if query:
        return query
    found = _ACCOUNT_IN_ID.search(request.url.path)
    return found.group(1) if found else None
