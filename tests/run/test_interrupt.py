"""Ctrl-C: stop sending, keep every job id, exit 130; a rerun resumes without a second job."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.commands.run import RunOptions
from runner.sim import FaultRates, running_simulator
from runner.state.lockfile import read_lock
from tests.run.conftest import creates_per_key, run_pipeline, sim_config, write_pipeline

SHOTS = "shots:\n" + "".join(f"  - id: s{i}\n    prompt: shot number {i}\n" for i in range(6))
SLOW_SHOTS = "shots:\n" + "".join(
    f"  - id: s{i}\n    model: Veo-3.1\n    options: veo-4k-8sec\n    prompt: shot number {i}\n"
    for i in range(6)
)
"""Renders of minutes: on the embedded simulator (300x) a run lasts seconds, so Ctrl-C lands."""


def _video_ids(manifest: Path) -> list[str]:
    """The job ids the manifest holds. It is replaced atomically: before the first write it is
    absent, and it is never seen half-written (a ValueError here is a bug, not noise)."""
    try:
        text = manifest.read_text("utf-8")
    except FileNotFoundError:
        return []
    doc = json.loads(text)
    return [s["videoId"] for s in doc["shots"] if s["videoId"]]


def _interrupt_after(
    args: list[str],
    env: dict[str, str],
    manifest: Path,
    ids: int,
    signals: tuple[signal.Signals, ...] = (signal.SIGINT,),
) -> tuple[int, str]:
    """Start `reel ARGS`, send SIGNALS (Ctrl-C) once MANIFEST holds IDS video ids, a moment
    apart: (exit code, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while (len(_video_ids(manifest)) < ids or not manifest.exists()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)  # waiting on another process's file: no event to wait on
    time.sleep(0.5 if ids == 0 else 0)  # the run's own signal handling starts just after
    for signum in signals:
        proc.send_signal(signum)
        time.sleep(0.2)
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_ctrl_c_keeps_job_ids_exits_130_and_a_rerun_resumes(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, SHOTS)
    manifest = tmp_path / "out" / "manifest.json"
    with running_simulator(sim_config(speed=60)) as sim:
        env = dict(os.environ, USEAPI_TOKEN=sim.token)
        args = [
            "run",
            str(path),
            "--base-url",
            sim.base_url,
            "--yes",
            "--poll-interval",
            "0.05",
            "--retry-wait",
            "0.05",
        ]
        code, err = _interrupt_after(args, env, manifest, ids=3)
        assert code == 130, err
        assert "interrupted" in err

        created = {c["videoId"] for c in sim.ledger()["creates"]}
        with sqlite3.connect(tmp_path / "out" / ".reel" / "journal.sqlite") as db:
            journalled = {
                r[0] for r in db.execute("SELECT video_id FROM jobs WHERE video_id IS NOT NULL")
            }
        assert created and created == journalled, "every job made is in the journal"
        doc = json.loads(manifest.read_text("utf-8"))
        assert doc["ended"] is not None
        assert {s["videoId"] for s in doc["shots"] if s["videoId"]} == created
        unfinished = [s for s in doc["shots"] if s["status"] not in ("completed", "skipped")]
        assert all(s["status"] == "running" for s in unfinished)
        # The lock is written after Ctrl-C too, with exactly the videos the journal completed.
        lock = read_lock(path.with_suffix(".lock"))
        assert lock is not None and len(lock.entries) == 6
        with sqlite3.connect(tmp_path / "out" / ".reel" / "journal.sqlite") as db:
            done = {r[0] for r in db.execute("SELECT video_id FROM jobs WHERE state = 'completed'")}
        assert {e.video_id for e in lock.entries.values() if e.video_id} == done

        rerun = run_pipeline(
            sim, path, RunOptions(poll_interval=0.05, retry_wait=0.05), scale=1 / 60
        )
        assert rerun.result.outcome == "completed"
        counts = creates_per_key(rerun.ledger, rerun.result)
        assert set(counts.values()) == {1} and sum(counts.values()) == 6


def test_after_ctrl_c_on_the_embedded_simulator_a_rerun_finishes(tmp_path: Path) -> None:
    """The embedded simulator's jobs vanish with it: the rerun renders them again."""
    path = write_pipeline(tmp_path, SLOW_SHOTS)
    manifest = tmp_path / "out" / "manifest.json"
    env = {k: v for k, v in os.environ.items() if k != "USEAPI_TOKEN"}
    code, err = _interrupt_after(["run", str(path)], env, manifest, ids=2)
    assert code == 130, err
    assert "interrupted" in err
    assert len(list((tmp_path / "out").glob("*.mp4"))) < 6, "Ctrl-C landed before the end"
    again = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(path)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    videos = {p.name for p in (tmp_path / "out").glob("*.mp4")} - {"cut.mp4"}
    assert len(videos) == 6


def _args(sim_url: str, path: Path) -> list[str]:
    fast = ["--poll-interval", "0.05", "--retry-wait", "0.05"]
    return ["run", str(path), "--base-url", sim_url, "--yes", *fast]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_the_run_like_ctrl_c(tmp_path: Path, signum: int) -> None:
    path = write_pipeline(tmp_path, SHOTS)
    manifest = tmp_path / "out" / "manifest.json"
    with running_simulator(sim_config(speed=60)) as sim:
        env = dict(os.environ, USEAPI_TOKEN=sim.token)
        code, err = _interrupt_after(_args(sim.base_url, path), env, manifest, 2, (signum,))
    assert code == 130, err
    assert "run again to resume" in err and "Traceback" not in err
    doc = json.loads(manifest.read_text("utf-8"))
    assert doc["ended"] is not None
    assert all(s["videoId"] for s in doc["shots"] if s["status"] == "running")
    assert (tmp_path / "out" / "report.html").is_file()


def test_a_second_ctrl_c_stops_waiting_for_replies_without_a_traceback(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, SHOTS)
    manifest = tmp_path / "out" / "manifest.json"
    # Every reply takes 3 s: the second Ctrl-C comes while creates wait for theirs.
    slow = FaultRates(slow=1.0, slow_seconds=180.0)
    with running_simulator(sim_config(speed=60, faults=slow)) as sim:
        env = dict(os.environ, USEAPI_TOKEN=sim.token)
        started = time.monotonic()
        code, err = _interrupt_after(
            _args(sim.base_url, path), env, manifest, 0, (signal.SIGINT, signal.SIGINT)
        )
        # (the first signal goes out once the manifest exists: creates are then in flight)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "run again to resume" in err
    assert (tmp_path / "out" / "report.html").is_file()
    assert time.monotonic() - started < 30
