"""The simulator's ledger: every request, create, refusal, download and upload, for tests.

The world appends to it under its lock; `World.ledger()` turns it into the JSON served at
GET /_sim/ledger (times are seconds since the simulator started).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.sim.jobs import Job

if TYPE_CHECKING:
    from runner.sim.accounts import AccountState

Entry = dict[str, Any]


@dataclass(slots=True)
class Ledger:
    """Append-only lists of what happened; peaks per account."""

    requests: list[Entry] = field(default_factory=list)
    creates: list[Entry] = field(default_factory=list)
    refusals: list[Entry] = field(default_factory=list)
    downloads: list[Entry] = field(default_factory=list)
    uploads: list[Entry] = field(default_factory=list)
    faults: list[Entry] = field(default_factory=list)
    callbacks: list[Entry] = field(default_factory=list)
    inbox: list[Entry] = field(default_factory=list)
    over_limit: list[Entry] = field(default_factory=list)
    """Creates accepted beyond maxJobs (only with `SimConfig(refuse_over_limit=False)`)."""
    peak_jobs: dict[str, int] = field(default_factory=dict)
    peak_rendering: dict[str, int] = field(default_factory=dict)

    def peak(self, table: dict[str, int], account: str, value: int) -> None:
        table[account] = max(table.get(account, 0), value)

    def lists(self) -> dict[str, Any]:
        """Copies of the lists, safe to hand to another thread."""
        return {
            "requests": [dict(e) for e in self.requests],
            "creates": [dict(e) for e in self.creates],
            "refusals": [dict(e) for e in self.refusals],
            "downloads": [dict(e) for e in self.downloads],
            "uploads": [dict(e) for e in self.uploads],
            "faults": [dict(e) for e in self.faults],
            "callbacks": [dict(e) for e in self.callbacks],
            "inbox": [dict(e) for e in self.inbox],
            "overLimit": [dict(e) for e in self.over_limit],
            "peakJobs": dict(self.peak_jobs),
            "peakRendering": dict(self.peak_rendering),
        }

    def snapshot(self, jobs: Iterable[Job], accounts: Iterable[AccountState]) -> dict[str, Any]:
        """The whole ledger as JSON types (GET /_sim/ledger)."""
        data = self.lists()
        data["jobs"] = [_job_entry(j) for j in jobs]
        data["accounts"] = {}
        for state in accounts:
            account = state.config.id
            data["accounts"][account] = {
                "plan": state.config.plan,
                "maxJobs": state.config.max_jobs,
                "credits": state.credits,
                "onHold": state.on_hold,
                "creates": state.creates,
            }
            data["peakJobs"].setdefault(account, 0)
            data["peakRendering"].setdefault(account, 0)
        return data


def _job_entry(job: Job) -> Entry:
    return {
        "videoId": job.video_id,
        "account": job.account,
        "model": job.request.model.name,
        "options": job.request.option,
        "createdAt": round(job.created_at, 4),
        "startedAt": None if job.started_at is None else round(job.started_at, 4),
        "finishedAt": None if job.finished_at is None else round(job.finished_at, 4),
        "renderSeconds": round(job.render_seconds, 4),
        "status": job.status(),
        "tracked": job.tracked,
        "credits": job.credits,
        "outcome": "cancelled" if job.cancelled else job.outcome,
    }
