"""`reel run` as the user runs it: the embedded simulator, exit codes, output modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from tests.run.conftest import VALIDATOR, write_pipeline

TWO = "shots:\n  - id: a\n    prompt: one\n  - id: b\n    prompt: two\n"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_embedded_simulator_renders_and_says_nothing_is_spent(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    code, out, _err = _run(str(path))
    assert code == 0
    assert "embedded simulator" in out and "nothing is spent" in out
    assert "a#1: done" in out and "b#1: done" in out
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert list(VALIDATOR.iter_errors(manifest)) == []
    assert manifest["backend"]["kind"] == "simulator"
    assert (tmp_path / "out" / "a.mp4").stat().st_size > 0


def test_every_run_writes_its_review_page_beside_the_manifest(tmp_path: Path) -> None:
    code, _out, err = _run(str(write_pipeline(tmp_path, TWO)))
    assert code == 0
    page = tmp_path / "out" / "report.html"
    assert f"review page: {page}" in err
    html = page.read_text("utf-8")
    assert 'src="./a.mp4"' in html and 'src="./b.mp4"' in html


def test_json_streams_one_event_per_line(tmp_path: Path) -> None:
    code, out, _err = _run(str(write_pipeline(tmp_path, TWO)), "--json")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "run" and "nothing is spent" in events[0]["note"]
    assert events[-1]["event"] == "finished" and events[-1]["outcome"] == "completed"
    assert {e["key"] for e in events if e["event"] == "take" and e["phase"] == "done"} == {
        "a#1",
        "b#1",
    }


def test_out_option_chooses_the_output_folder(tmp_path: Path) -> None:
    code, _out, _err = _run(str(write_pipeline(tmp_path, TWO)), "--out", str(tmp_path / "else"))
    assert code == 0
    assert (tmp_path / "else" / "manifest.json").exists()
    assert not (tmp_path / "out").exists()


def test_invalid_pipeline_exits_2_with_diagnostics_and_runs_nothing(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, "shots:\n  - id: a\n    model: T2V-99\n    prompt: x\n")
    code, _out, err = _run(str(path))
    assert code == 2
    assert f"{path}:" in err and "T2V-99" in err
    assert not (tmp_path / "out").exists()


def test_unknown_only_id_is_a_usage_error(tmp_path: Path) -> None:
    code, _out, err = _run(str(write_pipeline(tmp_path, TWO)), "--only", "zzz")
    assert code == 2
    assert "zzz" in err


def test_incomplete_run_exits_1(tmp_path: Path) -> None:
    body = "shots:\n  - id: a\n    prompt: sim:fail now\n  - id: b\n    prompt: fine\n"
    code, _out, err = _run(str(write_pipeline(tmp_path, body)))
    assert code == 1
    assert "1 of 2 shot-takes did not complete" in err


@pytest.mark.parametrize("flag", ["--retry-failed"])
def test_retry_failed_renders_failed_shots_again(tmp_path: Path, flag: str) -> None:
    body = "shots:\n  - id: a\n    prompt: sim:moderate now\n  - id: b\n    prompt: fine\n"
    path = write_pipeline(tmp_path, body)
    assert _run(str(path))[0] == 1
    code, out, _err = _run(str(path))
    assert code == 1 and "earlier run" in out and "b#1: reused" in out
    code, out, _err = _run(str(path), flag)
    assert code == 1 and "a#1: moderated" in out and "earlier run" not in out


def test_an_output_folder_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    (tmp_path / "out").write_text("not a folder")
    code, _out, err = _run(str(path))
    assert code == 2
    assert "is a file" in err
    assert (tmp_path / "out").read_text() == "not a folder"
