"""What the run knows about each shot-take as it goes: the manifest's entries, kept current.

`TakeState` is mutable on purpose: one task owns one state and updates it as its job moves;
the manifest writer and the final report read it. Statuses are the manifest's: pending,
running, completed, failed, moderated, skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from runner.state.plan import ShotTake


@dataclass(frozen=True, slots=True)
class Output:
    """A video file in the output folder."""

    path: Path
    size: int
    sha256: str
    width: int | None
    height: int | None
    duration: float | None = None
    """Seconds, as PyAV read them (None for an output reused from an earlier run)."""


Status = Literal["pending", "running", "completed", "failed", "moderated", "skipped"]


@dataclass(slots=True)
class FrameState:
    role: str
    path: str | None
    sha256: str | None
    file_id: str | None


@dataclass(slots=True)
class TakeState:
    """One shot-take's entry of the manifest."""

    take: ShotTake
    selected: bool = True
    """False for a shot-take `--only` leaves out: reported, never sent."""
    status: Status = "pending"
    account: str | None = None
    video_id: str | None = None
    attempts: int = 0
    queued: float | None = None
    submitted: float | None = None
    completed: float | None = None
    credits: int = 0
    """Credits spent on this shot-take's job (0 until a job exists)."""
    credits_unsure: int = 0
    """Credits of creates sent whose answer was lost and whose job no lookup found: the API
    may have charged them (a job moderated and removed after rendering no longer shows)."""
    output: Output | None = None
    error: str | None = None
    reused: bool = False
    """Completed by an earlier run: nothing was asked of the API."""
    frames: list[FrameState] = field(default_factory=list)
    journal_id: int | None = None

    @property
    def key(self) -> str:
        return self.take.key

    @property
    def final(self) -> bool:
        return self.status in ("completed", "failed", "moderated", "skipped")

    def end(self, status: Status, error: str | None = None) -> None:
        self.status = status
        self.error = error


class Budget:
    """`--max-credits`: never create a job that would take the run's spend over the limit."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        """Credits of jobs created in this run."""
        self.reserved = 0

    def reserve(self, credits: int) -> bool:
        if self.limit is not None and self.spent + self.reserved + credits > self.limit:
            return False
        self.reserved += credits
        return True

    def commit(self, credits: int) -> None:
        self.reserved -= credits
        self.spent += credits

    def release(self, credits: int) -> None:
        self.reserved -= credits
