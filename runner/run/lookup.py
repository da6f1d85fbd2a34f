"""Finding a job that a lost create may have made, so that it is adopted rather than paid twice.

After a 502/504, a timeout or a dropped connection (or a crash between sending and hearing
back), the job may exist. `lookup` lists the account's videos (`GET /videos`) and takes the
oldest one that no shot-take owns and that matches what was sent: prompt, model, options and
frames where the listing shows them, created after the attempt. With a `replyRef`, the jobs
useapi tracks (`GET /scheduler`) are searched too. Creates and lookups on one account hold the
account's create lock, so a lookup never sees another shot-take's job before it is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio

from runner.api import useapi
from runner.api.records import Video
from runner.run.context import RunContext
from runner.state.takestate import TakeState

LOOKUP_SKEW = 300.0
"""Seconds of clock difference tolerated when matching a job's creation time to an intent."""
LIST_LIMIT = 30


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the lost create asked for."""

    account: str
    prompt: str | None
    model: str | None
    options: str | None
    file_ids: frozenset[str] | None
    """The fileIDs sent, when known (None: not compared)."""
    since: float
    reply_ref: str | None = None

    def matches(self, video: Video) -> bool:
        if (video.desc or "") != (self.prompt or ""):
            return False
        if video.model and self.model and video.model != self.model:
            return False
        if video.options and self.options and video.options != self.options:
            return False
        if self.file_ids is not None and video.file_ids and video.file_ids != self.file_ids:
            return False
        return video.created is None or video.created >= self.since - LOOKUP_SKEW


def wanted(st: TakeState, account: str, since: float, body: dict[str, Any] | None = None) -> Wanted:
    """The description of a shot-take's create (with its fileIDs when the body is known)."""
    shot = st.take.shot
    ids = None
    if body is not None:
        ids = frozenset(v for k, v in body.items() if k.startswith(("fileID", "end_frame")))
    return Wanted(account, shot.prompt, shot.model, shot.options, ids, since, shot.reply_ref)


async def lookup(ctx: RunContext, want: Wanted) -> str | None:
    """The video id of an unclaimed job matching `want`, or None. Raises ApiError when the
    lookup itself fails (then nothing may be resent)."""
    for video in reversed(await ctx.client.videos(want.account, limit=LIST_LIMIT)):
        if video.video_id and video.video_id not in ctx.claimed and want.matches(video):
            return video.video_id
    if want.reply_ref:
        for job in await ctx.client.scheduler():
            if (
                job.reply_ref == want.reply_ref
                and job.account == want.account
                and job.video_id
                and job.video_id not in ctx.claimed
            ):
                return job.video_id
    return None


class LookupFailed(Exception):
    """The API refused the lookup (not a passing fault): whether the job exists is unknown."""


async def lookup_patiently(ctx: RunContext, want: Wanted) -> str | None:
    """`lookup`, asked again while the API cannot answer: never resend on a failed lookup.
    Raises LookupFailed when the API refuses it (an account on hold, …): the intent then stays
    unresolved in the journal, for a rerun to look again."""
    failures = 0
    while True:
        try:
            async with ctx.create_lock(want.account):
                return await lookup(ctx, want)
        except (useapi.MaybeQueued, useapi.TransportFailed, useapi.ServerError, useapi.Busy):
            failures += 1
            await anyio.sleep(ctx.timing.backoff(min(failures, 6)))
        except useapi.Unauthorized:
            raise
        except useapi.ApiError as exc:
            raise LookupFailed(
                f"could not look up whether a job was made on {want.account} ({exc});"
                " a rerun looks again before sending"
            ) from None
