"""Every benchmark in one run, printed as a table (and as JSON with --json).

    python -m tests.bench [--quick] [--json] [--keep DIR]

- storyboard: 300 shots over 3 accounts (1 free maxJobs 2, 2 paid maxJobs 3), Reel and then
  the naive client (useapi's batch script), each on a fresh simulator process sped up so that
  a render takes 0.24-1.44 s (speed 300: a 3-minute render takes 0.6 s);
- cpu: Reel on 10,000 instant jobs (--quick: 2,000), its CPU time and peak memory;
- soak: 200 shot-takes with every fault at once (speed 600: it judges correctness, not time),
  then the naive client on the same soak for comparison;
- validate: `tests.bench.validate_bench` on a 10,000-shot pipeline;
- dag: 6 chains of 4 shots (each on the last frame of the one before) and 48 independent shots
  on the same accounts: makespan / max(longest chain's renders, total renders / slots).

The simulator always runs in a process of its own (`tests.bench.simproc`) and Reel in another
(`tests.bench.reel_child`), talking HTTP over 127.0.0.1. `--keep DIR` leaves every run's
folder (pipeline, outputs, manifest, ledger.json, Reel's log) in DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import runs, soak
from tests.bench.simproc import ROOT


@dataclass(frozen=True, slots=True)
class Settings:
    shots: int
    speed: float
    instant: int
    soak_shots: int
    soak_speed: float


FULL = Settings(shots=300, speed=300.0, instant=10_000, soak_shots=200, soak_speed=600.0)
QUICK = Settings(shots=300, speed=300.0, instant=2_000, soak_shots=200, soak_speed=600.0)

GOALS: dict[str, tuple[str, float]] = {
    "makespan_ratio": ("<=", 1.05),
    "slot_utilisation": (">=", 0.95),
    "requests_per_video": ("<=", 5),
    "detection_lag": ("<=", 0.05),
    "cpu_ms_per_shot": ("<=", 2),
    "peak_mb": ("<=", 200),
    "validate_10k_s": ("<=", 2),
    "soak_duplicates": ("<=", 0),
    "soak_lost": ("<=", 0),
    "dag_makespan_ratio": ("<=", 1.10),
}


def validate_seconds(shots: int = 10_000) -> float:
    """Seconds to validate and plan a `shots`-shot pipeline, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.validate_bench", str(shots)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    found = re.search(r"total: ([0-9.]+) s", done.stdout)
    if found is None:
        raise RuntimeError(f"validate_bench printed no total:\n{done.stdout}")
    return float(found.group(1))


