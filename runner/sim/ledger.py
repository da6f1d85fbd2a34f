"""The simulator's ledger: every request, create, refusal, download and upload, for tests.

The world appends to it under its lock; `World.ledger()` turns it into the JSON served at
GET /_sim/ledger (times are seconds since the simulator started).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
            "peakJobs": dict(self.peak_jobs),
            "peakRendering": dict(self.peak_rendering),
        }
