"""The benchmark's runs: Reel and the naive client on the same storyboard, Reel on 10,000
instant jobs. Each run gets a fresh simulator process and a fresh folder; Reel runs in a child
process (`tests.bench.reel_child`), so that neither's CPU is counted as the other's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.bench import workload
from tests.bench.metrics import RunFigures, dag_lower_bound, figures
from tests.bench.naive import NaiveClient, NaiveResult
from tests.bench.simproc import ROOT, SimProcess, SimSpec

INSTANT_SPEED = 1_000_000.0
"""Renders of 90-360 s take 0.1-0.4 ms: the CPU figure measures Reel, not waiting."""


def keep(folder: Path, ledger: dict[str, Any]) -> None:
    """Leave the ledger beside the run, for whoever wants to look closer."""
    (folder / "ledger.json").write_text(json.dumps(ledger), encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ReelRun:
    child: dict[str, Any]
    ledger: dict[str, Any]
    figures: RunFigures


def run_reel(pipeline: Path, sim: SimProcess, scale: float, folder: Path) -> dict[str, Any]:
    """Run Reel's child process against `sim`; its figures (see reel_child)."""
    target = folder / "reel.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.reel_child",
            str(pipeline),
            sim.base_url,
            sim.token,
            repr(scale),
            str(target),
        ],
        check=True,
        cwd=ROOT,
    )
    figures_: dict[str, Any] = json.loads(target.read_text("utf-8"))
    return figures_


def storyboard_reel(folder: Path, shots: int, speed: float, seed: int = 0) -> ReelRun:
    """Reel on the storyboard: makespan, utilisation, requests, detection lag."""
    folder.mkdir(parents=True, exist_ok=True)
    pipeline = workload.storyboard(folder, shots)
    with SimProcess(SimSpec(workload.ACCOUNTS, speed, seed=seed)) as sim:
        child = run_reel(pipeline, sim, 1 / speed, folder)
        ledger = sim.ledger()
    keep(folder, ledger)
    return ReelRun(child, ledger, figures(ledger, child["elapsed"]))


def storyboard_naive(
    folder: Path, shots: int, speed: float, seed: int = 0
) -> tuple[NaiveResult, RunFigures]:
    """The naive client on the same storyboard and accounts."""
    folder.mkdir(parents=True, exist_ok=True)
    pipe, diagnostics = load_pipeline(workload.storyboard(folder, shots))
    assert pipe is not None, [d.render() for d in diagnostics[:5]]
    takes = list(make_plan(pipe).takes)
    with SimProcess(SimSpec(workload.ACCOUNTS, speed, seed=seed)) as sim:
        client = NaiveClient(sim.base_url, sim.token, 1 / speed, folder / "naive-out")
        try:
            result = client.run(takes)
        finally:
            client.close()
        ledger = sim.ledger()
    keep(folder, ledger)
    return result, figures(ledger, result.elapsed)


def dag_reel(folder: Path, speed: float, seed: int = 0) -> tuple[ReelRun, float]:
    """Reel on chains and independent shots: the run and its makespan / lower bound."""
    folder.mkdir(parents=True, exist_ok=True)
    pipeline = workload.dag(folder)
    with SimProcess(SimSpec(workload.ACCOUNTS, speed, seed=seed)) as sim:
        child = run_reel(pipeline, sim, 1 / speed, folder)
        ledger = sim.ledger()
    keep(folder, ledger)
    return ReelRun(child, ledger, figures(ledger, child["elapsed"])), child[
        "elapsed"
    ] / dag_lower_bound(ledger)


INSTANT_ACCOUNTS: tuple[workload.Account, ...] = (
    ("111111", "paid", 10, None),
    ("222222", "paid", 10, None),
    ("333333", "paid", 10, None),
)


def instant_reel(folder: Path, shots: int) -> ReelRun:
    """Reel on `shots` instant jobs: its CPU time and peak memory."""
    folder.mkdir(parents=True, exist_ok=True)
    pipeline = workload.instant(folder, shots, INSTANT_ACCOUNTS)
    with SimProcess(SimSpec(INSTANT_ACCOUNTS, INSTANT_SPEED)) as sim:
        child = run_reel(pipeline, sim, 1 / INSTANT_SPEED, folder)
        ledger = sim.ledger()
    keep(folder, ledger)
    return ReelRun(child, ledger, figures(ledger, child["elapsed"]))
