"""The /v1/minimax endpoints: accounts, files, videos and the scheduler.

Each handler gets the shared SimContext; `app._api` wraps them with the token check and the
faults every call can meet. POST /videos/create lives in routes_create.py.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.sim.context import SimContext, set_account
from runner.sim.views import account_view, available, file_url, scheduler_entry, video_model

MAX_UPLOAD_BYTES = 50_000_000
_FORMATS = {"image/png": ("PNG",), "image/jpeg": ("JPEG", "WEBP")}


async def accounts(ctx: SimContext, _request: Request) -> Response:
    world = ctx.world
    with world.lock:
        return JSONResponse({a: account_view(s, world) for a, s in world.accounts.items()})


async def account(ctx: SimContext, request: Request) -> Response:
    name = request.path_params["account"]
    state = ctx.world.accounts.get(name)
    if state is None:
        return ctx.refuse(request, 404, f"Account {name} not found")
    with ctx.world.lock:
        return JSONResponse(account_view(state, ctx.world))


def _account_param(ctx: SimContext, request: Request) -> str | Response:
    """The `account` query parameter: optional with one account configured, else required
    (the docs of POST /files and GET /videos)."""
    name = request.query_params.get("account")
    names = list(ctx.world.accounts)
    if name is None:
        if len(names) > 1:
            return ctx.refuse(request, 400, "Parameter account is required")
        return names[0]
    if name not in ctx.world.accounts:
        return ctx.refuse(request, 400, f"Account {name} is not configured")
    return name


def _image_problem(kind: str, data: bytes) -> tuple[str | None, tuple[int, int]]:
    """Why these bytes are not an image of that Content-Type (None: they are), and its size."""
    if not data:
        return "Request body is empty, send the image bytes", (0, 0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            found, size = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return f"Request body is not a valid {kind} image", (0, 0)
    if found not in _FORMATS[kind]:
        return f"Request body is a {found} image, not {kind}", size
    return None, size


async def upload(ctx: SimContext, request: Request) -> Response:
    name = _account_param(ctx, request)
    if isinstance(name, Response):
        return name
    set_account(request, name)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _FORMATS:
        return ctx.refuse(request, 400, "Content-Type must be image/png or image/jpeg")
    data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        return ctx.refuse(request, 413, "File is too large")
    problem, size = _image_problem(kind, data)
    if problem is not None:
        return ctx.refuse(request, 400, problem)
    stored = ctx.world.add_file(name, data, hashlib.sha256(data).hexdigest(), kind, size)
    return JSONResponse(
        {"ossPath": file_url(ctx.root_of(request), stored), "fileID": stored.file_id}
    )


async def video(ctx: SimContext, request: Request) -> Response:
    video_id = request.path_params["video_id"]
    raw_path: bytes = request.scope.get("raw_path") or b""
    # useapi matches ids with their raw `:`; an encoded one (%3A) finds nothing there either.
    job = None if b"%3a" in raw_path.lower() else ctx.world.find(video_id)
    if job is None:
        return ctx.refuse(request, 404, "Not found.")
    with ctx.world.lock:
        return JSONResponse(video_model(ctx.world, job, ctx.root_of(request)))


async def videos(ctx: SimContext, request: Request) -> Response:
    name = _account_param(ctx, request)
    if isinstance(name, Response):
        return name
    try:
        limit = int(request.query_params.get("limit", "30"))
    except ValueError:
        return ctx.refuse(request, 400, "Parameter limit must be an integer")
    if not 1 <= limit <= 100:
        return ctx.refuse(request, 400, "Parameter limit must be within 1...100")
    jobs = ctx.world.listing(name, limit, request.query_params.get("lastVideoId"))
    root = ctx.root_of(request)
    with ctx.world.lock:
        return JSONResponse([video_model(ctx.world, j, root, percent=False) for j in jobs])


async def scheduler(ctx: SimContext, _request: Request) -> Response:
    with ctx.world.lock:
        return JSONResponse([scheduler_entry(ctx.world, j) for j in ctx.world.tracked()])


async def scheduler_available(ctx: SimContext, _request: Request) -> Response:
    with ctx.world.lock:
        return JSONResponse(available(ctx.world))


async def cancel(ctx: SimContext, request: Request) -> Response:
    try:
        body: Any = json.loads(await request.body() or b"null")
    except ValueError:
        return ctx.refuse(request, 400, "Request body is not valid JSON")
    video_id = body.get("videoId") if isinstance(body, dict) else None
    if not isinstance(video_id, str):
        return ctx.refuse(request, 400, "Parameter videoId is required")
    job = ctx.world.find(video_id)
    if job is None:
        return ctx.refuse(request, 404, "Not found.")
    set_account(request, job.account)
    if not ctx.world.cancel(job):
        return ctx.refuse(request, 400, f"Video {video_id} has already ended")
    return JSONResponse({"videoId": video_id, "cancelled": True})
