"""`reel plan` and `reel status` after runs: what a rerun will do and cost, with no request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.commands import plan as plan_cmd
from runner.commands import status as status_cmd
from runner.errors import UsageError
from runner.sim import Simulator
from tests.run.conftest import run_pipeline, write_pipeline
from tests.run.test_rerun import _create_job, _journal_job

THREE = """accounts: {"111": {maxJobs: 2}}
shots:
  - id: a
    prompt: the first shot
  - id: b
    prompt: sim:fail the second shot
  - id: c
    prompt: the third shot
"""


@pytest.fixture
def on_sim(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """The environment `reel run` would use to reach this simulator as its API."""
    monkeypatch.setenv("USEAPI_TOKEN", sim.token)
    monkeypatch.setenv("USEAPI_BASE_URL", sim.base_url)
    return sim


def _plan(capsys: pytest.CaptureFixture[str], path: Path, **kw: Any) -> dict[str, Any]:
    options = {"out": None, "retry_failed": False, "force": [], **kw}
    assert plan_cmd.main(str(path), as_json=True, **options) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def _actions(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {t["key"]: (t["action"], t["reason"]) for t in document["takes"]}


def test_plan_says_what_a_rerun_reuses_renders_and_keeps(
    on_sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_pipeline(tmp_path, THREE)
    fresh = _plan(capsys, path)
    assert {a for a, _ in _actions(fresh).values()} == {"render"}
    assert fresh["rerun"]["credits"] == fresh["totalCredits"]
    run_pipeline(on_sim, path)
    write_pipeline(tmp_path, THREE.replace("the third shot", "the third shot, reworded"))
    requests = len(on_sim.ledger()["requests"])

    document = _plan(capsys, path)
    actions = _actions(document)
    assert actions["a#1"] == ("reuse", "completed, unchanged")
    assert actions["b#1"][0] == "keep" and "--retry-failed" in actions["b#1"][1]
    assert actions["c#1"] == ("render", "changed")
    assert document["rerun"] == {
        "reuse": 1,
        "resume": 0,
        "render": 1,
        "keep": 1,
        "fetch": 0,
        "credits": 25,
        "ifLookupsFindNothing": 0,
        "creditsUnsure": 0,
    }

    retry = _actions(_plan(capsys, path, retry_failed=True))
    assert retry["b#1"] == ("render", "failed → retry (--retry-failed)")
    forced = _plan(capsys, path, force=["a"])
    assert _actions(forced)["a#1"] == ("render", "forced (--force)")
    assert forced["rerun"]["credits"] == 50
    assert len(on_sim.ledger()["requests"]) == requests, "plan never calls the API"

    assert plan_cmd.main(str(path), as_json=False, out=None, retry_failed=False, force=[]) == 0
    text = capsys.readouterr().out
    assert "next run: 1 to render (25 credits), 1 reused" in text
    assert "1 failed kept (--retry-failed renders them)" in text
    with pytest.raises(UsageError, match="--force: no shot with id zzz"):
        plan_cmd.main(str(path), as_json=True, out=None, retry_failed=False, force=["zzz"])


def test_plan_and_status_see_jobs_to_resume_without_paying_again(
    on_sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_pipeline(tmp_path, THREE.replace("sim:fail ", ""))
    _journal_job(path, on_sim.base_url, 0, _create_job(on_sim, "the first shot"))
    _journal_job(path, on_sim.base_url, 1, None)  # killed between sending and the reply
    document = _plan(capsys, path)
    actions = _actions(document)
    assert actions["a#1"][0] == "resume" and "poll" in actions["a#1"][1]
    assert actions["b#1"][0] == "resume" and "look the job up" in actions["b#1"][1]
    assert actions["c#1"] == ("render", "new")
    assert document["rerun"]["credits"] == 25
    assert document["rerun"]["ifLookupsFindNothing"] == 25, "b renders if its job is not found"

    assert status_cmd.main(str(path), as_json=True) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"] == {
        "done": 0,
        "to fetch": 0,
        "running": 2,
        "failed": 0,
        "moderated": 0,
        "not started": 1,
    }
    assert status["toFinish"] == {
        "fetches": 0,
        "renders": 1,
        "credits": 25,
        "retryFailedCredits": 0,
    }


def test_plan_says_which_outputs_are_missing_and_which_damaged(
    on_sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_pipeline(tmp_path, THREE.replace("sim:fail ", ""))
    run = run_pipeline(on_sim, path)
    (run.output / "a.mp4").unlink()
    (run.output / "b.mp4").write_bytes(b"my own edit")
    again = "download job again (renders anew if the API no longer has it)"
    assert _actions(_plan(capsys, path)) == {
        "a#1": ("resume", f"output missing: {again}"),
        "b#1": ("resume", f"output damaged (sha256 differs): {again}"),
        "c#1": ("reuse", "completed, unchanged"),
    }


def test_status_from_the_output_folder_and_from_the_pipeline(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_pipeline(tmp_path, THREE)
    first = run_pipeline(sim, path)
    requests = len(sim.ledger()["requests"])

    assert status_cmd.main(str(first.output), as_json=False) == 0
    text = capsys.readouterr().out
    assert "done" in text and "b#1: failed:" in text
    assert "to finish: 0 to render, 0 credits (+25 to retry the failed ones" in text

    # The pipeline changes: c reworded, a removed. Status tells before any run.
    changed = THREE.replace("the third shot", "the third shot, reworded")
    write_pipeline(tmp_path, changed.replace("  - id: a\n    prompt: the first shot\n", ""))
    assert status_cmd.main(str(path), as_json=True) == 0
    status = json.loads(capsys.readouterr().out)
    states = {t["key"]: (t["state"], t["changed"]) for t in status["takes"]}
    assert states == {"b#1": ("failed", False), "c#1": ("not started", True)}
    assert [o["key"] for o in status["orphaned"]] == ["a#1"]
    assert status["orphaned"][0]["path"] == "a.mp4"
    assert status["toFinish"]["credits"] == 25
    assert len(sim.ledger()["requests"]) == requests, "status never calls the API"


def test_status_of_a_bad_target_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError, match="no such pipeline file or output folder"):
        status_cmd.main(str(tmp_path / "nothing"), as_json=False)
    with pytest.raises(UsageError, match="is not an output folder of `reel run`"):
        status_cmd.main(str(tmp_path), as_json=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nshots: 3\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.yaml is not valid: no status"):
        status_cmd.main(str(bad), as_json=False)
    assert "bad.yaml:2:8: error: shots:" in capsys.readouterr().err


def test_plan_reads_the_output_folder_given_by_out(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_pipeline(tmp_path, THREE)
    run_pipeline(sim, path)
    here = _actions(_plan(capsys, path))
    elsewhere = _actions(_plan(capsys, path, out=str(tmp_path / "elsewhere")))
    assert here["a#1"][0] == "reuse"
    assert {a for a, _ in elsewhere.values()} == {"render"}


def test_reel_status_on_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    def status(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runner", "status", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    missing = status(str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no such pipeline file or output folder" in missing.stderr
    path = write_pipeline(tmp_path, THREE)
    fresh = status(str(path), "--json")
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)["toFinish"] == {
        "fetches": 0,
        "renders": 3,
        "credits": 75,
        "retryFailedCredits": 0,
    }


def test_status_counts_lost_creates_on_a_real_api_not_on_an_embedded_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import anyio

    from runner.spec.validate import load_pipeline
    from runner.state.journal import Journal
    from runner.state.lockfile import EMBEDDED
    from runner.state.plan import make_plan

    path = write_pipeline(tmp_path, THREE)
    pipeline = load_pipeline(path)[0]
    assert pipeline is not None
    takes = make_plan(pipeline).takes
    (pipeline.output / ".reel").mkdir(parents=True)

    async def lose(backend: str, take: Any) -> None:
        journal = Journal(pipeline.output / ".reel", backend)
        try:
            job = await journal.intend(
                key=take.key, fingerprint=take.fingerprint, run_id="r", account="111",
                prompt=take.shot.prompt, model=take.shot.model,
            )  # fmt: skip
            await journal.set_unsure(job, take.credits, "not found after: ReadTimeout")
        finally:
            journal.close()

    anyio.run(lose, f"{EMBEDDED}1234", takes[0])  # a simulator's credits are not money
    anyio.run(lose, "https://api.useapi.net/v1/minimax", takes[1])
    assert status_cmd.main(str(path), as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["creditsUnsure"] == takes[1].credits == 25
    assert status_cmd.main(str(path), as_json=False) == 0
    said = capsys.readouterr().out
    assert "possibly charged already: 25 credits, by creates whose answer was lost" in said