def measure(settings: Settings, work: Path, say: Any) -> dict[str, Any]:
    say(f"storyboard: Reel, {settings.shots} shots at speed {settings.speed:g}")
    reel = runs.storyboard_reel(work / "reel", settings.shots, settings.speed)
    say(f"storyboard: naive client, {settings.shots} shots at speed {settings.speed:g}")
    naive, naive_fig = runs.storyboard_naive(work / "naive", settings.shots, settings.speed)
    say(f"cpu: Reel on {settings.instant} instant jobs")
    instant = runs.instant_reel(work / "instant", settings.instant)
    say(f"soak: {settings.soak_shots} shot-takes, every fault at once")
    soaked = soak.soak(work / "soak", settings.soak_shots, settings.soak_speed)
    say(f"soak: the naive client on the same {settings.soak_shots} shot-takes and faults")
    naive_soaked = soak.naive_soak(work / "naive-soak", settings.soak_shots, settings.soak_speed)
    say("soak: the naive client with only the faults it survives (429, 502/504 on creates)")
    naive_survived = soak.naive_soak(
        work / "naive-soak-creates",
        settings.soak_shots,
        settings.soak_speed,
        faults=soak.CREATE_FAULTS,
        accounts=soak.PLENTY_ACCOUNTS,
    )
    say("validate: 10,000 shots")
    validate_s = validate_seconds()
    say(f"dag: chains and independent shots at speed {settings.speed:g}")
    dag, dag_ratio = runs.dag_reel(work / "dag", settings.speed)
    fig, child = reel.figures, reel.child
    cpu = instant.child
    return {
        "makespan_ratio": round(fig.makespan_ratio, 3),
        "baseline_ratio": round(naive_fig.makespan_ratio, 3),
        "slot_utilisation": round(fig.utilisation_min, 3),
        "requests_per_video": round(fig.requests_per_video, 2),
        "detection_lag": round(fig.detection_lag, 4),
        "cpu_ms_per_shot": round(1000 * cpu["cpu_s"] / cpu["takes"], 3),
        "peak_mb": round(cpu["peak_mb"], 1),
        "validate_10k_s": validate_s,
        "soak_duplicates": soaked.duplicates,
        "soak_lost": soaked.lost,
        "dag_makespan_ratio": round(dag_ratio, 3),
        # context for the figures above
        "speed": settings.speed,
        "shots": settings.shots,
        "makespan_s": round(fig.makespan, 2),
        "lower_bound_s": round(fig.lower_bound, 2),
        "slot_utilisation_mean": round(fig.utilisation_mean, 3),
        "renders_ratio": round(fig.renders_ratio, 3),
        "reel_outcome": child["outcome"],
        "dag_outcome": dag.child["outcome"],
        "dag_makespan_s": round(dag.figures.makespan, 2),
        "reel_videos": fig.videos,
        "baseline_makespan_s": round(naive_fig.makespan, 2),
        "baseline_submit_phase_s": round(naive.submitted, 2),
        "baseline_renders_ratio": round(naive_fig.renders_ratio, 3),
        "baseline_slot_utilisation": round(naive_fig.utilisation_min, 3),
        "baseline_requests_per_video": round(naive_fig.requests_per_video, 2),
        "baseline_detection_lag": round(naive_fig.detection_lag, 4),
        "baseline_videos": naive.downloaded,
        "cpu_shots": cpu["takes"],
        "cpu_run_ms_per_shot": round(1000 * cpu["cpu_run_s"] / cpu["takes"], 3),
        "cpu_wall_s": round(cpu["wall"], 1),
        "cpu_outcome": cpu["outcome"],
        "soak_statuses": soaked.statuses,
        "soak_reasons": soaked.reasons,
        "soak_orphan_jobs": soaked.orphan_jobs,
        "soak_credits_manifest": soaked.credits_manifest,
        "soak_credits_ledger": soaked.credits_ledger,
        "soak_faults_met": soaked.met,
        "soak_peak_over_max": list(soaked.peak_over_max),
        "soak_elapsed_s": round(soaked.elapsed, 1),
        "baseline_soak_created": naive_soaked.created,
        "baseline_soak_downloaded": naive_soaked.downloaded,
        "baseline_soak_duplicates": naive_soaked.duplicates,
        "baseline_soak_stopped": naive_soaked.stopped,
        "baseline_create_faults_duplicates": naive_survived.duplicates,
        "baseline_create_faults_credits_twice": naive_survived.credits_twice,
        "baseline_create_faults_downloaded": naive_survived.downloaded,
        "baseline_create_faults_stopped": naive_survived.stopped,
    }


def verdict(key: str, value: float) -> str:
    op, goal = GOALS[key]
    ok = value <= goal if op == "<=" else value >= goal
    return "met" if ok else "MISSED"


def table(result: dict[str, Any]) -> str:
    """The goals as an aligned table, then the context figures one a line."""
    rows = [("figure", "value", "goal", "")]
    for key, value in result.items():
        if key in GOALS:
            op, goal = GOALS[key]
            rows.append((key, f"{value:g}", f"{op} {goal:g}", verdict(key, value)))
        elif key == "baseline_ratio":
            rows.append((key, f"{value:g}", "reported", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in rows
    ]
    lines.append("")
    lines += [
        f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}"
        for key, value in result.items()
        if key not in GOALS and key != "baseline_ratio"
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="under 4 minutes on 2 cores")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--keep", type=Path, default=None, help="keep every run's folder here")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    began = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {text}", file=sys.stderr, flush=True)

    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = measure(settings, args.keep, say)
    else:
        with tempfile.TemporaryDirectory(prefix="reel-bench-") as tmp:
            result = measure(settings, Path(tmp), say)
    result["bench_seconds"] = round(time.perf_counter() - began, 1)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["mode"] = "quick" if args.quick else "full"
    print(table(result))
    if args.json:
        print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
