"""Getting one job created on a placed account: uploads, the create call, and the refusal table.

| answer | what happens |
|---|---|
| 400 | the shot-take fails with the API's message; no retry |
| 401 | the run stops |
| 412 / 596 | the account is parked for the run; the shot-take is placed again |
| 422 | moderated: final |
| 429 | wait 10-30 s (jittered) and resend; not an attempt |
| 502, 504, timeout, dropped after sending | the job may exist: look it up; resend once if absent |
| transport error before sending | resend after a backoff |

Every send is preceded by a durable intent in the journal, and a returned videoId is journalled
before anything else (inside a cancel shield, so Ctrl-C cannot lose it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

import anyio

from runner.api import useapi
from runner.run.context import RunContext
from runner.run.events import TakeChanged
from runner.run.lookup import LookupFailed, lookup_patiently, request_of, wanted
from runner.run.retry import TRANSPORT_TRIES
from runner.state.takestate import FrameState, TakeState

Result = Literal["created", "replace", "done"]
SHIELD_SECONDS = 90.0
BLIND_RESENDS = 1
"""Resends of a create whose answer was lost and whose job no lookup found, before the
shot-take stops: each may be charged (a job removed after rendering never shows)."""
LOOKS_BEFORE_RESEND = 2
"""Lookups (a busy wait apart) that must all miss before a maybe-queued create is resent."""


class FrameUnreadable(Exception):
    """A local frame went missing or unreadable since the pipeline was validated."""


def _content_type(path: str) -> str:
    return "image/png" if path.lower().endswith(".png") else "image/jpeg"


async def _upload(ctx: RunContext, account: str, data: Path, ctype: str) -> str:
    """POST /files with resends on 429/5xx/transport errors (uploads cost nothing)."""
    failures = 0
    while True:
        try:
            return (await ctx.client.upload(account, data, ctype)).file_id
        except useapi.Busy:
            await anyio.sleep(ctx.timing.busy_wait())
        except (useapi.MaybeQueued, useapi.TransportFailed, useapi.ServerError):
            failures += 1
            if failures > TRANSPORT_TRIES:
                raise
            await anyio.sleep(ctx.timing.backoff(failures))


async def upload_frames(ctx: RunContext, st: TakeState, account: str) -> list[str]:
    """fileIDs of the shot's frames on `account`, uploading what the cache lacks."""
    st.frames = []
    ids: list[str] = []
    shown = False
    for role, frame in st.take.shot.frames.all():
        if frame.path is None:
            ids.append(frame.file_id or "")
            st.frames.append(FrameState(role, None, None, frame.file_id))
            continue
        try:
            sha = ctx.hasher(frame.path)
        except OSError as exc:
            raise FrameUnreadable(
                f"cannot read frames.{role} {frame.source}: {exc.strerror}"
            ) from None
        # The API refuses the same fileID as first and end frame: the end frame always gets its
        # own upload, whatever its bytes (two files with the same content are one sha256).
        cache_key = f"{sha}/end" if role == "last" else sha
        # One upload per (account, image) even when several shot-takes want it at once.
        async with ctx.upload_lock(account, cache_key):
            file_id = ctx.journal.cached_file_id(account, cache_key)
            if file_id is None:
                if not shown:
                    ctx.show(st, "uploading")
                    shown = True
                try:
                    file_id = await _upload(
                        ctx, account, frame.path, _content_type(frame.path.name)
                    )
                except OSError as exc:
                    raise FrameUnreadable(
                        f"cannot read frames.{role} {frame.source}: {exc.strerror}"
                    ) from None
                await ctx.journal.remember_upload(account, cache_key, file_id)
        ids.append(file_id)
        st.frames.append(FrameState(role, str(frame.path), sha, file_id))
    return ids


def create_body(st: TakeState, account: str, max_jobs: int, file_ids: list[str]) -> dict[str, Any]:
    """The create request: account, maxJobs and every option sent explicitly."""
    shot = st.take.shot
    body: dict[str, Any] = {"account": account, "model": shot.model, "maxJobs": max_jobs}
    if shot.options is not None:
        body["options"] = shot.options
    if shot.prompt is not None:
        body["prompt"] = shot.prompt
    if shot.prompt_optimization is not None:
        body["promptOptimization"] = shot.prompt_optimization
    if shot.aspect_ratio is not None:
        body["aspectRatio"] = shot.aspect_ratio
    roles = [role for role, _f in shot.frames.all()]
    starts = [fid for role, fid in zip(roles, file_ids, strict=True) if role != "last"]
    for i, fid in enumerate(starts):
        body["fileID" if i == 0 else f"fileID{i + 1}"] = fid
    if "last" in roles:
        body["end_frame_fileID"] = file_ids[roles.index("last")]
    if shot.reply_url is not None:
        body["replyUrl"] = shot.reply_url
    if shot.reply_ref is not None:
        body["replyRef"] = shot.reply_ref
    return body


