"""Reel's run in a process of its own, against a simulator in another, measured from inside.

    python -m tests.bench.reel_child PIPELINE BASE_URL TOKEN SCALE RESULT_JSON [LOG]

Does what `reel run PIPELINE` does with the embedded simulator (validate, plan, render with
the timing policy shrunk by SCALE = 1/speed, plain log lines as when not on a terminal), but
talks to the simulator process at BASE_URL, so that the simulator's CPU is not Reel's. Writes
the run's figures and this process's CPU time and peak memory (getrusage) to RESULT_JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _usage() -> tuple[float, float]:
    """(CPU seconds user+system, peak resident MB) of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def run(pipeline: Path, base_url: str, token: str, scale: float, log: Path) -> dict[str, Any]:
    import anyio

    from runner.backend import Backend
    from runner.commands.run import RunOptions, render, select
    from runner.display import PlainLog
    from runner.plan import make_plan
    from runner.validate import load_pipeline

    wall0 = time.perf_counter()
    pipe, diagnostics = load_pipeline(pipeline)
    if pipe is None:
        raise SystemExit("\n".join(d.render() for d in diagnostics[:10]))
    options = RunOptions()
    takes = select(make_plan(pipe).takes, options)
    backend = Backend("simulator", base_url, token, scale)
    cpu_before, _ = _usage()
    with log.open("w", encoding="utf-8") as out:
        sink = PlainLog(out)
        result = anyio.run(lambda: render(pipe, takes, options, backend, sink, handle_sigint=False))
    cpu, peak = _usage()
    return {
        "outcome": result.outcome,
        "reason": result.reason,
        "counts": dict(result.counts),
        "takes": len(takes),
        "requests": result.requests,
        "elapsed": result.elapsed,
        "wall": time.perf_counter() - wall0,
        "cpu_s": cpu,
        "cpu_run_s": cpu - cpu_before,
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
