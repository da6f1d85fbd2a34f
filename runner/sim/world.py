"""The simulated MiniMax accounts, their queues and jobs over time, and the ledger.

Time is the wall clock (seconds since start). Job states are computed lazily: `advance` replays
every render that ended since it last ran, starting each queued job at the exact moment a slot
freed, so the answer never depends on when somebody looks. Requests come from the server's
thread and the ledger is read from others: every method takes the one lock.
"""

from __future__ import annotations

import functools
import io
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from runner.sim.accounts import AccountState, max_jobs_of, refusal
from runner.sim.config import SimConfig
from runner.sim.faults import Dice, Outcome, codes, outcome
from runner.sim.jobs import CreateRequest, Job, StoredFile, base_render_seconds, nominal_size
from runner.sim.ledger import Entry, Ledger
from runner.spec import catalogue

REMOVE_MODERATED_AFTER = 120.0
"""Seconds (before speed) a moderated video stays visible before GET answers 404."""

FIRST_FILE_NUMBER = 4_000_000_000_000_000
"""The simulator numbers its uploads from here; lower numbers are files from before it started."""

_UID = re.compile(r"^user:(\d+)-")
_FILE_ID = re.compile(r"^user:(\d+)-minimax:([^-:/]+)-file:(\d+)$")


class World:
    """Accounts, files and jobs of one simulator; thread-safe."""

    def __init__(self, config: SimConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.catalogue = config.catalogue or catalogue.shipped()
        self.lock = threading.RLock()
        self.dice = Dice(config.seed)
        self.ledger = Ledger()
        self._clock = clock
        self._t0 = clock()
        self._wall0 = time.time()
        found = _UID.match(config.bearer)
        self.uid = found.group(1) if found else "0"
        self.accounts = {a.id: AccountState(config=a, credits=a.credits) for a in config.accounts}
        for a in config.accounts:
            self._check_hold(self.accounts[a.id])
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, Job] = {}
        self._files_by_key: dict[str, StoredFile] = {}
        self._jobs_by_number: dict[str, Job] = {}
        self._ended: list[Job] = []
        self._seq = 0

    # --- clock -------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() - self._t0

    def wall(self, t: float) -> float:
        """Seconds since the epoch of time `t` on the simulator's clock."""
        return self._wall0 + t

    def iso(self, t: float) -> str:
        stamp = datetime.fromtimestamp(self._wall0 + t, tz=UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def advance(self) -> float:
        """Play every render that ended by now; return now."""
        with self.lock:
            now = self.now()
            for state in self.accounts.values():
                self._advance_account(state, now)
            return now

    def _advance_account(self, state: AccountState, now: float) -> None:
        while state.rendering:
            job = min(state.rendering, key=lambda j: (j.finishes_at() or 0.0, j.seq))
            ends = job.finishes_at()
            if ends is None or ends > now:
                return
            job.finished_at = ends
            if job.outcome == "moderated":
                job.removed_at = ends + REMOVE_MODERATED_AFTER / self.config.speed
            state.rendering.remove(job)
            self._ended.append(job)
            self._fill(state, ends)

    def _fill(self, state: AccountState, at: float) -> None:
        while state.queue and len(state.rendering) < state.config.render_slots:
            job = state.queue.popleft()
            job.started_at = at
            state.rendering.append(job)
        self.ledger.peak(self.ledger.peak_rendering, state.config.id, len(state.rendering))

    def next_event(self) -> float | None:
        """When the next render ends (for callbacks), or None when nothing renders."""
        with self.lock:
            ends = [j.finishes_at() for s in self.accounts.values() for j in s.rendering]
            return min((e for e in ends if e is not None), default=None)

    def take_ended(self) -> list[Job]:
        """Jobs that ended since the last call (for replyUrl callbacks)."""
        with self.lock:
            ended, self._ended = self._ended, []
            return ended

    # --- accounts and files ------------------------------------------------------------------

    def _check_hold(self, state: AccountState) -> None:
        limit = self.config.faults.hold_limit(state.config.id)
        if limit is not None and state.creates >= limit:
            state.on_hold = True

    def pick_account(self) -> str:
        """The account useapi would choose when a create names none: the least busy one."""
        with self.lock:
            self.advance()
            open_ = [s for s in self.accounts.values() if not s.on_hold] or list(
                self.accounts.values()
            )
            best = max(open_, key=lambda s: s.config.max_jobs - len(s.live(tracked_only=True)))
            return best.config.id

    def add_file(
        self, account: str, data: bytes, sha256: str, kind: str, size: tuple[int, int]
    ) -> StoredFile:
        with self.lock:
            self._seq += 1
            key = str(FIRST_FILE_NUMBER + self._seq)
            stored = StoredFile(
                file_id=f"user:{self.uid}-minimax:{account}-file:{key}",
                account=account,
                sha256=sha256,
                data=data,
                content_type=kind,
                width=size[0],
                height=size[1],
                key=key,
            )
            self.files[stored.file_id] = stored
            self._files_by_key[key] = stored
            self.record(
                "uploads", account=account, fileID=stored.file_id, sha256=sha256, bytes=len(data)
            )
            return stored

    def find_file(self, file_id: str) -> StoredFile | None:
        """An uploaded file, or one uploaded before the simulator started, else None.

        A real account has a history: with `earlier_files`, a fileID of this token's user, of a
        configured account and numbered below the simulator's own uploads is taken as such an
        earlier upload (its picture is a grey stand-in and its size unknown, so no size rule
        refuses it).
        """
        with self.lock:
            stored = self.files.get(file_id)
            found = _FILE_ID.match(file_id)
            if stored is not None or found is None:
                return stored
            uid, account, number = found.groups()
            earlier = int(number) < FIRST_FILE_NUMBER and self.config.earlier_files
            if uid != self.uid or account not in self.accounts or not earlier:
                return None
            stored = StoredFile(
                file_id=file_id,
                account=account,
                sha256="",
                data=_stand_in(),
                content_type="image/png",
                width=1280,
                height=720,
                key=number,
                size_known=False,
            )
            self.files[file_id] = stored
            self._files_by_key[number] = stored
            return stored

    def file_by_key(self, key: str) -> StoredFile | None:
        with self.lock:
            return self._files_by_key.get(key)

    def job_by_number(self, number: str) -> Job | None:
        """A job by the last part of its id (media URLs use it), unless removed."""
        with self.lock:
            job = self._jobs_by_number.get(number)
            return None if job is None else self.find(job.video_id)

    # --- jobs --------------------------------------------------------------------------------

    def create(self, request: CreateRequest, credits: int, *, tracked: bool, key: str) -> Job:
        """Queue a job (admission already checked) and charge its credits."""
        with self.lock:
            now = self.advance()
            state = self.accounts[request.account]
            self._seq += 1
            number = str(1_100_000_000_000_000_000 + self._seq)
            seconds = request.model.seconds_for(request.option)
            option = request.model.option(request.option) if request.option else None
            resolution = option.resolution if option else (request.model.resolution or "720p")
            jitter = 0.8 + 0.4 * self.dice.draw("jitter", key)
            forced = _forced_outcome(request.prompt)
            job = Job(
                seq=self._seq,
                number=number,
                video_id=f"user:{self.uid}-minimax:{request.account}-video:{number}",
                request=request,
                credits=credits,
                tracked=tracked,
                created_at=now,
                render_seconds=base_render_seconds(request.model, request.option)
                * jitter
                / self.config.speed,
                outcome=forced or outcome(self.config.faults, self.dice.draw("outcome", key)),
                width=nominal_size(resolution, request.aspect)[0],
                height=nominal_size(resolution, request.aspect)[1],
                seconds=seconds,
                codes=codes(self.config.faults, self.dice.draw("codes", key)),
            )
            self.jobs[job.video_id] = job
            self._jobs_by_number[number] = job
            state.credits -= credits
            state.creates += 1
            self._check_hold(state)
            state.queue.append(job)
            self._fill(state, now)
            self.ledger.peak(
                self.ledger.peak_jobs, state.config.id, len(state.live(tracked_only=False))
            )
            self.record(
                "creates",
                videoId=job.video_id,
                account=request.account,
                body=request.body,
                credits=credits,
                queuedAnyway=not tracked,
            )
            return job

    def admit(self, request: CreateRequest, credits: int) -> tuple[int, dict[str, Any]] | None:
        """The refusal a create meets before anything is queued (596, 412, 429), or None."""
        enforce = self.config.refuse_over_limit
        with self.lock:
            now = self.advance()
            state = self.accounts[request.account]
            refused = refusal(state, request, credits, self.iso, enforce_max_jobs=enforce)
            held, max_jobs = len(state.live(tracked_only=True)), max_jobs_of(state, request)
            if refused is None and held >= max_jobs:  # only when not enforced
                self.ledger.over_limit.append(
                    {
                        "t": round(now, 4),
                        "account": request.account,
                        "held": held,
                        "maxJobs": max_jobs,
                    }
                )
            return refused

    def tracked(self) -> list[Job]:
        """Jobs useapi is tracking (accepted creates not yet ended), oldest first."""
        with self.lock:
            self.advance()
            return sorted(
                (j for s in self.accounts.values() for j in s.live(tracked_only=True)),
                key=lambda j: j.seq,
            )

    def find(self, video_id: str) -> Job | None:
        """The job, or None when unknown or removed (a moderated job, some time after)."""
        with self.lock:
            now = self.advance()
            job = self.jobs.get(video_id)
            if job is None or (job.removed_at is not None and now >= job.removed_at):
                return None
            return job

    def listing(self, account: str | None, limit: int, last: str | None) -> list[Job]:
        """Jobs newest first, as GET /videos lists them (untracked ones included)."""
        with self.lock:
            now = self.advance()
            jobs = [
                j
                for j in reversed(self.jobs.values())
                if (account is None or j.account == account)
                and (j.removed_at is None or now < j.removed_at)
            ]
            if last is not None:
                ids = [j.video_id for j in jobs]
                jobs = jobs[ids.index(last) + 1 :] if last in ids else []
            return jobs[:limit]

    def cancel(self, job: Job) -> bool:
        """Cancel a job that has not ended; False when it already has."""
        with self.lock:
            now = self.advance()
            state = self.accounts[job.account]
            if job.finished_at is not None or job.cancelled:
                return False
            job.cancelled = True
            job.finished_at = now
            if job in state.queue:
                state.queue.remove(job)
            if job in state.rendering:
                state.rendering.remove(job)
                self._fill(state, now)
            self._ended.append(job)
            return True

    # --- ledger ------------------------------------------------------------------------------

    def record(self, table: str, **fields: Any) -> Entry:
        """Append an entry to a ledger table; the entry is returned for later updates."""
        with self.lock:
            rows: list[Entry] = getattr(self.ledger, table)
            entry = {"t": round(self.now(), 4), **fields}
            rows.append(entry)
            return entry

    def ledger_json(self) -> dict[str, Any]:
        """The ledger as served at GET /_sim/ledger."""
        with self.lock:
            self.advance()
            return self.ledger.snapshot(self.jobs.values(), self.accounts.values())


def _forced_outcome(prompt: str) -> Outcome | None:
    if "sim:moderate-late" in prompt:
        return "moderated"
    if "sim:fail" in prompt:
        return "failed"
    return None


@functools.cache
def _stand_in() -> bytes:
    """A grey 1280x720 PNG standing in for a file uploaded before the simulator started."""
    out = io.BytesIO()
    Image.new("RGB", (1280, 720), (128, 128, 128)).save(out, format="PNG")
    return out.getvalue()
