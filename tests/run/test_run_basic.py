"""`reel run` on a healthy simulator: every shot-take rendered once, within every limit."""

from __future__ import annotations

from pathlib import Path

from runner.commands.run import RunOptions
from runner.run.events import TakeChanged
from runner.sim import Simulator, running_simulator
from runner.state.plan import sha256_file
from tests.run.conftest import (
    check_ledger,
    creates_per_key,
    run_pipeline,
    sim_config,
    write_pipeline,
)

MIXED = """
shots:
  - id: opening
    prompt: A lighthouse at dawn
  - id: closeup
    model: I2V-01
    prompt: The lamp turns
    frames: {first: a.png}
  - id: pan
    model: "02"
    options: 768p-6sec
    prompt: From first to last
    frames: {first: a.png, last: a.png}
  - id: gulls
    prompt: Seagulls over the sea
    takes: 3
"""


def test_every_shot_take_is_rendered_once_and_written(sim: Simulator, tmp_path: Path) -> None:
    run = run_pipeline(sim, write_pipeline(tmp_path, MIXED))

    assert run.result.outcome == "completed"
    assert sorted(p.name for p in run.output.glob("*.mp4")) == [
        "closeup.mp4",
        "gulls-take1.mp4",
        "gulls-take2.mp4",
        "gulls-take3.mp4",
        "opening.mp4",
        "pan.mp4",
    ]
    assert set(creates_per_key(run.ledger, run.result).values()) == {1}
    for shot in run.manifest["shots"]:
        out = shot["output"]
        assert shot["status"] == "completed" and shot["attempts"] == 1
        assert sha256_file(run.output / out["path"]) == out["sha256"]
        assert (run.output / out["path"]).stat().st_size == out["bytes"]
        assert out["width"] and out["height"]
        assert shot["videoId"].split("-video:")[0].endswith(f"minimax:{shot['account']}")
    totals = run.manifest["totals"]
    assert totals["creditsSpent"] == totals["creditsEstimated"] == 25 * 6
    assert totals["creditsSpent"] == sum(c["credits"] for c in run.ledger["creates"])
    assert sum(totals["spentByAccount"].values()) == totals["creditsSpent"]


def test_create_bodies_name_account_maxjobs_and_options(sim: Simulator, tmp_path: Path) -> None:
    run = run_pipeline(sim, write_pipeline(tmp_path, MIXED))

    max_jobs = {"111": 2, "222": 3}
    for create in run.ledger["creates"]:
        body = create["body"]
        assert body["account"] == create["account"]
        assert body["maxJobs"] == max_jobs[create["account"]]
    pan = next(
        c["body"] for c in run.ledger["creates"] if c["body"]["prompt"] == "From first to last"
    )
    assert pan["options"] == "768p-6sec"
    assert pan["fileID"] != pan["end_frame_fileID"]


def test_same_image_first_and_last_is_uploaded_twice_then_cached(
    sim: Simulator, tmp_path: Path
) -> None:
    body = """
    accounts: {"111": {maxJobs: 2}}
    shots:
      - id: pan
        model: "02"
        prompt: From first to last
        frames: {first: a.png, last: a.png}
    """
    first = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert len(first.ledger["uploads"]) == 2
    assert {u["sha256"] for u in first.ledger["uploads"]} == {sha256_file(tmp_path / "a.png")}

    changed = body.replace("From first to last", "From first to last, slower")
    second = run_pipeline(sim, write_pipeline(tmp_path, changed))
    assert len(second.ledger["uploads"]) == 2, "cached fileIDs are reused across runs"
    assert second.result.outcome == "completed"


