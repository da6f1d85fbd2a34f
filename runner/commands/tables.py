"""The rich tables of `reel plan` and `reel models` (imported only when printed)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from runner.spec.catalogue import Catalogue, Model
from runner.state.plan import Plan
from runner.state.rerun import Decision, lookup_credits


def _console() -> Console:
    # Piped output keeps its full width instead of wrapping at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False, markup=False)


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
        table = Table(title=title, title_justify="left")
        for name in header:
            table.add_column(name)
        table.add_column("credits", justify="right")
        for cells in body:
            table.add_row(*cells)
        console.print(table)
    else:
        _print_columns(title, [*header, "credits"], body)
    by_model = ", ".join(f"{m} {c}" for m, c in plan.credits_by_model().items())
    shots = len(plan.pipeline.shots)
    console.print(f"credits by model: {by_model}", soft_wrap=True)
    console.print(
        f"total: {plan.total_credits} credits for {len(plan.takes)} videos ({shots} shots)",
        soft_wrap=True,
    )
    if decisions is not None:
        console.print(rerun_line(decisions), soft_wrap=True)
    left_out = plan.pipeline.left_out
    if left_out:
        console.print(f"left out of matrices ({len(left_out)}, the model cannot take them):")
        for o in left_out:
            console.print(f"  {o.id}: {o.reason}", soft_wrap=True)
    if prompts:
        console.print("prompts (after vars, looks and cast):")
        for shot in plan.pipeline.shots:
            console.print(f"  {shot.id}: {shot.prompt or '(no prompt)'}", soft_wrap=True)


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
    return "next run: " + ", ".join(parts)


def _print_columns(title: str, header: list[str], body: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [title]
    for row in [header, *body]:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1].rjust(widths[-1])]))
    sys.stdout.write("\n".join(lines) + "\n")


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
    table = Table(title="Models (credits per video)", title_justify="left")
    for name in ("model", "family", "kind", "options (* default)", "frames", "aspect"):
        table.add_column(name)
    table.add_column("credits", justify="right")
    for m in cat.models.values():
        options = ", ".join(o.name + ("*" if o.name == m.default_option else "") for o in m.options)
        credits = "/".join(str(o.credits) for o in m.options) if m.options else str(m.credits)
        aspect = "/".join(cat.aspect_ratios) if m.aspect_ratio else "-"
        table.add_row(
            m.name, m.family_label, m.kind, options or "-", frames_text(m), aspect, credits
        )
    console.print(table)
    console.print(
        "Director models read camera moves in [brackets], up to "
        f"{cat.max_camera_moves} at once: " + ", ".join(cat.camera_moves)
    )