async def adopt(ctx: RunContext, st: TakeState, job: int, video_id: str) -> None:
    """The job exists: it is this shot-take's, in memory (and so in the manifest) and, before
    anything else happens, in the journal."""
    ctx.claimed.add(video_id)
    st.video_id, st.credits, st.submitted = video_id, st.take.credits, time.time()
    await ctx.journal.set_video_id(job, video_id, st.take.credits)
    # The user sees the job the moment it exists, not at its first poll. Only shown: the
    # manifest takes the id with the next change (the journal has it already), because marking
    # it dirty on every create costs a burst of creates 1-2 ms of CPU each (measured).
    ctx.sink.emit(TakeChanged(st.key, "queued", st.account, video_id=video_id))


async def _prepare(
    ctx: RunContext, st: TakeState, account: str, max_jobs: int
) -> dict[str, Any] | Result:
    """The create body, with the frames uploaded to `account`; or how the attempt ended."""
    try:
        return create_body(st, account, max_jobs, await upload_frames(ctx, st, account))
    except useapi.Unauthorized:
        ctx.stop("the API token was rejected (401)")
        return "done"
    except (useapi.OutOfCredits, useapi.OnHold) as exc:
        ctx.placement.park(account, _park_reason(exc))
        return "replace"
    except useapi.ApiError as exc:
        st.end("failed", f"upload failed: {exc}")
        return "done"
    except FrameUnreadable as exc:
        st.end("failed", str(exc))
        return "done"


async def _send(ctx: RunContext, st: TakeState, job: int, body: dict[str, Any]) -> bool:
    """Send the create and adopt its job. Nothing is sent (False) when the run stopped (a 401,
    Ctrl-C) while this shot-take waited for the account's create lock."""
    if ctx.stopping:
        st.attempts -= 1
        await ctx.journal.set_state(job, "abandoned", "not sent: the run stopped")
        return False
    created = await ctx.client.create(body)
    await adopt(ctx, st, job, created.video_id)
    return True


def _unsent(ctx: RunContext, interrupted: bool) -> str:
    if interrupted:
        return (
            "interrupted while its create was in flight: a rerun looks for its job before sending"
        )
    return f"not sent: {ctx.stop_reason}"


async def submit(ctx: RunContext, st: TakeState, account: str, max_jobs: int) -> Result:
    """Upload the frames and create the job on `account`, following the refusal table."""
    key, shot = st.key, st.take.shot
    body = await _prepare(ctx, st, account, max_jobs)
    if not isinstance(body, dict):
        return body
    transport_failures = lost = 0
    first_sent: float | None = None
    while True:
        st.attempts += 1
        job = await ctx.journal.intend(
            key=key,
            fingerprint=st.take.fingerprint,
            run_id=ctx.run_id,
            account=account,
            prompt=shot.prompt,
            model=shot.model,
            attempts=st.attempts,
            request=json.dumps(request_of(body), sort_keys=True),
        )
        st.journal_id = job
        ctx.show(st, "submitting")
        since = time.time()
        try:
            async with ctx.create_lock(account):
                with anyio.CancelScope(shield=True) as shield, anyio.fail_after(SHIELD_SECONDS):
                    ctx.in_flight.add(shield)
                    sent = False
                    try:
                        sent = await _send(ctx, st, job, body)
                    finally:
                        ctx.in_flight.discard(shield)
                if not sent:  # interrupted, or stopped before it could send
                    st.end("skipped", _unsent(ctx, shield.cancel_called))
                    return "done"
        except useapi.Busy:
            await ctx.journal.set_state(job, "abandoned", "429")
            st.attempts -= 1
            await anyio.sleep(ctx.timing.busy_wait())
        except useapi.TransportFailed as exc:
            await ctx.journal.set_state(job, "abandoned", str(exc))
            st.attempts -= 1
            transport_failures += 1
            if transport_failures > TRANSPORT_TRIES:
                st.end("failed", f"could not reach the API: {exc}")
                return "done"
            await anyio.sleep(ctx.timing.backoff(transport_failures))
        except (useapi.MaybeQueued, useapi.ServerError, TimeoutError) as exc:
            first_sent = first_sent or since
            found = await _look_after_lost_reply(ctx, st, account, job, since, body, exc)
            if found is None and lost >= BLIND_RESENDS:
                found = await _give_up(ctx, st, account, job, first_sent, body, exc)
            if found is not None:
                return found
            lost += 1
        except useapi.ApiError as exc:
            result = _final_refusal(ctx, st, account, exc)
            # A 400 or 422 is the shot-take's outcome: a rerun reports it (--retry-failed sends).
            final = st.status if st.status in ("failed", "moderated") else "abandoned"
            await ctx.journal.set_state(job, final, st.error or str(exc))
            return result
        else:
            return "created"


