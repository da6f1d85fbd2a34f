"""`reel plan FILE`: what a run would render and what it would cost, without spending."""

from __future__ import annotations

import json
from pathlib import Path

from runner.errors import EXIT_OK


def main(
    file: str,
    *,
    as_json: bool,
    out: str | None,
    retry_failed: bool,
    force: list[str],
    overlay: str | None = None,
) -> int:
    """Print the plan of a valid pipeline; exit 2 with its diagnostics when it is invalid.

    Each shot-take also says what the next `reel run` (with the same --out, --retry-failed and
    --force) does with it, as the output folder's journal tells: reuse, resume, render or keep
    (a failed shot), and why; the total is what that run will spend. No request is sent.
    """
    from runner.commands.loading import valid_pipeline
    from runner.errors import UsageError
    from runner.state.plan import make_plan
    from runner.state.rerun import decide_all, next_backend

    pipeline = valid_pipeline(file, "nothing was planned", overlay=overlay)
    plan = make_plan(pipeline)
    output = Path(out).absolute() if out else pipeline.output
    known = {t.shot.id for t in plan.takes}
    unknown = sorted(set(force) - known)
    if unknown:
        raise UsageError(
            f"--force: no shot with id {', '.join(unknown)} in the pipeline "
            f"(ids: {', '.join(sorted(known))})"
        )
    decisions = decide_all(
        output, plan.takes, retry_failed=retry_failed, force=force, backend=next_backend()
    )
    if as_json:
        from runner.state.plan_view import to_json

        print(json.dumps(to_json(plan, output, decisions), indent=2, ensure_ascii=False))
    else:
        from runner.commands.tables import print_plan

        earlier = (output / ".reel" / "journal.sqlite").exists()
        print_plan(plan, file, output, decisions if earlier or force else None)
    return EXIT_OK