def test_frames_are_uploaded_to_the_account_that_renders(tmp_path: Path) -> None:
    from runner.sim import SimAccount

    accounts = (SimAccount("111", "free", 1), SimAccount("222", "free", 1))
    body = """
    shots:
      - id: s1
        model: I2V-01
        prompt: one
        frames: {first: a.png}
      - id: s2
        model: I2V-01
        prompt: two
        frames: {first: a.png}
    """
    with running_simulator(sim_config(accounts)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.result.outcome == "completed"
    assert {c["account"] for c in run.ledger["creates"]} == {"111", "222"}
    assert sorted(u["account"] for u in run.ledger["uploads"]) == ["111", "222"]
    for shot in run.manifest["shots"]:
        assert f"minimax:{shot['account']}-file:" in shot["frames"][0]["fileID"]


def test_pinned_shots_go_to_their_account_and_limits_hold(tmp_path: Path) -> None:
    """The simulator accepts and records creates beyond maxJobs here instead of refusing them:
    Reel's placement alone keeps the limits."""
    from dataclasses import replace

    from runner.sim import SimAccount

    accounts = (SimAccount("111", "free", 2), SimAccount("222", "paid", 3))
    shots = "\n".join(
        f"  - id: s{i}\n    prompt: shot {i}\n" + ('    account: "111"\n' if i < 4 else "")
        for i in range(12)
    )
    body = 'accounts: {"111": {maxJobs: 2}, "222": {maxJobs: 3}}\nshots:\n' + shots
    with running_simulator(replace(sim_config(accounts), refuse_over_limit=False)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.ledger["overLimit"] == [], "no create beyond an account's maxJobs"
    assert run.result.outcome == "completed"
    for i in range(4):
        assert run.shot(f"s{i}#1")["account"] == "111"
    by_account = {c["account"] for c in run.ledger["creates"]}
    assert by_account == {"111", "222"}
    assert run.ledger["peakJobs"]["111"] == 2 and run.ledger["peakJobs"]["222"] == 3
    check_ledger(run.ledger)


def test_rerun_reuses_completed_outputs_without_api_calls(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, MIXED)
    first = run_pipeline(sim, path)
    creates = len(first.ledger["creates"])
    second = run_pipeline(sim, path)
    assert second.result.outcome == "completed"
    assert len(second.ledger["creates"]) == creates
    assert all(s["reused"] for s in second.manifest["shots"])
    phases = {e.phase for e in second.sink.events if isinstance(e, TakeChanged)}
    assert phases == {"reused"}


def test_only_runs_the_named_shots_and_keeps_the_manifest_whole(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, MIXED)
    run = run_pipeline(sim, path, RunOptions(only=("gulls",)))
    assert run.result.outcome == "completed"
    assert len(run.ledger["creates"]) == 3
    statuses = {s["key"]: s["status"] for s in run.manifest["shots"]}
    assert statuses == {
        "opening#1": "skipped",
        "closeup#1": "skipped",
        "pan#1": "skipped",
        "gulls#1": "completed",
        "gulls#2": "completed",
        "gulls#3": "completed",
    }
    assert run.shot("pan#1")["error"] == "not selected (--only)"

    run_pipeline(sim, path)
    again = run_pipeline(sim, path, RunOptions(only=("pan",)))
    assert len(again.ledger["creates"]) == 6
    assert all(s["status"] == "completed" for s in again.manifest["shots"])


def test_force_renders_a_completed_shot_again(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, MIXED)
    first = run_pipeline(sim, path)
    again = run_pipeline(sim, path, RunOptions(force=("opening",)))
    assert len(again.ledger["creates"]) == len(first.ledger["creates"]) + 1
    assert not again.shot("opening#1")["reused"]
    assert again.shot("opening#1")["videoId"] != first.shot("opening#1")["videoId"]
    assert all(s["reused"] for s in again.manifest["shots"] if s["id"] != "opening")


def test_a_job_is_shown_queued_the_moment_it_exists(sim: Simulator, tmp_path: Path) -> None:
    run = run_pipeline(sim, write_pipeline(tmp_path, "shots:\n  - {id: a, prompt: one}\n"))
    with_job = [e for e in run.sink.events if isinstance(e, TakeChanged) and e.video_id]
    assert with_job[0].phase == "queued"
    assert with_job[0].video_id == run.shot("a#1")["videoId"]
