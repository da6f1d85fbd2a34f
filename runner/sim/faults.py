"""Faults the simulator injects, each with its own rate, seeded and reproducible.

`reel sim serve --faults SPEC` takes comma-separated `KEY=VALUE` pairs, for example
`429=0.2,502q=0.05,502=0.05,reset=0.02,slow=0.01,truncate=0.02,moderate=0.01,hold=111@5`:

| key             | what happens (rate: 0..1, per request of that kind)                           |
|-----------------|-------------------------------------------------------------------------------|
| `429`           | create answers 429 "YOU CAN QUEUE 3 JOBS AT ONCE"; nothing is queued          |
| `502q` / `504q` | create answers 502/504 "too busy", but the job IS queued (and charged): it    |
|                 | shows in `GET /videos`, never in the reply                                     |
| `502` / `504`   | any API call answers 502/504 "too busy"; nothing is done                      |
| `reset`         | any API call: the connection is closed before the request is processed       |
| `reset_after`   | any API call: the request is processed (a create queues its job), then the   |
|                 | connection is closed before the reply is complete                             |
| `slow`          | any API call is answered only after `slow_s` seconds (divided by speed)      |
| `slow_s`        | seconds of a slow reply (default 40)                                          |
| `truncate`      | a media download sends fewer bytes than its Content-Length, then closes      |
| `moderate`      | create answers 422 (prompt moderated at submit); nothing is charged           |
| `moderate_late` | the job renders, then ends moderated (status 5) and later answers 404         |
| `fail`          | the job renders, then fails (status 3)                                        |
| `codes`         | the job reports the docs' other codes for its states: 0 (pending) while     |
|                 | queued, 12 while processing, 7 or 14 when moderated                            |
| `unknown_status`| the job reports status 99 (no doc lists it; `statusFinal` false) while it    |
|                 | renders                                                                       |
| `own`           | 1: the per-call faults (`502`, `504`, `reset`, `reset_after`, `slow`) also  |
|                 | meet useapi's own endpoints (`/accounts`, `/scheduler*`); 0 (the default):   |
|                 | only calls that reach MiniMax (files, videos)                                  |
| `hold`          | `hold=N`: every account goes on hold (596) after its N-th accepted create;   |
|                 | `hold=111@5+222@2` names accounts                                             |

The create faults (`429` to `reset_after`) share one draw, so their rates must add up to at
most 1; so must `moderate_late` + `fail`, and `codes` + `unknown_status`. Credits running out
(412) come from the accounts' credits (`--accounts 111:free:2:100`). A prompt containing
`sim:moderate`, `sim:moderate-late` or `sim:fail` always gets that fault: tests use it to aim
at one shot.

Every decision is a hash of (seed, kind of fault, what the request is about, how many times that
was asked before), so a shot's third create attempt meets the same fault whatever other shots do
meanwhile.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Literal, TypeVar

from runner.errors import UsageError

CreateFault = Literal["429", "502q", "504q", "502", "504", "reset", "reset_after"]
CallFault = Literal["502", "504", "reset", "reset_after"]
Outcome = Literal["completed", "moderated", "failed"]
_T = TypeVar("_T", bound=str)


@dataclass(frozen=True, slots=True)
class FaultRates:
    """One rate (0..1) per fault; all zero by default. See the module docstring."""

    spurious_429: float = 0.0
    busy_queued_502: float = 0.0
    busy_queued_504: float = 0.0
    busy_502: float = 0.0
    busy_504: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 40.0
    truncate: float = 0.0
    moderate_submit: float = 0.0
    moderate_render: float = 0.0
    render_fail: float = 0.0
    documented_codes: float = 0.0
    unknown_codes: float = 0.0
    own_endpoints: bool = False
    """The per-call faults also meet /accounts and /scheduler*: not documented (useapi answers
    those itself, without asking MiniMax), so only a hostile network does that."""
    hold_after: tuple[tuple[str | None, int], ...] = field(default=())
    """(account or None for every account, N): on hold after the N-th accepted create."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and f.name != "slow_seconds" and not 0 <= value <= 1:
                raise UsageError(f"--faults: {_key_of(f.name)}={value} is not within 0..1")
        if self.slow_seconds < 0:
            raise UsageError("--faults: slow_s must not be negative")
        create = (
            self.spurious_429 + self.busy_queued_502 + self.busy_queued_504 + self.busy_502
        ) + (self.busy_504 + self.reset_before + self.reset_after)
        if create > 1:
            raise UsageError("--faults: 429+502q+504q+502+504+reset+reset_after exceed 1")
        if self.moderate_render + self.render_fail > 1:
            raise UsageError("--faults: moderate_late+fail exceed 1")
        if self.documented_codes + self.unknown_codes > 1:
            raise UsageError("--faults: codes+unknown_status exceed 1")
        for account, n in self.hold_after:
            if n < 0:
                raise UsageError(f"--faults: hold={account or ''}@{n}: N must not be negative")

    def hold_limit(self, account: str) -> int | None:
        """After how many accepted creates this account goes on hold (None: never)."""
        named = [n for a, n in self.hold_after if a == account]
        anyone = [n for a, n in self.hold_after if a is None]
        found = named or anyone
        return min(found) if found else None


