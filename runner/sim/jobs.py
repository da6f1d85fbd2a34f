"""The records the simulated world keeps: uploaded files, accepted create requests and jobs.

A job's state is computed from the clock: it is queued (11) until a render slot of its account
frees, processing (1) for its render time, then completed (2), failed (3) or moderated (5).
What it reports (`reported_status`) may be another code the docs list for the same state
(0 pending, 12 processing, 7 or 14 moderated) or one they do not (99), when a fault says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from runner.sim.faults import Outcome
from runner.spec.catalogue import Model

STATUS_LABELS = {
    11: "queued",
    0: "pending",
    1: "processing",
    12: "processing",
    2: "completed",
    3: "failed",
    5: "moderated",
    7: "moderated",
    14: "moderated",
}
FINAL = frozenset({2, 3, 5, 7, 14})
MODERATED = frozenset({5, 7, 14})
UNKNOWN_STATUS = 99
"""What a job rendering with the `unknown_status` fault reports: a code no doc lists."""

_SECONDS_PER_SECOND = {"512p": 20.0, "720p": 25.0, "768p": 30.0, "1080p": 60.0, "4k": 90.0}
_FAMILY_FACTOR = {"hailuo-01": 1.0, "hailuo-02": 1.0, "sora": 1.3, "veo": 1.5}


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An image uploaded with POST /files."""

    file_id: str
    account: str
    sha256: str
    data: bytes
    content_type: str
    width: int
    height: int
    key: str
    """The last part of its id, used in its media URL."""
    size_known: bool = True
    """False for a file uploaded before the simulator started: its picture is a stand-in."""


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A POST /videos/create body that passed every rule, with the defaults resolved."""

    account: str
    model: Model
    option: str | None
    prompt: str
    prompt_optimization: bool
    first: StoredFile | None
    last: StoredFile | None
    references: tuple[StoredFile, ...]
    aspect: str
    max_jobs: int | None
    reply_url: str | None
    reply_ref: str | None
    body: dict[str, Any]
    """The body as received (JSON types), for the ledger."""


def nominal_size(resolution: str, aspect: str) -> tuple[int, int]:
    """The width and height the real service reports for a resolution and aspect ratio."""
    height = 2160 if resolution == "4k" else int(resolution.rstrip("p"))
    width = round(height * 16 / 9 / 2) * 2
    return (height, width) if aspect == "9:16" else (width, height)


def base_render_seconds(model: Model, option: str | None) -> float:
    """How long the real service takes to render one video, before speed and jitter.

    Minutes, as on hailuoai.video: 1080p slower than 768p, 4k slower still, Sora and Veo slower
    than Hailuo, Fast models twice as fast.
    """
    found = model.option(option) if option else None
    resolution = found.resolution if found else (model.resolution or "720p")
    seconds = model.seconds_for(option)
    factor = _FAMILY_FACTOR.get(model.family, 1.0) * (0.5 if model.fast else 1.0)
    return seconds * _SECONDS_PER_SECOND.get(resolution, 30.0) * factor


@dataclass(slots=True)
class Job:
    """One video on a MiniMax account; times are seconds on the simulator's clock."""

    seq: int
    number: str
    video_id: str
    request: CreateRequest
    credits: int
    tracked: bool
    """False for a job queued although its create answered 502/504: useapi does not track it."""
    created_at: float
    render_seconds: float
    outcome: Outcome
    width: int
    height: int
    seconds: int
    started_at: float | None = None
    finished_at: float | None = None
    cancelled: bool = False
    removed_at: float | None = None
    codes: Literal["usual", "documented", "unknown"] = "usual"
    """Which codes it reports: 11/1/5, the docs' others (0/12/7 or 14), or 99 while rendering."""

    @property
    def account(self) -> str:
        return self.request.account

    def status(self) -> int:
        if self.cancelled:
            return 3
        if self.started_at is None:
            return 11
        if self.finished_at is None:
            return 1
        return {"completed": 2, "failed": 3, "moderated": 5}[self.outcome]

    def reported_status(self) -> int:
        """The status GET /videos answers with (see the module docstring)."""
        status = self.status()
        if self.codes == "unknown" and status == 1:
            return UNKNOWN_STATUS
        if self.codes != "documented" or self.cancelled:
            return status
        return {11: 0, 1: 12, 5: 7 if self.seq % 2 else 14}.get(status, status)

    def percent(self, now: float) -> int:
        if self.started_at is None:
            return 0
        if self.finished_at is not None:
            return 100
        done = (now - self.started_at) / self.render_seconds if self.render_seconds else 1.0
        return max(0, min(99, int(done * 100)))

    def finishes_at(self) -> float | None:
        if self.started_at is None or self.finished_at is not None:
            return None
        return self.started_at + self.render_seconds

    def message(self, now: float) -> str:
        status = self.status()
        if self.cancelled:
            return "Cancelled"
        return {
            11: "Waiting in queue",
            1: f"Generating video, {self.percent(now)}%",
            2: "",
            3: "Video generation failed, please try again",
            5: "Video was flagged by content moderation",
        }.get(status, "")
