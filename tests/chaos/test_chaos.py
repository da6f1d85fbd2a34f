"""Chaos: a faulty run killed with SIGKILL again and again, then rerun until it finishes.

The simulator runs in this process (a thread) and stays up across the kills, as the real API
would: jobs made before a kill keep rendering. Reel runs as a child process and is killed at
random (seeded) moments, and at chosen phases (an upload, a create, a download) spotted in the
simulator's ledger. At the end every shot-take must have exactly one job and one intact,
decodable output, the manifest's credits must equal the ledger's, and no account may ever have
held more than its maxJobs.

Every kill point is structural: a phase seen in the ledger, or a seeded number of requests into
a run; every kill must land. `REEL_CHAOS_SEEDS=0-19 pytest tests/chaos` soaks by hand with more
seeds (default: 3 seeds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from runner.sim import FaultRates, SimAccount, SimConfig, Simulator, running_simulator
from tests.run.conftest import VALIDATOR, write_pipeline

SPEED = 250.0
KILLS = 6
"""Random kills per seed (besides the five phase kills)."""
RANDOM_KILL_REQUESTS = (3, 25)
"""A random kill comes after this many requests (seeded): within a run, never after its end."""
ATTEMPTS = 8
"""Runs started to land a kill between a create and its journal entry."""
FAULTS = FaultRates(
    spurious_429=0.10,
    busy_queued_502=0.06,
    busy_queued_504=0.06,
    busy_502=0.03,
    reset_before=0.02,
    reset_after=0.03,
    truncate=0.10,
)
ACCOUNTS = (
    SimAccount("111", "free", 2),
    SimAccount("222", "paid", 3),
    SimAccount("333", "paid", 2),
)
Ledger = dict[str, Any]


def _seeds() -> list[int]:
    spec = os.environ.get("REEL_CHAOS_SEEDS", "1,2,3")
    if "-" in spec:
        low, high = spec.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in spec.split(",")]


def _pipeline(folder: Path) -> Path:
    """32 shot-takes: 28 single shots (some with first frames) and 2 shots of 2 takes."""
    lines = ['accounts: {"111": {maxJobs: 2}, "222": {maxJobs: 3}, "333": {maxJobs: 2}}', "shots:"]
    for i in range(30):
        lines.append(f"  - id: s{i:02d}\n    prompt: chaos shot number {i}")
        if i % 5 == 0:
            lines.append("    model: I2V-01\n    frames: {first: a.png}")
        if i in (7, 8):
            lines.append("    takes: 2")
    return write_pipeline(folder, "\n".join(lines) + "\n")


def _reel(path: Path, sim: Simulator, *, capture: bool = False) -> subprocess.Popen[str]:
    args = ["run", str(path), "--base-url", sim.base_url, "--yes", "--json"]
    args += ["--poll-interval", "0.03", "--retry-wait", "0.03"]
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        env=dict(os.environ, USEAPI_TOKEN=sim.token),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _kill_when(
    proc: subprocess.Popen[str], sim: Simulator, trigger: Callable[[Ledger], bool], limit: float
) -> bool:
    """SIGKILL `proc` once `trigger(ledger)` holds; False when the run ended by itself first.
    `limit` seconds without the trigger is a failure (a hung run), not a kill that counts."""
    deadline = time.monotonic() + limit
    while proc.poll() is None:
        if trigger(sim.ledger()):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        if time.monotonic() >= deadline:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            pytest.fail(f"the run neither reached its kill point nor ended in {limit} s")
        time.sleep(0.005)  # watching another process: no event to wait on
    return False


def _grows(key: str, before: Ledger) -> Callable[[Ledger], bool]:
    count = len(before[key])
    return lambda ledger: len(ledger[key]) > count


def _polls(before: Ledger) -> Callable[[Ledger], bool]:
    """True once a job was polled (GET /videos/<videoId>) since `before`."""
    count = len(before["requests"])

    def polled(ledger: Ledger) -> bool:
        return any("-video:" in r["path"] for r in ledger["requests"][count:])

    return polled


def _after_requests(before: Ledger, count: int) -> Callable[[Ledger], bool]:
    """True once the simulator saw `count` more requests: a kill point a seed reproduces."""
    start = len(before["requests"])
    return lambda ledger: len(ledger["requests"]) >= start + count


def _rewritten(manifest: Path) -> Callable[[Ledger], bool]:
    """True once the manifest was replaced since now (killing right after a manifest write)."""

    def stamp() -> int:
        try:
            return manifest.stat().st_ino
        except FileNotFoundError:  # not written yet
            return 0

    before = stamp()
    return lambda _ledger: stamp() != before


def _check(path: Path, sim: Simulator) -> None:
    out = path.parent / "out"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [e.message for e in VALIDATOR.iter_errors(manifest)] == []
    ledger = sim.ledger()
    shots = manifest["shots"]
    assert len(shots) == 32 and all(s["status"] == "completed" for s in shots)
    # Exactly one job per shot-take: prompts are unique per shot, the two 2-take shots have two.
    per_prompt = Counter(c["body"].get("prompt") for c in ledger["creates"])
    wanted = Counter(s["prompt"] for s in shots)
    assert per_prompt == wanted
    assert {c["videoId"] for c in ledger["creates"]} == {s["videoId"] for s in shots}
    charged = {c["videoId"]: c["credits"] for c in ledger["creates"]}
    assert manifest["totals"]["creditsSpent"] == sum(charged.values())
    assert all(s["credits"] == charged[s["videoId"]] for s in shots)
    for s in shots:
        video = out / s["output"]["path"]
        assert hashlib.sha256(video.read_bytes()).hexdigest() == s["output"]["sha256"]
        with av.open(str(video)) as container:
            assert next(container.decode(video=0)).width == s["output"]["width"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".reel", "manifest.json", "report.html", *(s["output"]["path"] for s in shots)]
    ), "nothing half-written is left behind"
    for account, peak in ledger["peakJobs"].items():
        assert peak <= ledger["accounts"][account]["maxJobs"], (account, peak)


@pytest.mark.parametrize("seed", _seeds())
def test_killed_runs_finish_with_one_job_and_one_output_per_shot_take(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    config = SimConfig(accounts=ACCOUNTS, speed=SPEED, faults=FAULTS, seed=seed)
    path = _pipeline(tmp_path)
    with running_simulator(config) as sim:
        # Phase kills first (the run is young then), then random moments, then to the end.
        kills = 0
        for trigger in (_grows("uploads", sim.ledger()), _grows("creates", sim.ledger())):
            proc = _reel(path, sim)
            kills += _kill_when(proc, sim, trigger, 20.0)
        for trigger in (_polls(sim.ledger()), _grows("downloads", sim.ledger())):
            proc = _reel(path, sim)
            kills += _kill_when(proc, sim, trigger, 20.0)
        manifest = path.parent / "out" / "manifest.json"
        proc = _reel(path, sim)
        kills += _kill_when(proc, sim, _rewritten(manifest), 20.0)
        for _ in range(KILLS):
            proc = _reel(path, sim)
            trigger = _after_requests(sim.ledger(), rng.randint(*RANDOM_KILL_REQUESTS))
            kills += _kill_when(proc, sim, trigger, 20.0)
        started = time.monotonic()
        proc = _reel(path, sim, capture=True)
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        # 32 shot-takes need far more requests than the kills let a run make: every kill lands.
        assert kills == 5 + KILLS
        _check(path, sim)
        ledger = sim.ledger()
        print(
            f"chaos seed {seed}: {kills} kills, {len(ledger['creates'])} creates"
            f" ({sum(c['queuedAnyway'] for c in ledger['creates'])} queued anyway),"
            f" {len(ledger['requests'])} requests, {len(ledger['refusals'])} refusals,"
            f" {sum(d['truncated'] for d in ledger['downloads'])} truncated downloads,"
            f" last run {time.monotonic() - started:.1f} s"
        )


def _journalled(journal: Path) -> set[str]:
    """The job ids in the journal, read-only (never creating the file before Reel does)."""
    if not journal.exists():
        return set()
    uri = f"file:{journal}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "jobs" not in tables:  # Reel is creating it
            return set()
        rows = db.execute("SELECT video_id FROM jobs WHERE video_id IS NOT NULL").fetchall()
    return {r[0] for r in rows}


def test_a_kill_between_a_create_and_its_journal_entry_costs_no_second_job(
    tmp_path: Path,
) -> None:
    """The narrowest window: the API made the job, the journal does not know its id yet. Reel
    is killed as soon as the ledger shows a job the journal lacks; the rerun must find it."""
    config = SimConfig(accounts=ACCOUNTS, speed=SPEED, seed=0)
    path = _pipeline(tmp_path)
    journal = tmp_path / "out" / ".reel" / "journal.sqlite"

    def unjournalled(ledger: Ledger) -> bool:
        return bool({c["videoId"] for c in ledger["creates"]} - _journalled(journal))

    with running_simulator(config) as sim:
        landed = attempts = 0
        for attempts in range(1, ATTEMPTS + 1):  # noqa: B007 - printed below
            _kill_when(_reel(path, sim), sim, unjournalled, 20.0)
            landed += unjournalled(sim.ledger())
            if landed >= 2:
                break
        proc = _reel(path, sim, capture=True)
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert landed >= 1, "no kill landed between a create and its journal entry"
        _check(path, sim)
        print(f"kills between a create and its journal entry: {landed} in {attempts} runs")
