"""The rich tables of `reel plan` and `reel models` (imported only when printed)."""

from __future__ import annotations

import os
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from runner.spec.catalogue import Catalogue, Model
from runner.state.plan import Plan
from runner.state.rerun import Decision, lookup_credits

PIPE_WIDTH = 140
"""Columns of piped output when COLUMNS does not say: wide, so that a log keeps whole rows."""


def _width() -> int:
    """The terminal's width; in a pipe COLUMNS, else PIPE_WIDTH."""
    if sys.stdout.isatty():
        return os.get_terminal_size(sys.stdout.fileno()).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPE_WIDTH


def _console() -> Console:
    return Console(width=_width(), highlight=False, markup=False, soft_wrap=False)


def _emit(lines: Sequence[str]) -> None:
    """Write the lines without trailing spaces."""
    sys.stdout.write("".join(line.rstrip() + "\n" for line in lines))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """`text` wrapped at spaces only: a model, option or shot id is never split or cut."""
    return textwrap.wrap(
        text,
        width=max(width, 20),
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def _narrowest(header: Sequence[str], body: Sequence[Sequence[str]]) -> int:
    """The width of the narrowest table that splits no cell within a word: per column its
    longest word and a space either side, plus the borders."""
    words = [
        max(len(word) for row in (header, *body) for word in (row[i].split() or [""]))
        for i in range(len(header))
    ]
    return sum(w + 2 for w in words) + len(words) + 1


def _fitted(
    console: Console, title: str, header: Sequence[str], body: Sequence[Sequence[str]]
) -> list[str]:
    """The rows as a table when every word of every cell fits whole at the console's width,
    else stacked: one block per row, its first cell, then `column: value` pairs wrapped."""
    table = Table(show_edge=True)
    for name in header[:-1]:
        table.add_column(name)
    table.add_column(header[-1], justify="right")
    for cells in body:
        table.add_row(*cells)
    lines = _wrap(title, console.width)
    if _narrowest(header, body) <= console.width:
        with console.capture() as captured:
            console.print(table)
        return lines + captured.get().splitlines()
    for cells in body:
        lines.append(cells[0])
        pairs = [f"{h}: {c}" for h, c in zip(header[1:], cells[1:], strict=True)]
        lines += _pack(pairs, console.width, indent="  ")
    return lines


def _pack(
    units: Sequence[str], width: int, indent: str, sep: str = " · ", first: str | None = None
) -> list[str]:
    """`units` joined by `sep` into lines of at most `width` (the first line starting with
    `first`, default `indent`), a unit broken only when it is longer than a line on its own
    (then at spaces). A comma separator stays at the end of a line it ends."""
    lines: list[str] = []
    line = ""
    for unit in units:
        start = indent if lines or first is None else first
        joined = line + sep + unit if line else start + unit
        if len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line + ("," if sep == ", " else ""))
        line = indent + unit
        if len(line) > width:
            *whole, line = _wrap(line, width, indent=indent + "  ")
            lines += whole
    return [*lines, line] if line else lines


