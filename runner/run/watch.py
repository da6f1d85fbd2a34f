"""Following every job of one account with as few requests as possible.

One watcher per account. A shot-take's task hands it a video id and waits for the final reply.
The watcher keeps, for each job, when it next wants to look (`due`) and what for, and at that
moment asks the API once:

- to learn whether jobs ended, and which queued job took a freed render slot, it reads the
  account's list (`GET /videos/?account=A`): one request for every job in flight there;
- to learn how fast a rendering job goes, it reads that job (`GET /videos/{id}`), whose
  `percent` the list lacks: one sample, taken about 60 % into the render the model's earlier
  jobs in this run suggest, gives its finish time.

So a video costs about two polls: one percent sample mid-render and the list read just after
its estimated finish, which also tells when the next queued job started. A finish that comes
later than estimated costs one more sample; queued jobs are read with the list, at the latest
every `QUEUED_FACTOR x POLL_MAX`. With `--poll-interval`, every job is read at that interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import anyio
from anyio.abc import TaskGroup

from runner.api import useapi
from runner.api.records import Video
from runner.run.retry import JOB_DEADLINE, QUEUED_FACTOR, Timing
from runner.state.takestate import TakeState

POLL_FAILURES = 40
"""Consecutive failed reads of a job before it is given up for this run (its job id is kept)."""
SAMPLE_AT = 0.6
"""Where in the expected render a job's percent is sampled: late enough for a precise rate."""
PRECISE_FROM = 30
"""A sample below this percent gives a rough rate: another is taken before the finish."""
MARGIN = 0.02
"""The list is read this share of the render after the estimated finish."""
LIST_PAGES = 5
"""Pages of the account's list read in one look before a missing job is asked for by id."""
LIST_SLACK = 4
"""Items read beyond our jobs in flight: room for a few of other clients' newer videos."""

PASSING = (
    useapi.MaybeQueued,
    useapi.TransportFailed,
    useapi.ServerError,
    useapi.Busy,
    useapi.OnHold,
)
"""Failures of a read that pass: ask again later (an account on hold still finishes its jobs)."""

Want = Literal["list", "percent"]


@dataclass(slots=True)
class Watched:
    """One job in flight on the account, and what is known of its progress."""

    st: TakeState
    video_id: str
    kind: tuple[str, str]
    """(model, options): jobs of one kind render in about the same time."""
    due: float
    want: Want
    registered: float
    done: anyio.Event = field(default_factory=anyio.Event)
    result: Video | None = None
    phase: Literal["new", "queued", "rendering"] = "new"
    seen: float | None = None
    """When it was last seen not rendering (queued, or just created)."""
    start: float | None = None
    """Estimated start of its render."""
    samples: list[tuple[float, float]] = field(default_factory=list)
    """(time, percent) read by id while rendering."""
    failures: int = 0
    shown: str | None = None

    @property
    def total(self) -> float | None:
        """Estimated render seconds, from its percent samples (and its start)."""
        if len(self.samples) >= 2:
            (t1, p1), (t2, p2) = self.samples[0], self.samples[-1]
            if p2 - p1 >= PRECISE_FROM and t2 > t1:
                return 100 * (t2 - t1) / (p2 - p1)
        if self.samples and self.start is not None:
            t, p = self.samples[-1]
            if p > 0 and t > self.start:
                return 100 * (t - self.start) / p
        return None

    @property
    def precise(self) -> bool:
        return bool(self.samples) and self.samples[-1][1] >= PRECISE_FROM


