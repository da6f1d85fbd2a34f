"""One shot-take from start to end: resume what the journal knows, else place, submit, follow.

`run_take` is the task body; its result is the state it leaves in its `TakeState` (completed,
failed, moderated, skipped): a failed job is a value, never an exception cancelling siblings.

What the journal says decides where a shot-take starts (the rerun rules live here):
- completed with its output intact → reused, no API call;
- failed or moderated → reported again, unless --retry-failed;
- a job id known → polled (and downloaded), never created again;
- an intent without a job id → looked up on its account; adopted if found, else sent afresh.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread

from runner.api import useapi
from runner.api.records import Video
from runner.run.context import RunContext
from runner.run.events import Notice
from runner.run.follow import fetch, follow, make_room, poll
from runner.run.lookup import LookupFailed, lookup_patiently, wanted
from runner.run.submit import BLIND_RESENDS, adopt, lost_twice, submit
from runner.state.journal import JobRecord, JournalWriteFailed
from runner.state.plan import sha256_file
from runner.state.takestate import Output, TakeState


async def run_take(ctx: RunContext, st: TakeState) -> None:
    """The task of one shot-take."""
    st.credits_unsure = ctx.journal.unsure_credits(st.key)
    try:
        if not ctx.selected(st):
            await _report_only(ctx, st)
            return
        if st.take.shot.id not in ctx.force:
            record = ctx.journal.latest(st.key, st.take.fingerprint)
            if record is not None and await _resume(ctx, st, record):
                return
        ctx.release_hold(st.key)
        await _fresh(ctx, st)
    except useapi.Unauthorized:
        ctx.stop("the API token was rejected (401)")
    except JournalWriteFailed as exc:
        # Without the journal nothing more may be sent safely: stop, keep what is known.
        st.error = str(exc)
        ctx.stop(str(exc))
    finally:
        ctx.release_hold(st.key)
        ctx.changed()


async def _intact(record: JobRecord) -> Output | None:
    """The recorded output, if its file is still there with the recorded size and hash
    (hashed in a worker thread: a rerun checks every video it reuses)."""
    if record.output_path is None or record.output_sha256 is None:
        return None
    path = Path(record.output_path)
    try:
        if path.stat().st_size != record.output_bytes:
            return None
        if await anyio.to_thread.run_sync(sha256_file, path) != record.output_sha256:
            return None
    except OSError:
        return None
    return Output(path, record.output_bytes, record.output_sha256, record.width, record.height)


async def _named_as_now(ctx: RunContext, st: TakeState, record: JobRecord, out: Output) -> Output:
    """A reused output under the name the current takes give it (`takes: 3 → 1` makes
    `<id>-take1.mp4` into `<id>.mp4`, and back): moved, and the journal told."""
    target = ctx.output / st.take.output_name
    if out.path == target:
        return out
    room = make_room(ctx, st, target)
    if room is not None and target.exists():
        await room(out.sha256)
    out.path.replace(target)
    await ctx.journal.set_output(
        record.id,
        path=str(target),
        size=out.size,
        sha256=out.sha256,
        width=out.width,
        height=out.height,
    )
    return Output(target, out.size, out.sha256, out.width, out.height, out.duration)


def _start_afresh(ctx: RunContext, record: JobRecord, out: Output | None) -> bool:
    """Whether the journal's record leaves nothing to resume."""
    if record.state == "expired" or (record.state == "abandoned" and not record.unanswered):
        return True
    if record.state in ("failed", "moderated"):
        return ctx.retry_failed
    # A job of another backend (an earlier embedded simulator) cannot be polled here.
    return record.backend != ctx.journal.backend and out is None


async def _resume(ctx: RunContext, st: TakeState, record: JobRecord) -> bool:
    """Continue from the journal; False when the shot-take must be sent afresh."""
    out = await _intact(record) if record.state == "completed" else None
    if _start_afresh(ctx, record, out):
        return False
    st.account, st.attempts, st.journal_id = record.account, record.attempts, record.id
    # Times the earlier manifest gave (carried over) stay as it said them: the review page's
    # render times must not move on a rerun.
    st.submitted = st.submitted or record.submitted
    st.video_id = record.video_id
    # Without a job, a row's credits are those its lost create may have cost (credits_unsure).
    st.credits = record.credits if record.video_id is not None else 0
    if record.state in ("failed", "moderated"):
        ended: Literal["failed", "moderated"] = (
            "failed" if record.state == "failed" else "moderated"
        )
        st.completed = st.completed or record.completed
        st.end(ended, f"{record.error or ended} (earlier run; --retry-failed renders it again)")
        ctx.show(st, ended, detail=st.error)
        return True
    if out is not None:
        out = await _named_as_now(ctx, st, record, out)
        st.output, st.reused = out, True
        st.completed = st.completed or record.completed
        st.end("completed")
        ctx.show(st, "reused")
        return True
    if record.video_id is None:
        return await _find_lost_job(ctx, st, record)
    return await _follow_existing(ctx, st, record)


