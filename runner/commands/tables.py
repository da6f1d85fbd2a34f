"""The rich tables of `reel plan` and `reel models` (imported only when printed)."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from runner.catalogue import Catalogue
from runner.plan import Plan


def _console() -> Console:
    # Piped output keeps its full width instead of wrapping at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False, markup=False)


def _short(path: Path) -> str:
    """The path relative to the current folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_plan(plan: Plan, file: str, output: Path) -> None:
    from runner.plan_view import rows

    console = _console()
    table = Table(title=f"{file} → {_short(output)}", title_justify="left")
    listed = rows(plan)
    pinned = any(r.account for r in listed)
    for name in ("shot", "take", "model", "options", "aspect", "frames"):
        table.add_column(name)
    if pinned:
        table.add_column("account")
    table.add_column("credits", justify="right")
    for r in listed:
        take = f"{r.take}/{r.takes}" if r.takes > 1 else "1"
        cells = [r.shot, take, r.model, r.options or "-", r.aspect_ratio or "-", r.frames]
        cells += [r.account or "any"] if pinned else []
        table.add_row(*cells, str(r.credits))
    console.print(table)
    by_model = ", ".join(f"{m} {c}" for m, c in plan.credits_by_model().items())
    shots = len(plan.pipeline.shots)
    console.print(f"credits by model: {by_model}")
    console.print(
        f"total: {plan.total_credits} credits for {len(plan.takes)} videos ({shots} shots)"
    )


def print_models(cat: Catalogue) -> None:
    from runner.commands.models import frames_text

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
