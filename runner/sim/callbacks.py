"""replyUrl callbacks: when a job ends, POST its video model (with replyRef) to its replyUrl.

A background task of the server wakes when the next render ends, so callbacks go out on time
even when nobody polls. Posts are fire-and-forget; each outcome goes into the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from runner.sim.context import SimContext
from runner.sim.jobs import Job
from runner.sim.views import video_model

TICK = 0.25
"""Longest sleep between looks at the clock, in case a job is created meanwhile."""


async def run_callbacks(ctx: SimContext) -> None:
    """Loop until cancelled: post a callback for every job that ends."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            while True:
                now = ctx.world.advance()
                for job in ctx.world.take_ended():
                    if job.request.reply_url:
                        task = asyncio.create_task(_post(ctx, client, job))
                        ctx.tasks.add(task)
                        task.add_done_callback(ctx.tasks.discard)
                following = ctx.world.next_event()
                delay = TICK if following is None else min(TICK, max(0.0, following - now))
                await asyncio.sleep(delay)
        finally:
            for task in list(ctx.tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*ctx.tasks, return_exceptions=True)


async def _post(ctx: SimContext, client: httpx.AsyncClient, job: Job) -> None:
    url = job.request.reply_url or ""
    with ctx.world.lock:
        payload = video_model(ctx.world, job, ctx.root)
    try:
        reply = await client.post(url, json=payload)
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        # The fence in tests raises RuntimeError for non-loopback hosts; a real server's
        # callback target may be down: either way the job is done, only the ledger notes it.
        ctx.world.record("callbacks", videoId=job.video_id, url=url, status=None, error=str(exc))
        return
    ctx.world.record(
        "callbacks", videoId=job.video_id, url=url, status=reply.status_code, error=None
    )