async def _find_lost_job(ctx: RunContext, st: TakeState, record: JobRecord) -> bool:
    """A create an earlier run sent without learning of its job (killed before the answer, or
    while it looked for the job of a lost one): look first. False when the shot-take may be
    sent afresh: no job found, and no more creates lost than a run resends blindly."""
    ctx.show(st, "submitting", detail="looking up a job an earlier run may have created")
    lost = ctx.journal.unanswered(st.key, st.take.fingerprint) or [record]
    try:
        want = wanted(st, record.account, lost[-1].intended, stored=record.request)
        found = await lookup_patiently(ctx, want)
    except LookupFailed as failed:
        st.end("failed", str(failed))
        ctx.show_end(st)
        return True
    if found is None:
        if record.state == "intended":
            # It may have been sent (a kill after sending) and charged for a job not listed.
            await ctx.journal.set_unsure(record.id, st.take.credits, "not found on rerun")
            st.credits_unsure += st.take.credits
        st.video_id = None
        if len(lost) > BLIND_RESENDS and not ctx.retry_failed:
            # As the run that sent them would have ended, had it not been stopped.
            why = (record.error or "").removeprefix("not found after: ") or "not found on rerun"
            st.end("failed", lost_twice(st, record.account, len(lost), why))
            await ctx.journal.set_state(record.id, "failed", st.error)
            ctx.show_end(st)
            return True
        return False
    await adopt(ctx, st, record.id, found)
    if record.state == "abandoned":  # counted as possibly charged until now: it is this job
        st.credits_unsure = max(0, st.credits_unsure - record.credits)
    return await _follow_existing(ctx, st, record)


async def _follow_existing(ctx: RunContext, st: TakeState, record: JobRecord) -> bool:
    """A job that exists: poll it (and download it), never create it again. False when its
    finished video is no longer on the API (expired): then it renders anew."""
    assert st.video_id is not None
    ctx.claimed.add(st.video_id)
    st.status = "running"
    if record.state == "completed":  # rendered, but the file is missing or damaged
        video = await poll(ctx, st, record.account, 0.0, finished=True)
        if video is not None and video.completed:
            await fetch(ctx, st, video)
        if st.output is not None or ctx.stopping or not _gone(st, video):
            return True
        # The API no longer has it (404, or its media is gone): a new job is the only way.
        await ctx.journal.set_state(record.id, "expired", st.error)
        ctx.emit(Notice(f"{st.key}: the API no longer has {st.video_id}; rendering it", "warning"))
        st.video_id, st.credits, st.attempts, st.error, st.status = None, 0, 0, None, "pending"
        return False
    ctx.take_hold(st.key, record.account)
    await follow(ctx, st, record.account, holds_slot=True)
    return True


def _gone(st: TakeState, video: Video | None) -> bool:
    """Whether a finished job's video is no longer to be had (not a passing failure): the API
    answered 404, lists it without a finished video, or its media URL answers 403/404/410."""
    if video is None:
        return st.status == "moderated"  # poll() reads a 404 so
    if not video.completed or video.media_url is None:
        return True
    return any(f"HTTP {code}" in (st.error or "") for code in (403, 404, 410))


async def _report_only(ctx: RunContext, st: TakeState) -> None:
    """A shot-take `--only` leaves out: what the journal knows of it, without any request."""
    record = ctx.journal.latest(st.key, st.take.fingerprint)
    out = await _intact(record) if record is not None and record.state == "completed" else None
    if record is not None and out is not None:
        st.account, st.video_id, st.credits = record.account, record.video_id, record.credits
        st.attempts = record.attempts
        st.submitted = st.submitted or record.submitted
        st.completed = st.completed or record.completed
        st.output, st.reused = out, True
        st.end("completed")
        ctx.show(st, "reused")
        return
    st.end("skipped", "not selected (--only)")
    ctx.show(st, "skipped", detail=st.error)


async def _fresh(ctx: RunContext, st: TakeState) -> None:
    shot = st.take.shot
    # A new job: nothing carried over from an earlier run's manifest applies to it.
    st.queued, st.submitted, st.completed, st.frames = time.time(), None, None, []
    while True:
        ctx.show(st, "waiting")
        account = await ctx.placement.acquire(shot.account, first=shot.id in ctx.chained)
        if account is None:
            st.end("skipped", ctx.placement.why_not(shot.account))
            ctx.show(st, "skipped", detail=st.error)
            return
        if not ctx.budget.reserve(st.take.credits):
            ctx.placement.release(account)
            st.end("skipped", f"over the --max-credits budget of {ctx.budget.limit}")
            ctx.show(st, "skipped", detail=st.error)
            return
        st.account, st.status = account, "running"
        max_jobs = ctx.placement.accounts[account].max_jobs
        try:
            result = await submit(ctx, st, account, max_jobs)
        except BaseException:
            ctx.budget.release(st.take.credits)
            ctx.placement.release(account)
            raise
        if result == "created":
            ctx.budget.commit(st.take.credits)
            ctx.emit_credits()
            break
        ctx.budget.release(st.take.credits)
        ctx.placement.release(account)
        if result == "done":
            if not st.final:
                st.end("failed", ctx.stop_reason or "not created")
            ctx.show_end(st)
            return
        st.account = None
        await anyio.lowlevel.checkpoint()
    await follow(ctx, st, account, holds_slot=True)
