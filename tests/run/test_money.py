"""Money: the --max-credits budget, and the confirmation gate before a real spend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.commands.run import RunOptions
from runner.sim import Simulator
from tests.run.conftest import run_pipeline, write_pipeline

SIX = "shots:\n" + "".join(f"  - id: s{i}\n    prompt: shot number {i}\n" for i in range(6))


def test_max_credits_never_creates_a_job_over_the_budget(sim: Simulator, tmp_path: Path) -> None:
    run = run_pipeline(sim, write_pipeline(tmp_path, SIX), RunOptions(max_credits=60))
    assert sum(c["credits"] for c in run.ledger["creates"]) == 50
    assert sorted(run.result.counts.items()) == [("completed", 2), ("skipped", 4)]
    skipped = [s for s in run.manifest["shots"] if s["status"] == "skipped"]
    assert all("--max-credits budget of 60" in s["error"] for s in skipped)
    assert run.manifest["totals"]["creditsSpent"] == 50
    assert run.result.outcome == "incomplete"


def _reel(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _env(token: str) -> dict[str, str]:
    env = dict(os.environ)
    env["USEAPI_TOKEN"] = token
    return env


def test_real_api_without_terminal_or_yes_spends_nothing(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, SIX)
    done = _reel(["run", str(path), "--base-url", sim.base_url], _env(sim.token), tmp_path)
    assert done.returncode == 2
    assert "--yes" in done.stderr and "150 credits" in done.stderr
    assert sim.ledger()["requests"] == []
    assert sim.token not in done.stdout + done.stderr


def test_real_api_with_yes_runs_and_never_shows_the_token(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, SIX)
    args = [
        "run",
        str(path),
        "--base-url",
        sim.base_url,
        "--yes",
        "--json",
        "--poll-interval",
        "0.02",
        "--retry-wait",
        "0.02",
    ]
    done = _reel(args, _env(sim.token), tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(sim.ledger()["creates"]) == 6
    for text in (done.stdout, done.stderr):
        assert sim.token not in text
    # Every file the run wrote (manifest, journal, review page, lock, videos) is free of it too.
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"manifest.json", "journal.sqlite", "report.html"}
    for file in written:
        assert sim.token.encode() not in file.read_bytes(), file


def test_on_a_terminal_the_estimate_is_shown_and_a_no_spends_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from runner.commands import run as run_command
    from runner.errors import UsageError
    from runner.spec.validate import load_pipeline
    from runner.state.plan import make_plan

    pipe, _ = load_pipeline(write_pipeline(tmp_path, SIX))
    assert pipe is not None
    takes = list(make_plan(pipe).takes)
    asked: list[str] = []

    def answer(reply: bool) -> None:
        def confirm(text: str, **_kw: object) -> bool:
            asked.append(text)
            return reply

        monkeypatch.setattr(run_command.click, "confirm", confirm)

    monkeypatch.setattr(run_command.sys.stdin, "isatty", lambda: True)
    answer(False)
    with pytest.raises(UsageError, match="nothing was spent"):
        run_command.confirm_spend(
            takes, RunOptions(max_credits=100), "https://api.useapi.net/v1/minimax"
        )
    assert asked == ["Render 6 videos, estimated 150 credits (capped at 100) on api.useapi.net?"]
    answer(True)
    # --base-url elsewhere: the question names that host, not useapi.net.
    run_command.confirm_spend(takes[:1], RunOptions(), "https://proxy.example:8443/v1/minimax")
    assert asked[1] == "Render 1 video, estimated 25 credits on proxy.example:8443?"


def test_a_rerun_asks_only_for_what_it_may_spend(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, SIX)
    run_pipeline(sim, path, RunOptions(only=("s0", "s1")))
    done = _reel(["run", str(path), "--base-url", sim.base_url], _env(sim.token), tmp_path)
    assert done.returncode == 2
    assert "4 videos, estimated 100 credits" in done.stderr
