"""Every `reel run` that ends writes the cut: the completed takes, slates for the rest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from runner.cli import main
from runner.spec import catalogue
from tests.cut.clips import decode
from tests.run.conftest import write_pipeline

STORY = """\
cut: {size: 320x180}
shots:
  - {id: a, prompt: one, model: Sora-2}
  - {id: b, prompt: two sim:fail, model: Sora-2, options: 720p-8sec}
  - {id: c, prompt: three, model: Sora-2, takes: 2, select: 2}
"""


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_run_that_ends_writes_the_cut_with_slates_for_what_did_not_complete(
    tmp_path: Path,
) -> None:
    path = write_pipeline(tmp_path, STORY)

    code, out, err = _run(str(path), "--json")

    assert code == 1  # b failed
    assert [json.loads(line)["event"] for line in out.splitlines()][-1] == "finished"
    output = tmp_path / "out"
    assert "cut" not in err  # --json: quiet on stderr, JSON only on stdout
    cut = decode(output / "cut.mp4")
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    status = {s["key"]: s["status"] for s in manifest["shots"]}
    assert status == {"a#1": "completed", "b#1": "failed", "c#1": "completed", "c#2": "completed"}
    seconds = catalogue.load().model("Sora-2").seconds_for
    assert abs(cut.seconds - (seconds("720p-4sec") * 2 + seconds("720p-8sec"))) <= 1 / 24
    record = json.loads((output / ".reel" / "cut.json").read_text("utf-8"))
    assert [(m["id"], m["take"], m["missing"]) for m in record["marks"]] == [
        ("a", 1, False),
        ("b", 1, True),
        ("c", 2, False),
    ]
    # Where each shot sits in the cut (the review page marks it there), and how it ended.
    four, eight = seconds("720p-4sec"), seconds("720p-8sec")
    assert [(m["start"], m["seconds"], m["takes"], m["status"]) for m in record["marks"]] == [
        (0.0, four, 1, "completed"),
        (four, eight, 1, "failed"),
        (four + eight, four, 2, "completed"),
    ]

    code, _, err = _run(str(path), "--retry-failed")

    assert code == 1  # b fails again (its prompt says so): the cut is not encoded again
    assert f"cut: {output / 'cut.mp4'} (unchanged)\n" in err
