"""Finding a job that a lost create may have made, so that it is adopted rather than paid twice.

After a 502/504, a timeout or a dropped connection (or a crash between sending and hearing
back), the job may exist. `lookup` pages back through the account's videos (`GET /videos`,
then `lastVideoId`) until the listing is older than the attempt, and takes the oldest job that
no shot-take owns and that matches everything that decides the video: prompt, model, options,
aspect ratio and frames (by fileID). With a `replyRef`, the jobs useapi tracks
(`GET /scheduler`) are searched too. Creates and lookups on one account hold the account's
create lock, so a lookup never sees another shot-take's job before it is claimed.

A job whose listing leaves out something that was sent (no `originFiles`, no `options`) is a
vague match: adopted only when it is the only candidate; two vague candidates cannot be told
apart, so the shot-take stays unresolved (its intent kept for a rerun) rather than adopting the
wrong video or paying again. Every wait on a failing lookup is bounded (`LOOKUP_FAILURES`,
`LOOKUP_DEADLINE`): reaching it fails the shot-take and keeps the intent.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

import anyio

from runner.api import useapi
from runner.api.records import Video
from runner.run.context import RunContext
from runner.state.takestate import TakeState

LOOKUP_SKEW = 300.0
"""Seconds of clock difference tolerated when matching a job's creation time to an intent."""
LIST_LIMIT = 100
"""Videos per page (the API's maximum)."""
MAX_PAGES = 50
"""Pages read before giving up (5,000 videos since the intent): then nothing is resent."""
LOOKUP_FAILURES = 12
"""Failed lookup calls (502, timeouts) in a row before the shot-take gives up for this run."""
LOOKUP_MIN_FAILURES = 3
"""Failures before the deadline may end a lookup (one slow reply alone never does)."""
LOOKUP_DEADLINE = 600.0
"""Real-API seconds a lookup may keep failing (scaled like every wait) before giving up."""

MATCHED_KEYS = ("prompt", "model", "options", "aspectRatio", "promptOptimization")
"""The create fields that decide the video (besides its frames), as kept in the journal."""


