"""Everything the shot-take tasks of one run share: clients, journal, slots, budget, display.

One `RunContext` per run, made by `runner.run.scheduler`. Tasks never touch each other; they meet
only here (the placement queue, the per-account create locks, the account watchers that read
their jobs together, and `stop()` that ends the run for everyone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import anyio
import httpx

from runner.api.useapi import UseApi
from runner.run.events import (
    AccountChanged,
    CreditsChanged,
    Event,
    Notice,
    Phase,
    Sink,
    TakeChanged,
)
from runner.run.placement import AccountSlots, Placement
from runner.run.retry import Timing
from runner.run.watch import Watches
from runner.state.journal import Journal
from runner.state.plan import FileHasher
from runner.state.supersede import History
from runner.state.takestate import Budget, TakeState


@dataclass(slots=True)
class RunContext:
    """The shared state of one run."""

    run_id: str
    output: Path
    client: UseApi
    media: httpx.AsyncClient
    journal: Journal
    placement: Placement
    timing: Timing
    budget: Budget
    sink: Sink
    changed: Callable[[], None]
    """Tell the manifest writer that something changed."""
    estimate: int = 0
    retry_failed: bool = False
    force: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()
    """Shot ids to send (`--only`); empty: all."""
    hasher: FileHasher = field(default_factory=FileHasher)
    claimed: set[str] = field(default_factory=set)
    """Every video id that belongs to a shot-take (never adopted by a lookup)."""
    held: dict[str, str] = field(default_factory=dict)
    """Slots counted at the start for jobs an earlier run made or may have made (shot-take key
    → account), so that fresh work never overfills an account before they are resumed."""
    history: History | None = None
    chained: frozenset[str] = frozenset()
    """Shot ids on a chain (continuing from a shot or continued from): served first for a
    slot, since a chain's links cannot overlap and so set the run's critical path."""
    """Where replaced outputs go (`runner.state.supersede`)."""
    stop_reason: str | None = None
    interrupted: bool = False
    scope: anyio.CancelScope | None = None
    watches: Watches | None = None
    """Every account's watcher (`runner.run.watch`), set once the run's task group is open."""
    in_flight: set[anyio.CancelScope] = field(default_factory=set)
    """The shields of creates waiting for their reply (a second Ctrl-C cancels them)."""
    _locks: dict[str, anyio.Lock] = field(default_factory=dict)
    _upload_locks: dict[tuple[str, str], anyio.Lock] = field(default_factory=dict)

    def selected(self, st: TakeState) -> bool:
        return not self.only or st.take.shot.id in self.only

    def emit(self, event: Event) -> None:
        self.sink.emit(event)

    def say(self, message: str, level: Literal["info", "warning", "error"] = "warning") -> None:
        """A line on screen while the run goes on (a wait that may be long, and why)."""
        self.sink.emit(Notice(message, level))

    def emit_credits(self) -> None:
        self.sink.emit(CreditsChanged(spent=self.budget.spent, estimate=self.estimate))

    def show(
        self, st: TakeState, phase: Phase, *, percent: int | None = None, detail: str | None = None
    ) -> None:
        """Emit a TakeChanged for `st` and mark the manifest dirty."""
        self.sink.emit(
            TakeChanged(
                key=st.key,
                phase=phase,
                account=st.account,
                video_id=st.video_id,
                percent=percent,
                detail=detail,
            )
        )
        self.changed()

    def show_end(self, st: TakeState) -> None:
        """Emit the phase matching how `st` ended, with its reason."""
        phases: dict[str, Phase] = {
            "completed": "reused" if st.reused else "done",
            "moderated": "moderated",
            "skipped": "skipped",
        }
        self.show(st, phases.get(st.status, "failed"), detail=st.error)

    def show_watched(self, st: TakeState, phase: Phase, percent: int | None) -> None:
        """What an account's watcher saw of a job: queued, or rendering (percent if known)."""
        self.show(st, phase, percent=percent)

    def create_lock(self, account: str) -> anyio.Lock:
        """Creates and lookups on one account go one at a time, so a lookup after a
        maybe-queued create never mistakes another shot-take's fresh job for its own."""
        lock = self._locks.get(account)
        if lock is None:
            lock = self._locks[account] = anyio.Lock()
        return lock

    def upload_lock(self, account: str, image: str) -> anyio.Lock:
        lock = self._upload_locks.get((account, image))
        if lock is None:
            lock = self._upload_locks[account, image] = anyio.Lock()
        return lock

    def take_hold(self, key: str, account: str) -> None:
        """A resumed job now holds its slot: the one counted at the start, else a new one."""
        if self.held.pop(key, None) is None:
            self.placement.occupy(account)

    def release_hold(self, key: str) -> None:
        """The shot-take will not follow an earlier job: free the slot counted for it."""
        account = self.held.pop(key, None)
        if account is not None:
            self.placement.release(account)

    def stop(self, reason: str) -> None:
        """End the run for every task (401, Ctrl-C): nothing more is sent."""
        if self.stop_reason is None:
            self.stop_reason = reason
        if self.scope is not None:
            self.scope.cancel()

    def abandon(self) -> None:
        """Stop waiting for the replies of creates in flight: their intents stay open in the
        journal, and a rerun looks their jobs up before sending anything."""
        for shield in list(self.in_flight):
            shield.cancel()

    @property
    def stopping(self) -> bool:
        return self.stop_reason is not None


def account_event(acc: AccountSlots) -> AccountChanged:
    return AccountChanged(
        account=acc.id, in_use=acc.ours + acc.others, max_jobs=acc.max_jobs, parked=acc.parked
    )
