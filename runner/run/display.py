"""What the user sees during `reel run`: a rich live view, JSON lines, or plain log lines.

Each is a sink for the scheduler's events (`runner.run.events`); none of them decides anything.
- `LiveView` (stdout is a terminal): every account's slots in use, every active shot-take's state
  (uploading, queued, rendering n%, downloading, done, failed with its reason), credits spent of
  the estimate, and an ETA from the pace of completions so far.
- `JsonLines` (`--json`): one JSON object per event on stdout.
- `PlainLog` (stdout is not a terminal): one line per meaningful change: each state a shot-take
  enters (queued with its job id, rendering, downloading, done...) and every 25 % of a render,
  so that a log of a real run, whose renders take minutes, never goes quiet for long.

The live view fits the terminal: the header, the account slots and the summary line (credits,
counts, ETA) always show; the active shot-takes fill what rows are left, and finished ones fold
into the summary's counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import replace
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
"""Shot-take rows the live view shows at most, however tall the terminal."""
SHOTS_FRAME = 5
"""Lines of the shots table besides its rows: title, borders, header."""
MILESTONE = 25
"""Percent steps of a render that the plain log reports."""


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
                f"run {event.run_id}: {event.takes} shot-take{'' if event.takes == 1 else 's'},"
                f" estimate {event.estimate}"
                f" credits, backend {event.backend} {event.base_url}, accounts {accounts}"
            ]
            if event.note:
                lines.insert(0, event.note)
            return "\n".join(lines)
        case TakeChanged(phase="waiting" | "submitting"):
            return None
        case TakeChanged(phase="queued"):
            job = f" as {event.video_id}" if event.video_id else ""
            return f"{event.key}: queued on {event.account}{job}"
        case TakeChanged(phase="rendering"):
            done = f" {event.percent}%" if event.percent else ""
            return f"{event.key}: rendering{done} on {event.account}"
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
            how: str = event.outcome
            if event.reason:  # "interrupted (Ctrl-C)" says the outcome already
                reason = event.reason
                how = reason if reason.startswith(event.outcome) else f"{how} ({reason})"
            return (
                f"finished: {how}; {counts}; {event.spent} credits spent;"
                f" {event.requests} requests; {event.elapsed:.1f} s"
            )
    return None


class PlainLog:
    """Plain lines for logs and pipes."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._parked: set[str] = set()
        self._progress: dict[str, tuple[str, int]] = {}
        """Per shot-take, the last progress phase logged and its milestone."""

    def _is_news(self, event: TakeChanged) -> bool:
        """A progress phase is logged when it is entered and at each MILESTONE of a render."""
        if event.phase not in ("queued", "rendering"):
            self._progress.pop(event.key, None)
            return True
        step = (event.percent or 0) // MILESTONE * MILESTONE if event.phase == "rendering" else 0
        last = self._progress.get(event.key)
        if last is not None and last[0] == event.phase and last[1] >= step:
            return False
        self._progress[event.key] = (event.phase, step)
        return True

    def emit(self, event: Event) -> None:
        if isinstance(event, AccountChanged):
            if event.parked is None or event.account in self._parked:
                return
            self._parked.add(event.account)
        if isinstance(event, TakeChanged) and not self._is_news(event):
            return
        if isinstance(event, TakeChanged) and event.phase == "rendering" and event.percent:
            event = replace(event, percent=event.percent // MILESTONE * MILESTONE)
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
        # One line for the accounts' slots: the rows of a short terminal go to the shot-takes.
        accounts = Text(
            "slots in use: "
            + " · ".join(
                f"{a.account} {a.in_use}/{a.max_jobs}" + (f" ({a.parked})" if a.parked else "")
                for a in list(self.accounts.values())
            )
        )
        summary = ", ".join(f"{n} {p}" for p, n in sorted(counts.items()))
        status = Text(
            f"credits {self.spent} of {self.estimate} estimated · {summary} · "
            f"ETA {self._eta(counts)}"
        )
        fixed: list[RenderableType] = [Text(redact(self.header)), accounts]
        notes = [Text(redact(n)) for n in self.notices[-3:]]
        used = sum(self._lines(part) for part in (*fixed, status, *notes))
        shots = self._shots(takes, self.console.height - used - SHOTS_FRAME)
        return Group(*fixed, *([shots] if shots is not None else []), status, *notes)

    def _lines(self, part: RenderableType) -> int:
        return len(self.console.render_lines(part, self.console.options, pad=False))

    def _shots(self, takes: list[TakeChanged], room: int) -> Table | None:
        """The active shot-takes (then the latest failures) in at most `room` rows, one line
        each; done and reused ones are only counted in the summary."""
        rows = min(room, LIVE_ROWS)
        if rows < 1:
            return None
        active = [t for t in takes if t.phase not in ENDED and t.phase != "waiting"]
        failed = [t for t in takes if t.phase in ("failed", "moderated", "skipped")]
        shown = (active + failed[::-1])[:rows]
        hidden = len(active) + len(failed) - len(shown)
        if hidden:
            shown = shown[: rows - 1]
            hidden += 1
        shots = Table(title="shots", expand=False)
        shots.add_column("shot-take", no_wrap=True)
        shots.add_column("account", no_wrap=True)
        shots.add_column("state", no_wrap=True, overflow="ellipsis")
        for t in shown:
            state = f"{t.phase} {t.percent}%" if t.phase == "rendering" and t.percent else t.phase
            if t.detail and t.phase in ("failed", "moderated", "skipped"):
                state += f": {t.detail}"
            shots.add_row(t.key, t.account or "-", Text(state, style=_STYLE.get(t.phase, "")))
        if hidden:
            shots.add_row(f"… {hidden} more", "", "")
        return shots
