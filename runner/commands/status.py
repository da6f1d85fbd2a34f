"""`reel status PIPELINE|OUTPUT_DIR`: what is done, running, failed, and what finishing costs.

Reads the output folder's manifest and journal (and the lock beside a pipeline) only: no request
is sent, nothing is spent. Given a pipeline, its shot-takes are compared with what was rendered
(a changed shot is not started again), and what the folder lacks but the lock has is "to fetch"
(also when there is no output folder yet: a fresh clone); given an output folder, its last
manifest says which shot-takes there are.
Exit 0; 2 when the target is neither a valid pipeline nor an output folder of `reel run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner.errors import EXIT_OK, UsageError
from runner.state.status import STATES, Status, Wanted, read


def _from_pipeline(path: Path, shown: str) -> Status:
    from runner.commands.loading import valid_pipeline
    from runner.state.frames import plan_with_frames
    from runner.state.locked import lock_for

    pipeline = valid_pipeline(shown, "no status", path)
    wanted = [Wanted(t.key, t.fingerprint, t.credits) for t in plan_with_frames(pipeline).takes]
    return read(pipeline.output, wanted, str(path), lock_for(pipeline.path))


def _from_folder(folder: Path) -> Status:
    manifest = folder / "manifest.json"
    if not manifest.is_file() and not (folder / ".reel" / "journal.sqlite").is_file():
        raise UsageError(
            f"{folder} is not an output folder of `reel run` (no manifest.json, no .reel/):"
            " give a pipeline file or the folder a run wrote"
        )
    try:
        document: dict[str, Any] = json.loads(manifest.read_text("utf-8"))
        shots = [s for s in document["shots"] if isinstance(s, dict)]
        wanted = [
            Wanted(str(s["key"]), str(s["fingerprint"]), int(s.get("creditsEstimated") or 0))
            for s in shots
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{manifest} cannot be read ({exc}); `reel status PIPELINE` reads the journal"
            " with the pipeline instead"
        ) from None
    pipeline = document.get("pipeline")
    return read(folder, wanted, pipeline if isinstance(pipeline, str) else None)


def _print(status: Status) -> None:
    counts = status.counts
    where = f" (pipeline {status.pipeline})" if status.pipeline else ""
    print(f"{status.output}{where}")
    for state in STATES:
        print(f"  {state:<12}{counts.get(state, 0):>5}")
    if status.orphaned:
        print(f"  {'orphaned':<12}{len(status.orphaned):>5}")
    for t in status.takes:
        if t.state != "done":
            print(f"{t.key}: {t.state}: {t.detail}")
    for o in status.orphaned:
        print(f"{o['key']}: orphaned (no longer in the pipeline): {o['path']} stays")
    line = f"to finish: {counts.get('not started', 0)} to render, {status.to_finish} credits"
    if counts.get("to fetch"):
        line += f", {counts['to fetch']} to fetch (already rendered, free)"
    if status.to_retry:
        line += f" (+{status.to_retry} to retry the failed ones with --retry-failed)"
    print(line)
    if status.unsure:
        print(
            f"possibly charged already: {status.unsure} credits, by creates whose answer was"
            " lost and whose job was not found (check those accounts' videos)"
        )


def main(target: str, *, as_json: bool) -> int:
    """Print the status of a pipeline's output folder or of an output folder."""
    path = Path(target)
    if path.is_dir():
        status = _from_folder(path)
    elif path.is_file():
        status = _from_pipeline(path, target)
    else:
        raise UsageError(f"{target}: no such pipeline file or output folder")
    if as_json:
        print(json.dumps(status.to_json(), indent=2, ensure_ascii=False))
    else:
        _print(status)
    return EXIT_OK
