"""Public media URLs (no token, like a CDN) and the simulator's own /_sim endpoints."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.sim.abrupt import Abrupt
from runner.sim.context import SimContext, set_account
from runner.sim.jobs import Job
from runner.sim.media import Look, has_audio, served_size, stamped

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _look(ctx: SimContext, job: Job, *, watermark: bool) -> Look:
    """What a job's media shows: its reported size (times the media scale), sound when its
    model has it, and its variant (takes of one shot are different videos)."""
    request = job.request
    first, last = request.first, request.last
    look = Look(
        prompt=request.prompt,
        first_sha256=first.sha256 if first else None,
        last_sha256=last.sha256 if last else None,
        aspect=request.aspect,
        seconds=job.seconds,
        watermark=watermark,
        size=served_size(job.width, job.height, ctx.world.config.media_scale),
        audio=has_audio(request.model),
    )
    return replace(look, variant=ctx.media.variant(look, job.seq))


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single `bytes=a-b` Range, or None when absent or unusable."""
    found = _RANGE.match(header or "")
    if found is None:
        return None
    first, last = found.groups()
    if not first:  # a suffix: the last N bytes
        return (max(0, size - int(last)), size) if last else None
    start, end = int(first), min(size, int(last) + 1) if last else size
    return (start, end) if start < end else None


async def _serve(ctx: SimContext, request: Request, job: Job, kind: str, look: Look) -> Response:
    set_account(request, job.account)
    first = job.request.first.data if job.request.first else None
    last = job.request.last.data if job.request.last else None
    data = await asyncio.to_thread(ctx.media.get, kind, look, first, last)
    if kind == "mp4":
        data = stamped(data, job.seq)
    media_type = "video/mp4" if kind == "mp4" else "image/jpeg"
    headers = {"Accept-Ranges": "bytes"}
    status = 200
    wanted = request.headers.get("range")
    if wanted is not None:
        span = _byte_range(wanted, len(data))
        if span is None:
            return ctx.refuse(request, 416, "Range not satisfiable")
        headers["Content-Range"] = f"bytes {span[0]}-{span[1] - 1}/{len(data)}"
        data, status = data[span[0] : span[1]], 206
    rates = ctx.world.config.faults
    truncated = bool(rates.truncate) and (
        ctx.world.dice.draw("truncate", request.url.path) < rates.truncate
    )
    sent = data[: len(data) // 2] if truncated else data
    ctx.world.record(
        "downloads",
        videoId=job.video_id,
        path=request.url.path,
        bytes=len(sent),
        truncated=truncated,
        withToken="authorization" in request.headers,
    )
    if truncated:
        ctx.fault(request, "truncate", videoId=job.video_id)
        return Abrupt(sent, len(data), media_type)
    return Response(data, status_code=status, media_type=media_type, headers=headers)


async def video_file(ctx: SimContext, request: Request) -> Response:
    name: str = request.path_params["name"]
    number, watermark = name.removesuffix("-wm"), name.endswith("-wm")
    job = ctx.world.job_by_number(number)
    if job is None or job.status() != 2:
        return ctx.refuse(request, 404, "Not found.")
    if not watermark and ctx.world.accounts[job.account].config.plan != "paid":
        return ctx.refuse(request, 404, "Not found.")
    return await _serve(ctx, request, job, "mp4", _look(ctx, job, watermark=watermark))


async def cover(ctx: SimContext, request: Request) -> Response:
    job = ctx.world.job_by_number(request.path_params["number"])
    if job is None or job.status() != 2:
        return ctx.refuse(request, 404, "Not found.")
    return await _serve(ctx, request, job, "jpg", _look(ctx, job, watermark=False))


async def uploaded(ctx: SimContext, request: Request) -> Response:
    stored = ctx.world.file_by_key(request.path_params["key"])
    if stored is None:
        return ctx.refuse(request, 404, "Not found.")
    return Response(stored.data, media_type=stored.content_type)


async def ledger(ctx: SimContext, _request: Request) -> Response:
    return JSONResponse(ctx.world.ledger_json())


async def inbox(ctx: SimContext, request: Request) -> Response:
    """A replyUrl target for tests: stores what it is sent."""
    try:
        payload: Any = await request.json()
    except ValueError:
        payload = (await request.body()).decode(errors="replace")
    ctx.world.record("inbox", payload=payload)
    return JSONResponse({"ok": True})
