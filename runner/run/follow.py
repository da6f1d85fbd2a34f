"""Following a created job to its end: adaptive polling, then the download.

The job's slot on its account is freed as soon as the job is seen final (before the download).
How often and how a job is read is `runner.run.watch`'s business: jobs of one account are
read together.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import anyio.to_thread

from runner.api.records import Video
from runner.run.context import RunContext
from runner.run.download import DownloadFailed, download
from runner.run.watch import until_final
from runner.state.posters import POSTERS
from runner.state.takestate import TakeState


async def poll(
    ctx: RunContext, st: TakeState, account: str, first_delay: float, *, finished: bool = False
) -> Video | None:
    """Wait until the job of `st` is final (read with its account's other jobs, `run.watch`;
    by id when it is known to have `finished`). None when it was moderated and removed (404) or
    the API stopped answering (st is then ended, its job id kept)."""
    assert ctx.watches is not None
    return await until_final(ctx.watches, st, account, first_delay, finished=finished)


async def follow(ctx: RunContext, st: TakeState, account: str, *, holds_slot: bool) -> None:
    """Poll the job of `st` to its end, free its slot, and download a completed video."""
    job = st.journal_id
    assert job is not None
    try:
        video = await poll(ctx, st, account, ctx.timing.first_poll if holds_slot else 0.0)
    finally:
        if holds_slot:
            ctx.placement.release(account)
    if video is None:
        if st.status == "moderated":
            await ctx.journal.set_state(job, "moderated", st.error)
        ctx.show_end(st)
        return
    st.completed = time.time()
    if video.moderated:
        st.end("moderated", video.message or "moderated")
    elif not video.completed:
        st.end("failed", video.message or f"the job ended with status {video.status}")
    if st.status in ("moderated", "failed"):
        await ctx.journal.set_state(job, st.status, st.error)
        ctx.show_end(st)
        return
    await fetch(ctx, st, video)  # the journal says completed once the file is in place


def make_room(
    ctx: RunContext, st: TakeState, target: Path
) -> Callable[[str], Awaitable[None]] | None:
    """What sets an earlier file at `target` aside before the new video takes its place."""
    history = ctx.history
    if history is None:
        return None
    forced = st.take.shot.id in ctx.force

    async def move(sha: str) -> None:
        # Nothing there (a first render): nothing to hash or move, so no worker thread. Only
        # this shot-take's download puts a file at `target` in this run.
        if not os.path.lexists(target):
            return
        await anyio.to_thread.run_sync(
            lambda: history.set_aside(st.take, target, sha, ctx.journal, forced)
        )
        ctx.changed()

    return move


async def fetch(ctx: RunContext, st: TakeState, video: Video) -> None:
    """Download the video of a completed job into the output folder."""
    job = st.journal_id
    assert job is not None
    url = video.media_url
    if url is None:
        st.end("failed", "the completed video has no videoURL")
        ctx.show(st, "failed", detail=st.error)
        return
    ctx.show(st, "downloading")
    try:
        target = ctx.output / st.take.output_name
        out = await download(
            ctx.media,
            url,
            target,
            ctx.timing,
            make_room(ctx, st, target),
            posters=ctx.output / POSTERS,
        )
    except OSError as exc:
        # A full or read-only disk stops the run; the job id is kept, a rerun downloads it.
        st.error = f"could not write {st.take.output_name}: {exc.strerror or exc}"
        ctx.stop(f"cannot write to {ctx.output}: {exc.strerror or exc}")
        return
    except DownloadFailed as exc:
        st.end("failed", f"{exc}; a rerun downloads it again")
        ctx.show(st, "failed", detail=st.error)
        return
    await ctx.journal.set_output(
        job,
        path=str(out.path),
        size=out.size,
        sha256=out.sha256,
        width=out.width,
        height=out.height,
    )
    st.output = out
    st.end("completed")
    ctx.show(st, "done")
