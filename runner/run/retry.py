"""The run's timing policies, named in one place: waits after refusals, backoff, polling.

Every default is in real-API seconds and multiplied by the backend's time scale, so against a
simulator running 600 times faster the same policy waits 600 times less. Values the user gives
(`--poll-interval`, `--retry-wait`) are taken as they are.

Polling estimates when a rendering job will finish from its percent progress and polls just
after that moment, instead of every few seconds: few requests per video and a short lag between
a job finishing and Reel noticing. Queued jobs are polled rarely; the scheduler wakes them early
when a job on the same account ends (their turn has probably come).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from runner.api import useapi
from runner.api.records import Video

T = TypeVar("T")
TRANSIENT = (useapi.MaybeQueued, useapi.TransportFailed, useapi.ServerError, useapi.Busy)
"""Refusals that say nothing about the request itself: a read can simply be asked again."""

POLL_MIN = 10.0
POLL_MAX = 30.0
QUEUED_FACTOR = 2.0
"""Queued jobs are polled this many times less often than the longest rendering interval."""
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
    def first_poll(self) -> float:
        """Delay from a create to its first poll."""
        return self.poll_min


@dataclass(slots=True)
class Progress:
    """Progress samples of one job; says when to poll it next."""

    timing: Timing
    start: tuple[float, int] | None = None
    """(time, percent) of the first rendering sample."""
    total: float | None = None
    """Estimated render seconds, once two samples differ."""
    blind: float = 0.0
    """The last interval used while the API reported no percent."""

    def next_delay(self, video: Video, now: float) -> float:
        t = self.timing
        if t.poll_interval is not None:
            return t.poll_interval
        if video.queued:
            # Its turn comes when a job on its account ends, and the scheduler wakes it then;
            # this only catches turns that other clients' jobs free.
            return QUEUED_FACTOR * t.poll_max
        percent = video.percent
        if percent is None:  # no progress to go by: back off from the shortest interval
            self.blind = min(t.poll_max, self.blind * 1.5 if self.blind else t.poll_min)
            return self.blind
        if self.start is None or percent < self.start[1]:
            self.start = (now, percent)
            return t.poll_min
        t0, p0 = self.start
        if percent > p0 and now > t0:
            self.total = 100 * (now - t0) / (percent - p0)
        if self.total is None:
            return t.poll_min
        remaining = self.total * (100 - percent) / 100
        # Just after the estimated finish; a little later each time the estimate was early.
        margin = max(0.01 * self.total, 0.05 * t.poll_min)
        return min(t.poll_max, max(remaining, 0.0) + margin)


async def patiently(call: Callable[[], Awaitable[T]], timing: Timing, tries: int = 8) -> T:
    """Run a read-only call, asking again after transient failures (never for creates)."""
    for failure in range(1, tries):
        try:
            return await call()
        except TRANSIENT:
            await anyio.sleep(timing.backoff(failure))
    return await call()
