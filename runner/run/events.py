"""What a run reports while it goes: typed events from the scheduler to a sink.

The scheduler only emits; the display (`runner.run.display`) only renders. `as_json` gives the
one-object-per-line form of `reel run --json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Protocol

Phase = Literal[
    "waiting",  # for a slot on an account
    "uploading",
    "submitting",
    "queued",  # in MiniMax's queue
    "rendering",
    "downloading",
    "done",
    "reused",  # completed by an earlier run, output intact
    "failed",
    "moderated",
    "skipped",
    "interrupted",
]


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    backend: str
    base_url: str
    pipeline: str
    output: str
    takes: int
    estimate: int
    accounts: tuple[tuple[str, int], ...]
    """(account id, maxJobs) pairs."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TakeChanged:
    key: str
    phase: Phase
    account: str | None = None
    percent: int | None = None
    detail: str | None = None
    video_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountChanged:
    account: str
    in_use: int
    max_jobs: int
    parked: str | None = None


@dataclass(frozen=True, slots=True)
class CreditsChanged:
    spent: int
    estimate: int


@dataclass(frozen=True, slots=True)
class Notice:
    message: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True)
class RunFinished:
    outcome: Literal["completed", "incomplete", "stopped", "interrupted"]
    counts: tuple[tuple[str, int], ...]
    spent: int
    elapsed: float
    requests: int
    reason: str | None = None


Event = RunStarted | TakeChanged | AccountChanged | CreditsChanged | Notice | RunFinished


def as_json(event: Event) -> dict[str, Any]:
    """`{"event": "take", ...}` with None fields left out."""
    names = {
        RunStarted: "run",
        TakeChanged: "take",
        AccountChanged: "account",
        CreditsChanged: "credits",
        Notice: "notice",
        RunFinished: "finished",
    }
    out: dict[str, Any] = {"event": names[type(event)]}
    raw = asdict(event)
    for f in fields(event):
        value = raw[f.name]
        if value is not None:
            out[f.name] = dict(value) if f.name == "counts" else value
    return out


class Sink(Protocol):
    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass


class ListSink:
    """Keeps every event (tests)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)
