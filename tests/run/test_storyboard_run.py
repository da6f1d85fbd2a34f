"""Vars, looks, a cast and matrices in real runs on the simulator: what is sent is the resolved
prompt, and a rerun renders exactly the shots whose resolved prompt (or cast) changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from runner.sim import Simulator
from tests.run.conftest import creates_per_key, run_pipeline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(folder: Path, name: str) -> Path:
    """A copy of an example pipeline (and its images) in `folder`."""
    shutil.copytree(EXAMPLES / "images", folder / "images", dirs_exist_ok=True)
    target = folder / f"{name}.yaml"
    shutil.copyfile(EXAMPLES / f"{name}.yaml", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_cast_and_looks_example_sends_resolved_prompts_and_cast_references(
    sim: Simulator, tmp_path: Path
) -> None:
    run = run_pipeline(sim, _example(tmp_path, "cast-and-looks"))
    assert run.result.outcome == "completed"
    sent = {c["body"]["prompt"]: c["body"] for c in run.ledger["creates"]}
    arrival = sent[
        "the old lighthouse keeper in a navy coat walks through a windswept fishing village in "
        "Brittany with a grey tabby cat at his heels, golden hour, long shadows, 35mm film grain"
    ]
    assert arrival["model"] == "Veo-3.1-S2V-Fast"
    assert [k for k in ("fileID", "fileID2", "fileID3", "fileID4") if k in arrival] == [
        "fileID",
        "fileID2",
        "fileID3",
    ]
    assert "White text on black: {The Keeper}" in sent  # look: none, literal braces
    entry = run.shot("arrival#1")
    assert entry["prompt"] in sent and entry["look"] == "dusk"
    assert entry["cast"] == ["keeper", "cat"]
    assert [f["role"] for f in entry["frames"]] == [f"references[{i}]" for i in range(3)]
    assert {p["from"] for p in entry["promptParts"]} == {None, "cast:keeper", "cast:cat",
                                                         "var:town", "look:dusk"}  # fmt: skip
    assert [m["name"] for m in run.manifest["cast"]] == ["keeper", "cat"]


def test_matrix_variants_are_shot_takes_and_a_rerun_without_prompt_changes_sends_nothing(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path, "matrix")
    first = run_pipeline(sim, path)
    keys = [s["key"] for s in first.manifest["shots"]]
    assert keys == [
        "compare-lamp.T2V-2.3.768p-6sec#1",
        "compare-lamp.Veo-3.1-Fast.veo-720p-8sec#1",
        "harbour.16x9.dusk#1",
        "harbour.16x9.night#1",
        "harbour.9x16.dusk#1",
        "harbour.9x16.night#1",
    ]
    assert creates_per_key(first.ledger, first.result) == dict.fromkeys(keys, 1)
    assert sorted(p.name for p in first.output.glob("*.mp4")) == sorted(
        k.removesuffix("#1") + ".mp4" for k in keys
    )
    assert first.shot("harbour.9x16.night#1")["matrix"] == {"aspectRatio": "9:16", "look": "night"}
    assert first.shot("harbour.9x16.night#1")["variantOf"] == "harbour"

    # The same resolved prompts, written differently: no request at all.
    before = len(first.ledger["requests"])
    _edit(path, "across {town}", "across a windswept fishing village in Brittany")
    _edit(path, "version: 1\n", "version: 1\nname: matrix\n")
    again = run_pipeline(sim, path)
    assert len(again.ledger["requests"]) == before
    assert again.result.requests == 0
    assert all(s["reused"] for s in again.manifest["shots"])

    # A look edited: exactly the variants whose resolved prompt holds it render again.
    _edit(path, "moonlit, deep blue, high contrast", "moonlit, deep blue, silver sea")
    edited = run_pipeline(sim, path)
    rendered = {s["key"] for s in edited.manifest["shots"] if not s["reused"]}
    assert rendered == {
        "compare-lamp.T2V-2.3.768p-6sec#1",
        "compare-lamp.Veo-3.1-Fast.veo-720p-8sec#1",
        "harbour.16x9.night#1",
        "harbour.9x16.night#1",
    }
    assert len(edited.ledger["creates"]) == len(keys) + 4
    assert all("silver sea" in c["body"]["prompt"] for c in edited.ledger["creates"][len(keys) :])


def test_a_matrix_shots_own_id_names_all_its_variants_for_only_and_force(
    tmp_path: Path,
) -> None:
    path = _example(tmp_path, "matrix")
    folder = tmp_path / "out"
    args = ["run", str(path), "--out", str(folder), "--poll-interval", "0.05"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    only = subprocess.run(
        [sys.executable, "-m", "runner", *args, "--only", "compare-lamp"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert only.returncode == 0, only.stderr
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    done = {s["id"] for s in manifest["shots"] if s["status"] == "completed"}
    assert done == {"compare-lamp.T2V-2.3.768p-6sec", "compare-lamp.Veo-3.1-Fast.veo-720p-8sec"}
    assert {s["status"] for s in manifest["shots"] if s["id"].startswith("harbour.")} == {"skipped"}
    plan = subprocess.run(
        [sys.executable, "-m", "runner", "plan", str(path), "--out", str(folder), "--json",
         "--force", "compare-lamp"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    reasons = {t["id"]: t["reason"] for t in json.loads(plan.stdout)["takes"]}
    assert reasons["compare-lamp.T2V-2.3.768p-6sec"] == "forced (--force)"
    assert reasons["compare-lamp.Veo-3.1-Fast.veo-720p-8sec"] == "forced (--force)"
    assert reasons["harbour.16x9.dusk"] != "forced (--force)"
