"""`reel plan FILE`: what a run would render and what it would cost, without spending."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from runner.errors import EXIT_OK, EXIT_USAGE


def main(
    file: str,
    *,
    as_json: bool,
    out: str | None,
    retry_failed: bool,
    force: list[str],
) -> int:
    """Print the plan of a valid pipeline; exit 2 with its diagnostics when it is invalid.

    `retry_failed` and `force` only matter once a run has results to resume from.
    """
    del retry_failed, force
    from runner.diagnostics import has_errors
    from runner.plan import make_plan
    from runner.validate import load_pipeline

    pipeline, diagnostics = load_pipeline(Path(file), file)
    for d in diagnostics:
        print(d.render(), file=sys.stderr)
    if pipeline is None or has_errors(diagnostics):
        print(f"reel: {file} is invalid; nothing was planned", file=sys.stderr)
        return EXIT_USAGE
    plan = make_plan(pipeline)
    output = Path(out).absolute() if out else pipeline.output
    if as_json:
        from runner.plan_view import to_json

        print(json.dumps(to_json(plan, output), indent=2, ensure_ascii=False))
    else:
        from runner.commands.tables import print_plan

        print_plan(plan, file, output)
    return EXIT_OK
