"""What the user sees during `reel run`: a rich live view, JSON lines, or plain log lines.

Each is a sink for the scheduler's events (`runner.run.events`); none of them decides anything.
- `LiveView` (stdout is a terminal): every account's slots in use, every active shot-take's state
  (uploading, queued, rendering n%, downloading, done, failed with its reason), credits spent of
  the estimate, and an ETA from the pace of completions so far.
- `JsonLines` (`--json`): one JSON object per event on stdout.
- `PlainLog` (stdout is not a terminal): one line per meaningful change, no progress spam.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from runner.api.redact import redact
from runner.run.events import (
    AccountChanged,
    CreditsChanged,
    Event,
    Notice,
    RunFinished,
    RunStarted,
    TakeChanged,
    as_json,
)

ENDED = ("done", "reused", "failed", "moderated", "skipped")
_STYLE = {
    "done": "green",
    "reused": "green",
    "failed": "red",
    "moderated": "magenta",
    "skipped": "yellow",
    "rendering": "cyan",
    "queued": "blue",
}
LIVE_ROWS = 18


def _write(out: TextIO, line: str) -> None:
    """Write a line; if the reader went away (a closed pipe), keep the run going silently."""
    try:
        out.write(line + "\n")
        out.flush()
    except BrokenPipeError:
        # Point the descriptor at /dev/null so that later writes and the exit flush succeed.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())


class JsonLines:
    """`--json`: one event per line."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def emit(self, event: Event) -> None:
        _write(self.out, redact(json.dumps(as_json(event), ensure_ascii=False)))


def describe(event: Event) -> str | None:  # noqa: PLR0911 - one return per kind of event
    """A plain line for an event, or None for progress that does not deserve one."""
    match event:
        case RunStarted():
            accounts = ", ".join(f"{a} (maxJobs {n})" for a, n in event.accounts)
            lines = [
                f"run {event.run_id}: {event.takes} shot-takes, estimate {event.estimate}"
                f" credits, backend {event.backend} {event.base_url}, accounts {accounts}"
            ]
            if event.note:
                lines.insert(0, event.note)
            return "\n".join(lines)
        case TakeChanged(phase="rendering" | "queued" | "waiting" | "submitting"):
            return None
        case TakeChanged():
            where = f" on {event.account}" if event.account else ""
            why = f": {event.detail}" if event.detail else ""
            return f"{event.key}: {event.phase}{where}{why}"
        case AccountChanged(parked=str() as reason):
            return f"account {event.account} {reason}: no more work is sent to it"
        case Notice():
            return f"{event.level}: {event.message}" if event.level != "info" else event.message
        case RunFinished():
            counts = ", ".join(f"{n} {s}" for s, n in event.counts)
            why = f" ({event.reason})" if event.reason else ""
            return (
                f"finished: {event.outcome}{why}; {counts}; {event.spent} credits spent;"
                f" {event.requests} requests; {event.elapsed:.1f} s"
            )
    return None


class PlainLog:
    """Plain lines for logs and pipes."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._parked: set[str] = set()

    def emit(self, event: Event) -> None:
        if isinstance(event, AccountChanged):
            if event.parked is None or event.account in self._parked:
                return
            self._parked.add(event.account)
        line = describe(event)
        if line:
            _write(self.out, redact(line))


class LiveView:
    """The rich live view for a terminal; use as a context manager around the run."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.started = time.monotonic()
        self.header = ""
        self.accounts: dict[str, AccountChanged] = {}
        self.takes: dict[str, TakeChanged] = {}
        self.spent = self.estimate = 0
        self.notices: list[str] = []
        self._live = Live(
            get_renderable=self.render, console=self.console, refresh_per_second=4, transient=False
        )

    def __enter__(self) -> LiveView:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def emit(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.header = describe(event) or ""
                self.estimate = event.estimate
            case TakeChanged():
                self.takes[event.key] = event
            case AccountChanged():
                self.accounts[event.account] = event
            case CreditsChanged():
                self.spent = event.spent
            case Notice():
                self.notices.append(event.message)
            case RunFinished():
                self.notices.append(describe(event) or "")

    def _eta(self, counts: Counter[str]) -> str:
        done = sum(counts[p] for p in ENDED)
        left = len(self.takes) - done
        elapsed = time.monotonic() - self.started
        if done == 0 or left == 0:
            return "-" if left else "0 s"
        return f"{elapsed / done * left:.0f} s"

    def render(self) -> RenderableType:
        takes = list(self.takes.values())
        counts: Counter[str] = Counter(t.phase for t in takes)
        accounts = Table(title="accounts", expand=False)
        for col in ("account", "slots in use", "state"):
            accounts.add_column(col)
        for a in list(self.accounts.values()):
            accounts.add_row(a.account, f"{a.in_use}/{a.max_jobs}", a.parked or "ok")
        shots = Table(title="shots", expand=False)
        for col in ("shot-take", "account", "state"):
            shots.add_column(col)
        active = [t for t in takes if t.phase not in ENDED and t.phase != "waiting"]
        ended = [t for t in takes if t.phase in ENDED][-max(0, LIVE_ROWS - len(active)) :]
        for t in (active + ended)[:LIVE_ROWS]:
            state = f"{t.phase} {t.percent}%" if t.phase == "rendering" and t.percent else t.phase
            if t.detail and t.phase in ("failed", "moderated", "skipped"):
                state += f": {t.detail}"
            shots.add_row(t.key, t.account or "-", Text(state, style=_STYLE.get(t.phase, "")))
        summary = ", ".join(f"{n} {p}" for p, n in sorted(counts.items()))
        status = Text(
            f"credits {self.spent} of {self.estimate} estimated · {summary} · "
            f"ETA {self._eta(counts)}"
        )
        parts: list[RenderableType] = [Text(redact(self.header)), accounts, shots, status]
        parts.extend(Text(redact(n)) for n in self.notices[-5:])
        return Group(*parts)
