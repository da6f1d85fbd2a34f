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
    prompts: bool = False,
    overlay: str | None = None,
) -> int:
    """Print the plan of a valid pipeline; exit 2 with its diagnostics when it is invalid.

    Each shot-take also says what the next `reel run` (with the same --out, --retry-failed and
    --force) does with it, as the output folder's journal and the lock beside the pipeline tell:
    reuse, resume, fetch (rendered elsewhere, downloaded free), render or keep (a failed shot),
    and why; the total is what that run will spend. No request is sent.
    """
    from runner.commands.loading import valid_pipeline
    from runner.errors import UsageError
    from runner.state.frames import plan_with_frames
    from runner.state.locked import lock_for
    from runner.state.plan import with_variants
    from runner.state.rerun import decide_all, next_backend, next_user

    pipeline = valid_pipeline(file, "nothing was planned", overlay=overlay)
    force = list(with_variants(force, pipeline))
    output = Path(out).absolute() if out else pipeline.output
    plan = plan_with_frames(pipeline, output, force)
    known = {t.shot.id for t in plan.takes}
    unknown = sorted(set(force) - known)
    if unknown:
        raise UsageError(
            f"--force: no shot with id {', '.join(unknown)} in the pipeline "
            f"(ids: {', '.join(sorted(known))})"
        )
    lock = lock_for(pipeline.path)
    decisions = decide_all(
        output,
        plan.takes,
        retry_failed=retry_failed,
        force=force,
        backend=next_backend(),
        lock=lock,
        user=next_user(),
    )
    if as_json:
        from runner.state.plan_view import to_json

        print(json.dumps(to_json(plan, output, decisions), indent=2, ensure_ascii=False))
    else:
        from runner.commands.tables import print_plan

        earlier = (output / ".reel" / "journal.sqlite").exists()
        shown = earlier or force or lock is not None or any(t.waits_for for t in plan.takes)
        print_plan(plan, file, output, decisions if shown else None, prompts=prompts)
    return EXIT_OK