class AccountWatch:
    """The jobs in flight on one account, read together."""

    def __init__(self, watches: Watches, account: str) -> None:
        self._w = watches
        self.account = account
        self.jobs: dict[str, Watched] = {}
        self.list_ok = True
        self.freed: list[float] = []
        """When our jobs on this account ended (estimated): when a queued job took the slot."""
        self._wake = anyio.Event()

    def add(self, st: TakeState, video_id: str, first_delay: float, want: Want) -> Watched:
        now = anyio.current_time()
        kind = (st.take.shot.model, st.take.shot.options or "")
        job = Watched(st, video_id, kind, now + first_delay, want, now)
        self.jobs[video_id] = job
        self._wake.set()
        return job

    async def run(self) -> None:
        while True:
            if not self.jobs:
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            now = anyio.current_time()
            due = min(self._due(j) for j in self.jobs.values())
            if due > now:
                with anyio.move_on_after(due - now):
                    await self._wake.wait()
                self._wake = anyio.Event()
                continue
            await self._look(now)

    def _due(self, job: Watched) -> float:
        """When `job` needs a look of its own. A waiting job needs none while one of ours
        renders on the account: the read at that job's end shows which job took its slot."""
        if job.phase == "rendering" or job.want == "percent" or self._w.timing.poll_interval:
            return job.due
        rendering = any(j.phase == "rendering" for j in self.jobs.values())
        return math.inf if rendering else job.due

    async def _look(self, now: float) -> None:
        for job in [
            j for j in self.jobs.values() if now - j.registered > self._w.timing.job_deadline
        ]:
            hours = JOB_DEADLINE / 3600
            job.st.end(
                "failed",
                f"not finished after {hours:g} h (last seen {job.phase}); its job id is kept: "
                "a rerun follows it again",
            )
            self._finish(job, None)
        ready = [j for j in self.jobs.values() if self._due(j) <= now]
        percent = [j for j in ready if j.want == "percent" or not self.list_ok]
        if percent:
            job = min(percent, key=lambda j: j.due)
            await self._read_one(job)
        else:
            await self._read_list(ready)

    async def _read_one(self, job: Watched) -> None:
        ctx = self._w
        sent = anyio.current_time()
        try:
            video = await ctx.client.video(job.video_id)
        except useapi.NotFound:
            job.st.end("moderated", "moderated: the video was removed (404)")
            self._finish(job, None)
            return
        except useapi.Unauthorized:
            ctx.stop("the API token was rejected (401)")
            await anyio.sleep_forever()
        except PASSING as exc:
            self._failed(job, exc)
            return
        except useapi.ApiError as exc:
            job.st.end("failed", f"polling failed: {exc}")
            self._finish(job, None)
            return
        # The reply tells the job's state somewhere between sending and receiving.
        self._observe(job, video, (sent + anyio.current_time()) / 2, by_id=True)

    async def _read_list(self, ready: list[Watched]) -> None:
        ctx = self._w
        wanted = set(self.jobs)
        found: dict[str, Video] = {}
        last: str | None = None
        sent = anyio.current_time()
        try:
            for _ in range(LIST_PAGES):
                limit = min(100, len(self.jobs) + LIST_SLACK)
                page = await ctx.client.videos(self.account, limit=limit, last_video_id=last)
                found.update((v.video_id, v) for v in page if v.video_id in wanted)
                if len(page) < limit or wanted <= found.keys() or not page[-1].video_id:
                    break
                last = page[-1].video_id
        except useapi.Unauthorized:
            ctx.stop("the API token was rejected (401)")
            await anyio.sleep_forever()
        except PASSING as exc:
            for job in ready:
                self._failed(job, exc)
            return
        except useapi.ApiError:
            # The list is refused here (a proxy, an API change): read every job by id instead.
            self.list_ok = False
            return
        now = (sent + anyio.current_time()) / 2
        # Ends first: the slots they freed date the starts of the jobs that were queued.
        for video_id, video in sorted(found.items(), key=lambda item: not item[1].final):
            seen = self.jobs.get(video_id)
            if seen is not None:
                self._observe(seen, video, now, by_id=False)
        for job in ready:
            if job.video_id not in found and job.video_id in self.jobs:
                # Not listed (removed after moderation, or beyond the pages read): ask for it.
                job.due, job.want = now, "percent"

    def _observe(self, job: Watched, video: Video, now: float, *, by_id: bool) -> None:
        job.failures = 0
        if video.final:
            if video.completed and video.media_url is None and not by_id:
                job.due, job.want = now, "percent"  # the list left out its URL: read it by id
                return
            self._finish(job, video)
            return
        if video.queued:
            job.phase, job.seen = "queued", now
            job.due, job.want = now + self._queued_wait(), "list"
            self._show(job, "queued", None)
            return
        was_rendering = job.phase == "rendering"
        if not was_rendering:
            job.start = self._started(job, now)
            job.phase = "rendering"
        if by_id and video.percent is None:
            # No progress to go by: read it now and then, as a client without estimates would.
            job.due, job.want = now + self._w.timing.poll_max, "percent"
            self._show(job, "rendering", None)
            return
        if by_id and video.percent is not None:
            job.samples.append((now, min(99.5, video.percent + 0.5)))
        missed = not by_id and was_rendering and job.want == "list" and job.due <= now
        self._plan(job, now, missed=missed)
        self._show(job, "rendering", video.percent if by_id else self._estimate(job, now))

    def _started(self, job: Watched, now: float) -> float:
        """When a job now seen rendering began: when the last of our jobs on the account ended
        since it was last seen waiting (a queued job takes the slot the moment it frees); else
        when it was made (a new job with a free slot starts at once), or halfway."""
        waiting = job.seen if job.seen is not None else job.registered
        freed = [t for t in self.freed if waiting <= t <= now]
        if freed:
            return max(freed)
        return waiting if job.phase == "new" else (waiting + now) / 2

    def _plan(self, job: Watched, now: float, *, missed: bool) -> None:
        """When to look at a rendering job next, and what for."""
        timing = self._w.timing
        if timing.poll_interval is not None:
            job.due, job.want = now + timing.poll_interval, "list"
            return
        total, start = job.total, job.start if job.start is not None else now
        if missed or total is None:
            # No rate yet, or the estimate was early: a percent sample.
            if missed:
                job.due = now
            else:
                prior = self._w.prior(job.kind)
                at = start + SAMPLE_AT * prior if prior else now + timing.poll_min
                job.due = max(at, now + 0.05 * timing.poll_min)
            job.want = "percent"
            return
        if not job.precise:
            job.due, job.want = max(start + SAMPLE_AT * total, now), "percent"
            return
        job.due = start + total * (1 + MARGIN) + 0.05 * timing.poll_min
        job.want = "list"

    def _queued_wait(self) -> float:
        timing = self._w.timing
        if timing.poll_interval is not None:
            return timing.poll_interval
        return QUEUED_FACTOR * timing.poll_max

    def _estimate(self, job: Watched, now: float) -> int | None:
        total = job.total or self._w.prior(job.kind)
        if total is None or job.start is None or total <= 0:
            return None
        return max(0, min(99, int(100 * (now - job.start) / total)))

    def _show(self, job: Watched, phase: Literal["queued", "rendering"], pct: int | None) -> None:
        label = f"{phase}:{pct}"
        if label != job.shown:
            job.shown = label
            self._w.show(job.st, phase, pct)

    def _failed(self, job: Watched, exc: useapi.ApiError) -> None:
        job.failures += 1
        if job.failures >= POLL_FAILURES:
            job.st.end("failed", f"lost contact with the job ({exc}); a rerun resumes it")
            self._finish(job, None)
            return
        job.due = anyio.current_time() + self._w.timing.backoff(min(job.failures, 6))

    def _finish(self, job: Watched, video: Video | None) -> None:
        self.jobs.pop(job.video_id, None)
        now = anyio.current_time()
        if video is not None and job.start is not None:
            total = job.total if job.precise else None
            ended = min(now, job.start + total) if total else now
            self.freed = [*self.freed[-7:], ended]
            if video.completed:
                self._w.learn(job.kind, ended - job.start)
        job.result = video
        job.done.set()


