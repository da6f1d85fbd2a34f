"""Following a created job to its end: adaptive polling, then the download.

The job's slot on its account is freed as soon as the job is seen final (before the download),
and queued jobs on the same account are woken to poll at once: their turn has probably come.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import anyio.to_thread

from runner.api import useapi
from runner.api.records import Video
from runner.run.context import RunContext
from runner.run.download import DownloadFailed, download
from runner.run.retry import Progress
from runner.state.takestate import TakeState

POLL_FAILURES = 40
"""Consecutive failed polls before a shot-take is given up for this run (its job id is kept)."""


async def _wait(ctx: RunContext, account: str, delay: float, queued: bool) -> None:
    if not queued:
        await anyio.sleep(delay)
        return
    event = ctx.nudge_event(account)
    try:
        with anyio.move_on_after(delay):
            await event.wait()
    finally:
        ctx.forget_nudge(account, event)


async def poll(ctx: RunContext, st: TakeState, account: str, first_delay: float) -> Video | None:
    """Poll the job until it is final. None when it was moderated and removed (404) or the
    API stopped answering (st is then ended)."""
    assert st.video_id is not None
    progress = Progress(ctx.timing)
    delay, queued, failures = first_delay, True, 0
    while True:
        await _wait(ctx, account, delay, queued)
        try:
            video = await ctx.client.video(st.video_id)
        except useapi.NotFound:
            st.end("moderated", "moderated: the video was removed (404)")
            return None
        except useapi.Unauthorized:
            ctx.stop("the API token was rejected (401)")
            await anyio.sleep_forever()
        except (
            useapi.MaybeQueued,
            useapi.TransportFailed,
            useapi.ServerError,
            useapi.Busy,
            useapi.OnHold,
        ) as exc:
            # Passing faults (an account on hold may still finish what it holds): ask again.
            failures += 1
            if failures >= POLL_FAILURES:
                st.end("failed", f"lost contact with the job ({exc}); a rerun resumes it")
                return None
            delay = ctx.timing.backoff(min(failures, 6))
            continue
        except useapi.ApiError as exc:
            st.end("failed", f"polling failed: {exc}")
            return None
        failures = 0
        if video.final:
            return video
        queued = video.queued
        if queued:
            ctx.show(st, "queued")
        else:
            ctx.show(st, "rendering", percent=video.percent)
        delay = progress.next_delay(video, anyio.current_time())


async def follow(ctx: RunContext, st: TakeState, account: str, *, holds_slot: bool) -> None:
    """Poll the job of `st` to its end, free its slot, and download a completed video."""
    job = st.journal_id
    assert job is not None
    try:
        video = await poll(ctx, st, account, ctx.timing.first_poll if holds_slot else 0.0)
    finally:
        if holds_slot:
            ctx.placement.release(account)
            ctx.nudge(account)
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
        out = await download(ctx.media, url, target, ctx.timing, make_room(ctx, st, target))
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