def request_of(body: dict[str, Any]) -> dict[str, Any]:
    """What of a create body decides the video: kept with the intent, for a rerun's lookup."""
    kept = {k: body[k] for k in MATCHED_KEYS if k in body}
    kept["fileIDs"] = sorted(v for k, v in body.items() if k.startswith(("fileID", "end_frame")))
    return kept


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the lost create asked for."""

    account: str
    prompt: str | None
    model: str | None
    options: str | None
    file_ids: frozenset[str] | None
    """The fileIDs sent, when known (None: not known, so every match is vague)."""
    since: float
    reply_ref: str | None = None
    aspect_ratio: str | None = None

    def recent(self, video: Video) -> bool:
        return video.created is None or video.created >= self.since - LOOKUP_SKEW

    def fits(self, video: Video) -> bool:
        """Nothing the listing shows differs from what was sent."""
        if (video.desc or "") != (self.prompt or ""):
            return False
        if video.model and self.model and video.model != self.model:
            return False
        if video.options and video.options != (self.options or video.options):
            return False
        if video.aspect_ratio and self.aspect_ratio and video.aspect_ratio != self.aspect_ratio:
            return False
        if self.file_ids is not None and video.file_ids and video.file_ids != self.file_ids:
            return False
        return self.recent(video)

    def exact(self, video: Video) -> bool:
        """`fits`, and the listing shows everything that was sent (nothing left to doubt)."""
        return (
            self.fits(video)
            and (self.model is None or video.model is not None)
            and (self.options is None or video.options is not None)
            and (self.aspect_ratio is None or video.aspect_ratio is not None)
            and self.file_ids is not None
            and (not self.file_ids or bool(video.file_ids))
        )


def wanted(
    st: TakeState,
    account: str,
    since: float,
    body: dict[str, Any] | None = None,
    *,
    stored: str | None = None,
) -> Wanted:
    """The description of a shot-take's create: from the body sent, or from the request the
    journal kept with the intent (`stored`), else from the shot (frames unknown)."""
    shot = st.take.shot
    request: dict[str, Any] | None = request_of(body) if body is not None else None
    if request is None and stored:
        try:
            loaded = json.loads(stored)
        except ValueError:
            loaded = None
        request = loaded if isinstance(loaded, dict) else None
    if request is None:
        return Wanted(
            account,
            shot.prompt,
            shot.model,
            shot.options,
            None,
            since,
            shot.reply_ref,
            shot.aspect_ratio,
        )
    ids = request.get("fileIDs")
    return Wanted(
        account=account,
        prompt=request.get("prompt"),
        model=request.get("model"),
        options=request.get("options"),
        file_ids=frozenset(ids) if isinstance(ids, list) else None,
        since=since,
        reply_ref=shot.reply_ref,
        aspect_ratio=request.get("aspectRatio"),
    )


class LookupFailed(Exception):
    """Whether the job exists is unknown (the API refused or kept failing the lookup, or the
    listing cannot tell candidates apart): nothing may be resent this run."""


async def _candidates(ctx: RunContext, want: Wanted) -> list[Video]:
    """Unclaimed videos that fit `want`, oldest first, paging back until the listing is older
    than the intent (or ends)."""
    found: list[Video] = []
    last: str | None = None
    for _page in range(MAX_PAGES):
        page = await ctx.client.videos(want.account, limit=LIST_LIMIT, last_video_id=last)
        found += [
            v
            for v in page
            if useapi.VIDEO_ID.fullmatch(v.video_id)  # only ids that may go into a path
            and v.video_id not in ctx.claimed
            and want.fits(v)
        ]
        if len(page) < LIST_LIMIT or not page[-1].video_id or not want.recent(page[-1]):
            return found[::-1]
        last = page[-1].video_id
    raise LookupFailed(
        f"{want.account} lists more than {MAX_PAGES * LIST_LIMIT} videos since the create was"
        " sent; check that account's videos before running again (nothing was resent)"
    )


async def lookup(ctx: RunContext, want: Wanted) -> str | None:
    """The video id of an unclaimed job matching `want`, or None. Raises ApiError when the
    lookup itself fails, LookupFailed when the listing cannot tell candidates apart (then
    nothing may be resent)."""
    candidates = await _candidates(ctx, want)
    exact = [v for v in candidates if want.exact(v)]
    if exact:
        return exact[0].video_id
    if len(candidates) == 1:
        return candidates[0].video_id
    if len(candidates) > 1:
        ids = ", ".join(v.video_id for v in candidates[:4])
        raise LookupFailed(
            f"{len(candidates)} jobs on {want.account} could be this one and the listing cannot"
            f" tell them apart ({ids}); nothing was resent"
        )
    if want.reply_ref:
        for job in await ctx.client.scheduler():
            if (
                job.reply_ref == want.reply_ref
                and job.account == want.account
                and useapi.VIDEO_ID.fullmatch(job.video_id)
                and job.video_id not in ctx.claimed
            ):
                return job.video_id
    return None


async def lookup_patiently(ctx: RunContext, want: Wanted) -> str | None:
    """`lookup`, asked again while the API cannot answer: never resend on a failed lookup.
    Raises LookupFailed when the API refuses it (an account on hold, …) or keeps failing past
    `LOOKUP_FAILURES` or `LOOKUP_DEADLINE`: the intent then stays unresolved in the journal,
    for a rerun to look again."""
    failures = 0
    deadline = time.monotonic() + LOOKUP_DEADLINE * ctx.timing.scale
    while True:
        try:
            async with ctx.create_lock(want.account):
                return await lookup(ctx, want)
        except (useapi.MaybeQueued, useapi.TransportFailed, useapi.ServerError, useapi.Busy) as exc:
            failures += 1
            left = deadline - time.monotonic()
            if failures >= LOOKUP_FAILURES or (left <= 0 and failures >= LOOKUP_MIN_FAILURES):
                raise LookupFailed(
                    f"could not look up whether a job was made on {want.account}: {failures}"
                    f" failures, the last {exc}; the intent is kept and a rerun looks again"
                    " before sending"
                ) from None
            ctx.say(
                f"lookup on {want.account}: {_ordinal(failures)} failure ({exc}), retrying for"
                f" up to {max(1, math.ceil(left / 60))} more minutes"
            )
            await anyio.sleep(min(ctx.timing.backoff(min(failures, 6)), max(left, 0.0)))
        except useapi.Unauthorized:
            raise
        except useapi.ApiError as exc:
            raise LookupFailed(
                f"could not look up whether a job was made on {want.account} ({exc});"
                " a rerun looks again before sending"
            ) from None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
