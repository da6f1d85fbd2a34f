"""A simulated account's state (credits, hold, queues) and the refusals it answers creates with.

The 429 for maxJobs counts only the jobs useapi tracks (accepted creates); MiniMax's own queue
bound counts every job the account holds, queued-anyway ones included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner.sim.config import SimAccount
from runner.sim.jobs import CreateRequest, Job

HOLD_MESSAGE = (
    "Unusual account activities detected. Please contact customer support at support@hailuoai.video"
)
CREDITS_MESSAGE = "Insufficient credits. Please recharge to get more credits or try again next day."


def queue_full_message(cap: int) -> str:
    return f"YOU CAN QUEUE {cap} JOBS AT ONCE"


@dataclass(slots=True)
class AccountState:
    """One account's credits, hold and queues."""

    config: SimAccount
    credits: int
    creates: int = 0
    on_hold: bool = False
    rendering: list[Job] = field(default_factory=list)
    queue: deque[Job] = field(default_factory=deque)

    def live(self, *, tracked_only: bool) -> list[Job]:
        jobs = [*self.rendering, *self.queue]
        return [j for j in jobs if j.tracked] if tracked_only else jobs


def max_jobs_of(state: AccountState, request: CreateRequest) -> int:
    """The create body's maxJobs, else the account's."""
    return request.max_jobs or state.config.max_jobs


def refusal(
    state: AccountState,
    request: CreateRequest,
    credits: int,
    iso: Callable[[float], str],
    *,
    enforce_max_jobs: bool = True,
) -> tuple[int, dict[str, Any]] | None:
    """The refusal a create meets before anything is queued (596, 412, 429), or None."""
    if state.on_hold:
        return 596, {"error": HOLD_MESSAGE, "code": 596}
    if state.credits < credits:
        return 412, {"error": CREDITS_MESSAGE, "code": 412}
    max_jobs = max_jobs_of(state, request)
    if enforce_max_jobs and len(state.live(tracked_only=True)) >= max_jobs:
        return 429, running_videos(state, max_jobs, iso)
    if len(state.live(tracked_only=False)) >= state.config.queue_cap:
        return 429, {"error": queue_full_message(state.config.queue_cap), "code": 429}
    return None


def running_videos(
    state: AccountState, max_jobs: int, iso: Callable[[float], str]
) -> dict[str, Any]:
    """The seed's 429 body when useapi already tracks maxJobs jobs on the account."""
    account = state.config.id
    running = [
        {
            "account": account,
            "id": j.number,
            "scheduledVideo": j.number,
            "videoId": j.video_id,
            "started": iso(j.created_at),
            **({"replyUrl": j.request.reply_url} if j.request.reply_url else {}),
            **({"replyRef": j.request.reply_ref} if j.request.reply_ref is not None else {}),
        }
        for j in sorted(state.live(tracked_only=True), key=lambda j: j.seq)
    ]
    return {
        "error": f"Account {account} is busy executing {max_jobs} videos",
        "runningVideos": {account: running},
        "code": 429,
    }