@dataclass(slots=True)
class Watches:
    """Every account's watcher in one run; each runs as a task of the run's task group."""

    client: useapi.UseApi
    timing: Timing
    group: TaskGroup
    show: Callable[[TakeState, Literal["queued", "rendering"], int | None], None]
    stop: Callable[[str], None]
    _accounts: dict[str, AccountWatch] = field(default_factory=dict)
    _renders: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def account(self, account: str) -> AccountWatch:
        watch = self._accounts.get(account)
        if watch is None:
            watch = self._accounts[account] = AccountWatch(self, account)
            self.group.start_soon(watch.run)
        return watch

    def prior(self, kind: tuple[str, str]) -> float | None:
        """The median render time of this run's finished jobs of that kind (latest 9)."""
        seen = self._renders.get(kind)
        return statistics.median(seen) if seen else None

    def learn(self, kind: tuple[str, str], seconds: float) -> None:
        seen = self._renders.setdefault(kind, [])
        seen.append(seconds)
        del seen[:-9]

    def accounts(self) -> Iterable[AccountWatch]:
        return self._accounts.values()


async def until_final(
    watches: Watches, st: TakeState, account: str, first_delay: float, *, finished: bool = False
) -> Video | None:
    """Wait for the job of `st` to end: its final reply, or None when it was removed (404) or
    could not be read (`st` is then ended, its job id kept). A job known to be `finished` (its
    file is to be fetched again, perhaps days later) is read by id: the list may not reach it."""
    assert st.video_id is not None
    want: Want = "percent" if finished else "list"
    job = watches.account(account).add(st, st.video_id, first_delay, want)
    await job.done.wait()
    return job.result