async def _look_after_lost_reply(
    ctx: RunContext,
    st: TakeState,
    account: str,
    job: int,
    since: float,
    body: dict[str, Any],
    exc: Exception,
) -> Result | None:
    """The request went out but its answer was lost: the job may exist. Look for it before
    sending again; None means it is not there (send again). A request that timed out may still
    be on its way to being processed, so the account is looked at twice, a wait apart."""
    for _look in range(LOOKS_BEFORE_RESEND):
        await anyio.sleep(ctx.timing.busy_wait())
        try:
            found = await lookup_patiently(ctx, wanted(st, account, since, body))
        except LookupFailed as failed:
            st.end("failed", str(failed))  # the intent stays open in the journal
            return "done"
        if found is not None:
            await adopt(ctx, st, job, found)
            return "created"
    # Sent and not found: maybe charged all the same (a job moderated and removed after
    # rendering no longer shows), so it counts as unsure, in the journal and the manifest.
    await ctx.journal.set_unsure(job, st.take.credits, f"not found after: {exc}")
    st.credits_unsure += st.take.credits
    return None


async def _settle(
    ctx: RunContext, st: TakeState, account: str, job: int, since: float, body: dict[str, Any]
) -> Result | None:
    """Before giving up on a shot-take whose creates were all lost: a request that timed out
    may still be processed by the server, so look (never send) for twice the request timeout
    more. None: still not there."""
    deadline = time.monotonic() + 2 * ctx.client.timeout
    while time.monotonic() < deadline:
        await anyio.sleep(max(0.0, min(ctx.timing.busy_wait(), deadline - time.monotonic())))
        try:
            found = await lookup_patiently(ctx, wanted(st, account, since, body))
        except LookupFailed:
            return None
        if found is not None:
            await adopt(ctx, st, job, found)
            st.credits_unsure = max(0, st.credits_unsure - st.take.credits)
            return "created"
    return None


async def _give_up(
    ctx: RunContext,
    st: TakeState,
    account: str,
    job: int,
    since: float,
    body: dict[str, Any],
    exc: Exception,
) -> Result:
    """Every create of the shot-take was lost and no lookup found a job: settle, then stop."""
    # Only a create that got no answer at all may still be processed; a 502/504 was answered.
    unanswered = isinstance(exc, TimeoutError) or getattr(exc, "status", 0) is None
    found = await _settle(ctx, st, account, job, since, body) if unanswered else None
    if found is not None:
        return found
    st.end("failed", lost_twice(st, account, BLIND_RESENDS + 1, exc))
    # Final: a rerun reports it; only --retry-failed sends again, once the account is checked.
    await ctx.journal.set_state(job, "failed", st.error)
    return "done"


def lost_twice(st: TakeState, account: str, sent: int, why: object) -> str:
    """Why a shot-take stopped after `sent` creates went out unanswered (`why`: the last
    failure) and no job of theirs was found."""
    return (
        f"{sent} creates went out without an answer ({why}) and no job for them shows on"
        f" {account}; a job moderated and removed after rendering does not show yet is charged,"
        f" so up to {sent * st.take.credits} credits may be spent: check that account's videos"
        " and credits before running again (not resent)"
    )


def _park_reason(exc: useapi.ApiError) -> str:
    if isinstance(exc, useapi.OutOfCredits):
        return "is out of credits (412)"
    return "is on hold (596)"


def _final_refusal(ctx: RunContext, st: TakeState, account: str, exc: useapi.ApiError) -> Result:
    st.attempts -= 0 if isinstance(exc, useapi.BadRequest | useapi.Moderated) else 1
    if isinstance(exc, useapi.Unauthorized):
        ctx.stop("the API token was rejected (401)")
        return "done"
    if isinstance(exc, useapi.OutOfCredits | useapi.OnHold):
        ctx.placement.park(account, _park_reason(exc))
        return "replace"
    if isinstance(exc, useapi.Moderated):
        st.end("moderated", exc.error)
        return "done"
    st.end("failed", exc.error if isinstance(exc, useapi.BadRequest) else str(exc))
    return "done"