def _short(path: Path) -> str:
    """The path relative to the current folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


RICH_ROWS = 500
"""Above this many rows the plan is printed as plain columns: rich measures every cell of a
table before drawing it, which takes seconds for a 10,000-shot plan."""


def print_plan(
    plan: Plan,
    file: str,
    output: Path,
    decisions: Sequence[Decision] | None = None,
    *,
    prompts: bool = False,
) -> None:
    """The plan as a table, then the credits per model and the total; with `decisions` (an
    earlier run's results), what the next run does with each shot-take and what it spends;
    the matrix combinations left out; with `prompts`, each shot's resolved prompt."""
    from runner.state.plan_view import rows

    console = _console()
    listed = rows(plan)
    pinned = any(r.account for r in listed)
    header = ["shot", "take", "model", "options", "aspect", "frames"]
    header += ["account"] if pinned else []
    header += ["next run", "why"] if decisions is not None else []
    body = []
    for n, r in enumerate(listed):
        take = f"{r.take}/{r.takes}" if r.takes > 1 else "1"
        cells = [r.shot, take, r.model, r.options or "-", r.aspect_ratio or "-", r.frames]
        cells += [r.account or "any"] if pinned else []
        if decisions is not None:
            cells += [decisions[n].action, decisions[n].reason]
        body.append([*cells, str(r.credits)])
    title = f"{file} → {_short(output)}"
    if len(body) <= RICH_ROWS:
        lines = _fitted(console, title, [*header, "credits"], body)
    else:
        lines = _columns(title, [*header, "credits"], body)
    by_model = [f"{m} {c}" for m, c in plan.credits_by_model().items()]
    by_model[0] = f"credits by model: {by_model[0]}"
    shots = len(plan.pipeline.shots)
    lines += _pack(by_model, console.width, indent="  ", sep=", ", first="")
    videos = "1 video" if len(plan.takes) == 1 else f"{len(plan.takes)} videos"
    shot_count = "1 shot" if shots == 1 else f"{shots} shots"
    lines.append(f"total: {plan.total_credits} credits for {videos} ({shot_count})")
    if decisions is not None:
        lines += _wrap(rerun_line(decisions), console.width, indent="  ")
    left_out = plan.pipeline.left_out
    if left_out:
        lines.append(f"left out of matrices ({len(left_out)}, the model cannot take them):")
        for o in left_out:
            lines += _wrap(f"  {o.id}: {o.reason}", console.width, indent="    ")
    if prompts:
        lines.append("prompts (after vars, looks and cast):")
        for shot in plan.pipeline.shots:
            lines += _wrap(
                f"  {shot.id}: {shot.prompt or '(no prompt)'}", console.width, indent="    "
            )
    _emit(lines)


def rerun_line(decisions: Sequence[Decision]) -> str:
    """`next run: 2 to render (50 credits), 3 reused, 1 resumed, 1 failed kept`."""
    counts = Counter(d.action for d in decisions)
    spend = sum(d.credits for d in decisions)
    parts = [f"{counts['render']} to render ({spend} credits)"]
    parts += [f"{counts['reuse']} reused"] if counts["reuse"] else []
    parts += [f"{counts['resume']} resumed (no new job)"] if counts["resume"] else []
    parts += [f"{counts['fetch']} fetched (already rendered, free)"] if counts["fetch"] else []
    if counts["keep"]:
        parts.append(f"{counts['keep']} failed kept (--retry-failed renders them)")
    unsure = lookup_credits(decisions)
    if unsure:
        parts.append(f"up to {unsure} credits more for sends whose job is not found")
    maybe = sum(d.unsure for d in decisions)
    if maybe:
        parts.append(
            f"up to {maybe} credits possibly charged already by creates whose answer was lost "
            "(check those accounts' videos)"
        )
    return "next run: " + ", ".join(parts)


def _columns(title: str, header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [title]
    for row in [header, *body]:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1].rjust(widths[-1])]))
    return lines


def frames_text(m: Model) -> str:
    """What images a model takes, e.g. `first optional, last (768p/1080p)`."""
    parts = []
    if m.first != "none":
        parts.append(f"first {m.first}")
    if m.allows_last:
        ok = [o.resolution for o in m.options if o.allows_last]
        partial = len(ok) < len(m.options)
        parts.append(f"last ({'/'.join(dict.fromkeys(ok))})" if partial else "last")
    lo, hi = m.references
    if hi:
        parts.append(f"{lo} reference" if lo == hi == 1 else f"{lo}-{hi} references")
    if m.first_sizes:
        parts.append(" or ".join(f"{w}x{h}" for w, h in m.first_sizes.values()))
    return ", ".join(parts) or "none (text only)"


def print_models(cat: Catalogue) -> None:
    """The catalogue as a table."""

    console = _console()
    header = ["model", "family", "kind", "options (* default)", "frames", "aspect", "credits"]
    body = []
    for m in cat.models.values():
        options = ", ".join(o.name + ("*" if o.name == m.default_option else "") for o in m.options)
        credits = "/".join(str(o.credits) for o in m.options) if m.options else str(m.credits)
        aspect = "/".join(cat.aspect_ratios) if m.aspect_ratio else "-"
        body.append(
            [m.name, m.family_label, m.kind, options or "-", frames_text(m), aspect, credits]
        )
    lines = _fitted(console, "Models (credits per video)", header, body)
    moves = (
        "Director models read camera moves in [brackets], up to "
        f"{cat.max_camera_moves} at once: " + ", ".join(cat.camera_moves)
    )
    _emit(lines + _wrap(moves, console.width))
