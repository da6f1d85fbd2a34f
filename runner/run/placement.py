"""Which account renders a shot-take: slots per account, pinning, parking, a fair queue.

An account holds at most `max_jobs` jobs at once (queued + rendering, ours plus what others
already run on it). A shot-take asks for a slot with `acquire()`: a pinned one waits for its
own account, any other gets the account with the most free capacity at the moment a slot opens.
Waiters are served first come first served (file order), pinned ones from a queue per account,
so serving a freed slot costs O(1), not O(waiters); a waiter asking to go `first` (a link of a
chain of shots, which sets the run's critical path) is served before the others. A parked
account (out of credits, on hold) takes no more work; when no account can take a waiter's work,
`acquire()` returns None and `why_not()` says why.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio


@dataclass(slots=True)
class AccountSlots:
    """One account's capacity as the run sees it."""

    id: str
    max_jobs: int
    others: int = 0
    """Jobs others run on it (GET /scheduler/available, kept current by `runner.run.others`)."""
    ours: int = 0
    parked: str | None = None
    """Why the account takes no more work in this run, or None."""

    @property
    def free(self) -> int:
        if self.parked is not None:
            return 0
        return max(0, self.max_jobs - self.ours - self.others)


@dataclass(slots=True, eq=False)
class _Waiter:
    pinned: str | None
    event: anyio.Event = field(default_factory=anyio.Event)
    account: str | None = None
    done: bool = False
    cancelled: bool = False


class Placement:
    """Slots of every account of the run, and the queue of shot-takes waiting for one."""

    def __init__(
        self,
        accounts: Sequence[AccountSlots],
        on_change: Callable[[AccountSlots], None] = lambda _a: None,
    ) -> None:
        self.accounts = {a.id: a for a in accounts}
        self._order = list(self.accounts.values())
        self._on_change = on_change
        self._any: deque[_Waiter] = deque()
        self._first: deque[_Waiter] = deque()
        self._pinned: dict[str, deque[_Waiter]] = {a.id: deque() for a in accounts}

    def why_not(self, pinned: str | None) -> str:
        """Why no account can take work (pinned to `pinned`, or any)."""
        if pinned is not None:
            acc = self.accounts.get(pinned)
            if acc is None:
                return f"account {pinned} is not one of this run's accounts"
            return f"account {pinned} {acc.parked}"
        if not self._order:
            return "no account can render videos"
        return "no account can take work: " + "; ".join(
            f"{a.id} {a.parked}" for a in self._order if a.parked
        )

    def can_ever(self, pinned: str | None) -> bool:
        if pinned is not None:
            acc = self.accounts.get(pinned)
            return acc is not None and acc.parked is None
        return any(a.parked is None for a in self._order)

    async def acquire(self, pinned: str | None, *, first: bool = False) -> str | None:
        """Wait for a slot; the account it is on, or None when no account can take the work.
        `first`: served before the unpinned waiters that did not ask so."""
        if not self.can_ever(pinned):
            return None
        waiter = _Waiter(pinned)
        if pinned is not None:
            self._pinned[pinned].append(waiter)
        else:
            (self._first if first else self._any).append(waiter)
        self._dispatch()
        try:
            await waiter.event.wait()
        except BaseException:
            waiter.cancelled = True
            if waiter.account is not None:
                self.release(waiter.account)
            raise
        return waiter.account

    def occupy(self, account: str) -> None:
        """Count a job that already exists on `account` (resumed from an earlier run)."""
        acc = self.accounts.get(account)
        if acc is not None:
            acc.ours += 1
            self._on_change(acc)

    def release(self, account: str) -> None:
        """A job on `account` ended (or was never created): its slot is free."""
        acc = self.accounts.get(account)
        if acc is not None:
            acc.ours = max(0, acc.ours - 1)
            self._on_change(acc)
            self._dispatch()

    def set_others(self, counts: dict[str, int]) -> None:
        """What others hold on each account now; slots they freed go to waiters."""
        for account, count in counts.items():
            acc = self.accounts.get(account)
            if acc is not None and acc.others != count:
                acc.others = count
                self._on_change(acc)
        self._dispatch()

    def park(self, account: str, reason: str) -> None:
        """The account takes no more work in this run; waiters pinned to it get None."""
        acc = self.accounts.get(account)
        if acc is None or acc.parked is not None:
            return
        acc.parked = reason
        self._on_change(acc)
        self._dispatch()

    def _give(self, waiter: _Waiter, account: AccountSlots | None) -> None:
        waiter.done = True
        if account is not None:
            account.ours += 1
            waiter.account = account.id
            self._on_change(account)
        waiter.event.set()

    def _dispatch(self) -> None:
        for acc in self._order:
            queue = self._pinned[acc.id]
            while queue and (acc.free > 0 or acc.parked is not None):
                waiter = queue.popleft()
                if not waiter.cancelled:
                    self._give(waiter, acc if acc.parked is None else None)
        for queue in (self._first, self._any):
            while queue:
                best = max(self._order, key=lambda a: a.free, default=None)
                if (
                    best is not None
                    and best.free <= 0
                    and any(a.parked is None for a in self._order)
                ):
                    return
                waiter = queue.popleft()
                if not waiter.cancelled:
                    self._give(waiter, best if best is not None and best.free > 0 else None)
