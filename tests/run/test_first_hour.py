"""What a newcomer meets in their first hour: every shipped pipeline runs, frames and reruns
keep their promises (issue 12)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.commands.run import RunOptions
from runner.sim import Simulator
from tests.run.conftest import run_pipeline, write_pipeline

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    *sorted((ROOT / "examples").glob("*.yaml")),
    *sorted((ROOT / "pipelines").glob("*.yaml")),
]


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/ and pipelines/ as a fresh clone has them (no renders of the user's own)."""
    root = tmp_path_factory.mktemp("shipped")
    for folder in ("examples", "pipelines", "schema"):
        shutil.copytree(
            ROOT / folder, root / folder, ignore=shutil.ignore_patterns("renders", "*.lock")
        )
    return root


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_pipeline_runs_to_exit_0_without_a_token(
    path: Path, shipped_copy: Path
) -> None:
    copy = shipped_copy / path.parent.name / path.name
    result = CliRunner().invoke(main, ["run", str(copy), "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    finished = json.loads(result.stdout.splitlines()[-1])
    assert finished["event"] == "finished"
    manifest_path = next((copy.parent / "renders").glob("*/manifest.json"))
    manifest = json.loads(manifest_path.read_text("utf-8"))
    assert {s["status"] for s in manifest["shots"]} == {"completed"}
    # Takes of one shot are different videos (the demo's keeper, examples/takes.yaml).
    by_shot: dict[str, list[str]] = {}
    for shot in manifest["shots"]:
        by_shot.setdefault(shot["id"], []).append(shot["output"]["sha256"])
    for shot_id, hashes in by_shot.items():
        assert len(set(hashes)) == len(hashes), f"{shot_id}: two takes are the same file"


def test_two_files_with_the_same_bytes_as_first_and_last_frame(
    sim: Simulator, tmp_path: Path
) -> None:
    """README: the same image for first and last is fine; a copy of it under another name too."""
    path = write_pipeline(
        tmp_path,
        """
        shots:
          - id: lamp
            model: "02"
            prompt: The lamp comes on
            frames: {first: a.png, last: a-copy.png}
        """,
    )
    shutil.copyfile(tmp_path / "a.png", tmp_path / "a-copy.png")
    run = run_pipeline(sim, path)
    assert run.status("lamp#1") == "completed", run.shot("lamp#1")["error"]
    body = run.ledger["creates"][0]["body"]
    assert body["fileID"] != body["end_frame_fileID"]


def test_a_rerun_keeps_what_the_manifest_said_of_reused_and_failed_takes(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(
        tmp_path,
        """
        shots:
          - id: fine
            prompt: A lamp
            frames: {first: a.png}
          - id: broken
            prompt: "sim:fail a door"
            frames: {first: b.png}
        """,
    )
    first = run_pipeline(sim, path)
    assert first.status("fine#1") == "completed"
    assert first.status("broken#1") == "failed"
    again = run_pipeline(sim, path, RunOptions())
    for key in ("fine#1", "broken#1"):
        before, after = first.shot(key), again.shot(key)
        assert after["frames"] == before["frames"] != []
        assert after["times"] == before["times"]
        assert after["times"]["queued"] is not None
    assert again.shot("fine#1")["reused"] is True
