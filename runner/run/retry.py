"""The run's timing policies, named in one place: waits after refusals, backoff, polling.

Every default is in real-API seconds and multiplied by the backend's time scale, so against a
simulator running 600 times faster the same policy waits 600 times less. Values the user gives
(`--poll-interval`, `--retry-wait`) are taken as they are.

How jobs are read while they render is `runner.run.watch`'s: these are its intervals.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from runner.api import useapi

T = TypeVar("T")
TRANSIENT = (useapi.MaybeQueued, useapi.TransportFailed, useapi.ServerError, useapi.Busy)
"""Refusals that say nothing about the request itself: a read can simply be asked again."""

POLL_MIN = 10.0
FIRST_POLL = 2.0
"""Seconds from a create to its first poll: whether the job is queued or already rendering is
shown soon, then polls follow its progress."""
POLL_MAX = 30.0
JOB_DEADLINE = 6 * 3600.0
"""A job not final this long after it was made is given up for this run (its id is kept: a
rerun follows it again). Renders take minutes; six hours leaves room for long queues."""
DEADLINE_FLOOR = 1.0
"""Real seconds a job is followed at least, however fast the backend: against a simulator
served a million times faster, six hours are 22 ms, less than a busy machine may take to answer
(jobs given up in a run that was only slow)."""
QUEUED_FACTOR = 2.0
"""A waiting job with none of ours rendering on its account is read this many times less often
than the longest interval (its turn comes when another client's job ends)."""
BUSY_MIN = 10.0
BUSY_MAX = 30.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
TRANSPORT_TRIES = 8
"""Sends that failed before reaching the server, before a shot-take gives up."""


@dataclass(frozen=True, slots=True)
class Timing:
    """Waits of one run."""

    scale: float = 1.0
    poll_interval: float | None = None
    retry_wait: float | None = None
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def busy_wait(self) -> float:
        """After 429/502/504: 10-30 s jittered (or `--retry-wait` W: W to 3 W)."""
        low = self.retry_wait if self.retry_wait is not None else BUSY_MIN * self.scale
        high = self.retry_wait * 3 if self.retry_wait is not None else BUSY_MAX * self.scale
        return self.rng.uniform(low, high)

    def backoff(self, failures: int) -> float:
        """After a transport error before sending: exponential, jittered (from `--retry-wait`
        when given, up to 8 times it)."""
        if self.retry_wait is not None:
            base = self.retry_wait * 2.0 ** min(3, max(0, failures - 1))
        else:
            base = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** max(0, failures - 1)) * self.scale
        return base * self.rng.uniform(0.5, 1.0)

    @property
    def poll_min(self) -> float:
        return self.poll_interval if self.poll_interval is not None else POLL_MIN * self.scale

    @property
    def poll_max(self) -> float:
        return self.poll_interval if self.poll_interval is not None else POLL_MAX * self.scale

    @property
    def job_deadline(self) -> float:
        """How long a job is followed in one run before it is given up (kept for a rerun)."""
        return max(DEADLINE_FLOOR, JOB_DEADLINE * self.scale)

    @property
    def first_poll(self) -> float:
        """Delay from a create to the first read of its job: soon, so that the display says
        whether it renders or waits (a read of the account's list, shared by the jobs made
        together, and none while another of ours renders there: `runner.run.watch`)."""
        return min(self.poll_min, FIRST_POLL * self.scale)


async def patiently(call: Callable[[], Awaitable[T]], timing: Timing, tries: int = 8) -> T:
    """Run a read-only call, asking again after transient failures (never for creates)."""
    for failure in range(1, tries):
        try:
            return await call()
        except TRANSIENT:
            await anyio.sleep(timing.backoff(failure))
    return await call()
