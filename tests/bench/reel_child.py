"""Reel's run in a process of its own, against a simulator in another, measured from inside.

    python -m tests.bench.reel_child PIPELINE BASE_URL TOKEN SCALE RESULT_JSON [LOG]

Runs the `reel run PIPELINE` command itself (`runner.commands.run.main`: validation, plan, the
output folder's lock, the run, the review page, the exit code), with one change: its backend is
the simulator process at BASE_URL, with the timing policy shrunk by SCALE = 1/speed as for the
embedded simulator, so that the simulator's CPU is not Reel's. Its output (plain log lines, as
when not on a terminal) goes to LOG. Writes the run's figures and this process's CPU time and
peak memory (getrusage) to RESULT_JSON.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _usage() -> tuple[float, float]:
    """(CPU seconds user+system, peak resident MB) of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def run(pipeline: Path, base_url: str, token: str, scale: float, log: Path) -> dict[str, Any]:
    from runner.commands import run as command
    from runner.run.backend import Backend
    from runner.run.scheduler import RunResult
    from runner.spec.pipeline import Pipeline
    from runner.spec.validate import load_pipeline

    results: list[RunResult] = []
    run_cpu: list[float] = []
    real_render = command.render

    @contextlib.contextmanager
    def simulator(_pipe: Pipeline, _url: str | None) -> Iterator[Backend]:
        yield Backend("simulator", base_url, token, scale)

    async def render(*args: Any, **kwargs: Any) -> RunResult:
        before = _usage()[0]
        result = await real_render(*args, **kwargs)
        run_cpu.append(_usage()[0] - before)
        results.append(result)
        return result

    # The command module's own names: its backend and its run, wrapped (see the docstring).
    setattr(command, "open_backend", simulator)  # noqa: B010
    setattr(command, "render", render)  # noqa: B010
    wall0 = time.perf_counter()
    with (
        log.open("w", encoding="utf-8") as out,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        code = command.main(
            str(pipeline),
            out=None,
            only=[],
            max_credits=None,
            yes=True,
            base_url=base_url,
            poll_interval=None,
            retry_wait=None,
            as_json=False,
            retry_failed=False,
            force=[],
        )
    wall = time.perf_counter() - wall0
    cpu, peak = _usage()
    (result,) = results
    pipe, _ = load_pipeline(pipeline)
    assert pipe is not None
    return {
        "exit_code": code,
        "outcome": result.outcome,
        "reason": result.reason,
        "counts": dict(result.counts),
        "takes": len(result.states),
        "requests": result.requests,
        "elapsed": result.elapsed,
        "wall": wall,
        "cpu_s": cpu,
        "cpu_run_s": run_cpu[0],
        "peak_mb": peak,
        "output": str(pipe.output),
    }


def main() -> None:
    pipeline, base_url, token, scale, target = sys.argv[1:6]
    log = Path(sys.argv[6]) if len(sys.argv) > 6 else Path(target).with_suffix(".log")
    figures = run(Path(pipeline), base_url, token, float(scale), log)
    Path(target).write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main()