_KEYS = {
    "429": "spurious_429",
    "502q": "busy_queued_502",
    "504q": "busy_queued_504",
    "502": "busy_502",
    "504": "busy_504",
    "reset": "reset_before",
    "reset_after": "reset_after",
    "slow": "slow",
    "slow_s": "slow_seconds",
    "truncate": "truncate",
    "moderate": "moderate_submit",
    "moderate_late": "moderate_render",
    "fail": "render_fail",
    "codes": "documented_codes",
    "unknown_status": "unknown_codes",
    "own": "own_endpoints",
}


def _key_of(field_name: str) -> str:
    return next((k for k, v in _KEYS.items() if v == field_name), field_name)


def parse_faults(spec: str | None) -> FaultRates:
    """Read a `--faults` SPEC (see the module docstring) into FaultRates."""
    if not spec or not spec.strip():
        return FaultRates()
    values: dict[str, object] = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"--faults: {item!r} is not KEY=VALUE")
        if key == "hold":
            values["hold_after"] = _holds(text.strip())
            continue
        if key not in _KEYS:
            known = ", ".join([*_KEYS, "hold"])
            raise UsageError(f"--faults: unknown fault {key!r}; known: {known}")
        try:
            number = float(text)
            values[_KEYS[key]] = bool(number) if key == "own" else number
        except ValueError:
            raise UsageError(f"--faults: {key}={text!r} is not a number") from None
    return FaultRates(**values)  # type: ignore[arg-type]


def _holds(text: str) -> tuple[tuple[str | None, int], ...]:
    holds: list[tuple[str | None, int]] = []
    for part in text.split("+"):
        account, at, count = part.rpartition("@")
        try:
            holds.append((account if at else None, int(count)))
        except ValueError:
            raise UsageError(f"--faults: hold={text!r}: use hold=N or hold=ACCOUNT@N") from None
    return tuple(holds)


class Dice:
    """Seeded draws in [0, 1) keyed by what a request is about, so runs reproduce."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._seen: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def draw(self, kind: str, key: str) -> float:
        with self._lock:
            n = self._seen[kind, key]
            self._seen[kind, key] += 1
        digest = hashlib.blake2b(f"{self._seed}|{kind}|{key}|{n}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64

    def fixed(self, kind: str, key: str) -> float:
        """A draw that is the same every time it is asked (jitter of one job)."""
        digest = hashlib.blake2b(f"{self._seed}|{kind}|{key}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64


def pick(u: float, table: list[tuple[_T, float]]) -> _T | None:
    """The entry whose slice of [0, 1) the draw u falls in, or None past them all."""
    edge = 0.0
    for name, rate in table:
        edge += rate
        if u < edge:
            return name
    return None


def create_fault(rates: FaultRates, u: float) -> CreateFault | None:
    table: list[tuple[CreateFault, float]] = [
        ("429", rates.spurious_429),
        ("502q", rates.busy_queued_502),
        ("504q", rates.busy_queued_504),
        ("502", rates.busy_502),
        ("504", rates.busy_504),
        ("reset", rates.reset_before),
        ("reset_after", rates.reset_after),
    ]
    return pick(u, table)


def call_fault(rates: FaultRates, u: float) -> CallFault | None:
    table: list[tuple[CallFault, float]] = [
        ("502", rates.busy_502),
        ("504", rates.busy_504),
        ("reset", rates.reset_before),
        ("reset_after", rates.reset_after),
    ]
    return pick(u, table)


def codes(rates: FaultRates, u: float) -> Literal["usual", "documented", "unknown"]:
    """Which status codes a job reports (see `runner.sim.jobs.Job.reported_status`)."""
    table: list[tuple[Literal["documented", "unknown"], float]] = [
        ("documented", rates.documented_codes),
        ("unknown", rates.unknown_codes),
    ]
    return pick(u, table) or "usual"


def outcome(rates: FaultRates, u: float) -> Outcome:
    table: list[tuple[Outcome, float]] = [
        ("moderated", rates.moderate_render),
        ("failed", rates.render_fail),
    ]
    return pick(u, table) or "completed"
