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

from runner.commands.run import RunOptions
from runner.sim import running_simulator
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
    args: list[str], env: dict[str, str], manifest: Path, ids: int
) -> tuple[int, str]:
    """Start `reel ARGS`, press Ctrl-C once MANIFEST holds IDS video ids: (exit code, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(_video_ids(manifest)) < ids and time.monotonic() < deadline:
        time.sleep(0.02)  # waiting on another process's file: no event to wait on
    proc.send_signal(signal.SIGINT)
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
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 6
