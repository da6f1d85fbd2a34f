"""What a simulator is started with: its accounts, speed, faults, seed and token.

`parse_accounts` reads the `--accounts ID:PLAN:MAXJOBS[:CREDITS],...` option of `reel sim serve`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from runner.errors import UsageError
from runner.sim.faults import FaultRates
from runner.spec.catalogue import Catalogue

Plan = Literal["free", "paid"]
Listing = Literal["with-room", "all"]
"""How GET /scheduler/available lists accounts: the docs show only examples with room, and
useapi's own batch script submits to the first listed account, so by default a full or held
account is left out (`with-room`); `all` lists it with `available: 0`. Reel must work on both."""

LISTING_ENV = "REEL_SIM_AVAILABLE"
"""Sets the listing of every simulator started without one (CI runs Reel's suites on both)."""

EMBEDDED_MEDIA_SCALE = 0.25
"""Served videos are this fraction of the reported size unless told otherwise: a 1280x720 MP4
takes about ten times as long to make as a 320x180 one, and the tests make hundreds of them.
`reel sim serve` serves the reported size (scale 1) unless `--media-scale` says otherwise."""

DEFAULT_TOKEN = "user:1234-simulatortoken0000"  # noqa: S105 - the demo token, not a secret
PLENTY = 1_000_000
"""Credits an account gets when none are given: enough never to run out by accident."""

RENDER_SLOTS: dict[str, int] = {"free": 1, "paid": 2}
"""How many videos MiniMax renders at once on an account of each plan (the rest wait)."""

QUEUE_CAP: dict[str, int] = {"free": 3, "paid": 5}
"""MiniMax's own bound on jobs an account holds, whatever maxJobs says (the seed: 3 / 5)."""

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def listing_from_env() -> Listing:
    """The listing named by `REEL_SIM_AVAILABLE` (`with-room` when unset)."""
    value = os.environ.get(LISTING_ENV, "").strip() or "with-room"
    if value == "all":
        return "all"
    if value != "with-room":
        raise UsageError(f"{LISTING_ENV}={value!r}: use 'with-room' or 'all'")
    return "with-room"


@dataclass(frozen=True, slots=True)
class SimAccount:
    """One simulated MiniMax account."""

    id: str
    plan: Plan = "free"
    max_jobs: int = 2
    credits: int = PLENTY

    def __post_init__(self) -> None:
        if not _ACCOUNT_ID.match(self.id):
            raise UsageError(f"account id {self.id!r}: use letters, digits and _ only")
        if self.plan not in RENDER_SLOTS:
            raise UsageError(f"account {self.id}: plan {self.plan!r} is not 'free' or 'paid'")
        if not 1 <= self.max_jobs <= 10:
            raise UsageError(f"account {self.id}: maxJobs {self.max_jobs} is not within 1..10")
        if self.credits < 0:
            raise UsageError(f"account {self.id}: credits {self.credits} is negative")

    @property
    def render_slots(self) -> int:
        return RENDER_SLOTS[self.plan]

    @property
    def queue_cap(self) -> int:
        return QUEUE_CAP[self.plan]


DEFAULT_ACCOUNTS = (
    SimAccount(id="111111", plan="free", max_jobs=2),
    SimAccount(id="222222", plan="paid", max_jobs=3),
)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything a simulator needs; `running_simulator(SimConfig())` is a working default."""

    accounts: tuple[SimAccount, ...] = DEFAULT_ACCOUNTS
    speed: float = 1.0
    """Divides every duration: render times, slow replies, the delay before a moderated video
    disappears."""
    faults: FaultRates = field(default_factory=FaultRates)
    seed: int = 0
    token: str | None = None
    catalogue: Catalogue | None = None
    """The models, options and prices to accept and charge (a pipeline's catalogue with its
    overlay, handed over by the run side); None: Reel's own."""
    earlier_files: bool = False
    """Take unknown fileIDs of this user and a configured account, numbered below the
    simulator's own uploads, as files uploaded before it started (a demo of a pipeline with
    fileIDs renders); off, they are refused as not found."""
    listing: Listing = field(default_factory=listing_from_env)
    """GET /scheduler/available: only accounts with room, or all (see `Listing`)."""
    media_scale: float = EMBEDDED_MEDIA_SCALE
    """Served videos are this fraction of their reported width and height (1: the same)."""
    refuse_over_limit: bool = True
    """Answer a create beyond the account's maxJobs with 429, as useapi does. Off, it is accepted
    and written to the ledger's `overLimit`: a test of Reel's own placement then sees every
    over-limit create instead of the simulator quietly correcting it."""

    def __post_init__(self) -> None:
        if not self.accounts:
            raise UsageError("the simulator needs at least one account")
        ids = [a.id for a in self.accounts]
        if len(set(ids)) != len(ids):
            raise UsageError(f"account ids must be unique: {', '.join(ids)}")
        if not self.speed > 0:
            raise UsageError(f"speed must be above 0, not {self.speed}")
        if self.token is not None and not self.token.strip():
            raise UsageError("the token must not be empty")
        if self.listing not in get_args(Listing):
            raise UsageError(f"listing must be 'with-room' or 'all', not {self.listing!r}")
        if not 0 < self.media_scale <= 1:
            raise UsageError(f"media scale must be above 0 and at most 1, not {self.media_scale}")

    @property
    def bearer(self) -> str:
        return self.token or DEFAULT_TOKEN

    def account(self, account_id: str) -> SimAccount | None:
        return next((a for a in self.accounts if a.id == account_id), None)


def parse_accounts(spec: str) -> tuple[SimAccount, ...]:
    """Read `ID:PLAN:MAXJOBS[:CREDITS],...`, e.g. `111:free:2,222:paid:3:500`."""
    accounts: list[SimAccount] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        parts = item.split(":")
        if len(parts) not in (3, 4):
            raise UsageError(
                f"--accounts: {item!r} is not ID:PLAN:MAXJOBS[:CREDITS] (e.g. 111:free:2)"
            )
        ident, plan, max_jobs = parts[0], parts[1].lower(), parts[2]
        if plan not in ("free", "paid"):
            raise UsageError(f"--accounts: {item!r}: plan must be 'free' or 'paid', not {plan!r}")
        accounts.append(
            SimAccount(
                id=ident,
                plan="free" if plan == "free" else "paid",
                max_jobs=_int(item, "MAXJOBS", max_jobs),
                credits=_int(item, "CREDITS", parts[3]) if len(parts) == 4 else PLENTY,
            )
        )
    if not accounts:
        raise UsageError("--accounts: give at least one ID:PLAN:MAXJOBS")
    return tuple(accounts)


def _int(item: str, name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(
            f"--accounts: {item!r}: {name} must be a whole number, not {text!r}"
        ) from None
