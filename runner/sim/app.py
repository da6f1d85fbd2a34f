"""The simulator's ASGI app: routes, the token check, per-call faults, the request ledger."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.sim import routes_api, routes_create, routes_media
from runner.sim.abrupt import Abrupt
from runner.sim.callbacks import run_callbacks
from runner.sim.context import BUSY_MESSAGE, SimContext, account_of
from runner.sim.faults import call_fault
from runner.sim.world import World

BASE = "/v1/minimax"
Handler = Callable[[SimContext, Request], Awaitable[Response]]


def _api(
    ctx: SimContext, handler: Handler, *, own_faults: bool = False, useapi_own: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an API handler: 401 without the token, then slow replies and per-call faults.

    `useapi_own`: an endpoint useapi answers itself (accounts, scheduler): it meets the per-call
    faults only with `FaultRates.own_endpoints` (no doc says it fails like MiniMax's site).
    """

    async def endpoint(request: Request) -> Response:
        world = ctx.world
        if not ctx.authorized(request):
            return ctx.refuse(request, 401, "Unauthorized")
        rates = world.config.faults
        if useapi_own and not rates.own_endpoints:
            return await handler(ctx, request)
        key = f"{request.method} {request.url.path}?{request.url.query}"
        if rates.slow and world.dice.draw("slow", key) < rates.slow:
            ctx.fault(request, "slow")
            await asyncio.sleep(rates.slow_seconds / world.config.speed)
        fault = None if own_faults else call_fault(rates, world.dice.draw("call", key))
        if fault in ("502", "504"):
            ctx.fault(request, str(fault))
            return ctx.refuse(request, int(str(fault)), BUSY_MESSAGE)
        if fault == "reset":
            ctx.fault(request, "reset")
            return Abrupt()
        response = await handler(ctx, request)
        if fault == "reset_after":
            ctx.fault(request, "reset_after")
            return Abrupt()
        return response

    return endpoint


def _plain(ctx: SimContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(ctx, request)

    return endpoint


class _RequestLedger:
    """Records every request (method, path, status, account) once its reply has gone."""

    def __init__(self, app: ASGIApp, ctx: SimContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/_sim/ledger":
            await self.app(scope, receive, send)
            return
        world = self.ctx.world
        # Recorded before the reply leaves, so that a client reading the ledger after its
        # reply always finds its request; status 0 stays when the connection is dropped.
        entry = world.record(
            "requests", method=scope["method"], path=scope["path"], status=0, account=None
        )

        def note(status: int) -> None:
            with world.lock:
                entry["status"] = status
                entry["account"] = account_of(Request(scope))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                note(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if entry["status"] == 0:
                note(0)


def make_app(world: World) -> ASGIApp:
    """The whole simulated service for one world."""
    ctx = SimContext(world=world)

    def api(path: str, handler: Handler, method: str, *, own_faults: bool = False) -> Route:
        return Route(BASE + path, _api(ctx, handler, own_faults=own_faults), methods=[method])

    def useapi(path: str, handler: Handler) -> Route:
        return Route(BASE + path, _api(ctx, handler, useapi_own=True), methods=["GET"])

    def plain(path: str, handler: Handler, method: str = "GET") -> Route:
        return Route(path, _plain(ctx, handler), methods=[method])

    routes = [
        useapi("/accounts", routes_api.accounts),
        useapi("/accounts/{account}", routes_api.account),
        api("/files", routes_api.upload, "POST"),
        api("/files/", routes_api.upload, "POST"),
        api("/videos/create", routes_create.create, "POST", own_faults=True),
        api("/videos/cancel", routes_api.cancel, "POST"),
        api("/videos", routes_api.videos, "GET"),
        api("/videos/", routes_api.videos, "GET"),
        api("/videos/{video_id:path}", routes_api.video, "GET"),
        useapi("/scheduler", routes_api.scheduler),
        useapi("/scheduler/", routes_api.scheduler),
        useapi("/scheduler/available", routes_api.scheduler_available),
        plain("/cdn/video/{name}.mp4", routes_media.video_file),
        plain("/cdn/cover/{number}.jpg", routes_media.cover),
        plain("/cdn/files/{key}.{ext}", routes_media.uploaded),
        plain("/_sim/ledger", routes_media.ledger),
        plain("/_sim/inbox", routes_media.inbox, "POST"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        error = "Not found." if status == 404 else "Method not allowed"
        return ctx.refuse(request, status, error)

    async def client_gone(request: Request, _exc: Exception) -> Response:
        # A client that hangs up mid-body (its timeout, a reset) is routine, not a server error:
        # record it like nginx's 499 instead of letting uvicorn print a traceback.
        return ctx.refuse(request, 499, "Client closed the request")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_callbacks(ctx))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found, ClientDisconnect: client_gone},
        lifespan=lifespan,
    )
    return _RequestLedger(app, ctx)
