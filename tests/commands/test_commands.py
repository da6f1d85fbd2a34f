"""`reel validate`, `reel plan`, `reel models` and `reel schema` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.spec import catalogue

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "pipelines" / "demo.yaml"
INVALID = ROOT / "tests" / "cases" / "invalid"
CLEAN: list[Path] = []
"""The copy of the repository's pipelines the tests run in (set once per module)."""


@pytest.fixture(scope="module", autouse=True)
def _clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """pipelines/, examples/ and tests/cases/ as a fresh clone has them: what a user's working
    tree holds (README's set-up leaves pipelines/renders/the-keeper) must not change a test."""
    root = tmp_path_factory.mktemp("clone")
    for folder in ("pipelines", "examples", "tests/cases", "schema"):
        shutil.copytree(
            ROOT / folder, root / folder, ignore=shutil.ignore_patterns("renders", "*.lock")
        )
    CLEAN.append(root)
    yield
    CLEAN.remove(root)


def reel(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `reel ARGS` in `cwd` (default: the clean copy): (exit code, stdout, stderr)."""
    old = Path.cwd()
    os.chdir(cwd or CLEAN[-1])
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_validate_valid_file() -> None:
    code, out, _ = reel("validate", "pipelines/demo.yaml", "examples/takes.yaml")
    assert code == 0
    assert out == "2 files valid\n"


def test_validate_invalid_file_text() -> None:
    code, out, _ = reel(
        "validate",
        "invalid/inferred-model.yaml",
        "invalid/prompt-missing.yaml",
        cwd=CLEAN[-1] / "tests" / "cases",
    )
    assert code == 2
    assert out.splitlines() == [
        "invalid/inferred-model.yaml:6:13: error: shots[0].frames.last: I2V-01 takes no end "
        "frame; use 02 at 768p/1080p or Veo-3.1 or Veo-3.1-Fast (no model given: I2V-01 is the "
        "default for a shot with a first frame; set `model:` to choose)",
        "invalid/prompt-missing.yaml:3:5: error: shots[0].prompt: a shot without frames needs "
        "a prompt",
        "2 of 2 files invalid: 2 errors, 0 warnings",
    ]


def test_validate_json() -> None:
    code, out, _ = reel(
        "validate", "--format", "json", "invalid/version.yaml", cwd=CLEAN[-1] / "tests" / "cases"
    )
    assert code == 2
    assert json.loads(out) == [
        {
            "file": "invalid/version.yaml",
            "line": 1,
            "column": 10,
            "path": "version",
            "severity": "error",
            "rule": "version",
            "message": "must be 1, not the number 2",
        }
    ]


def test_validate_warnings_only_exit_zero() -> None:
    code, out, _ = reel(
        "validate", "valid/camera-moves-on-other-model.yaml", cwd=CLEAN[-1] / "tests" / "cases"
    )
    assert code == 0
    assert out.endswith("1 file valid (1 warning)\n")
    assert ": warning: shots[0].prompt: T2V-2.3 ignores camera moves" in out


def test_validate_missing_file_and_directory(tmp_path: Path) -> None:
    code, out, _ = reel("validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert out.startswith(f"{tmp_path / 'nope.yaml'}:1:1: error: no such file\n")
    code, _, err = reel("validate", str(tmp_path))
    assert code == 2
    assert "is a directory" in err


def test_plan_table() -> None:
    code, out, _ = reel("plan", "pipelines/demo.yaml")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("pipelines/demo.yaml → pipelines/renders/the-keeper")
    keeper = [line for line in lines if "│ keeper" in line]
    assert len(keeper) == 3
    assert "│ 2/3  │ I2V-2.3-Fast" in keeper[1]
    assert lines[-1] == "total: 257 credits for 10 videos (8 shots)"
    assert "I2V-2.3-Fast 45" in lines[-2]


def test_plan_of_many_rows_is_plain_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.commands import tables

    monkeypatch.setattr(tables, "RICH_ROWS", 1)
    code, out, _ = reel("plan", "examples/accounts-pinning.yaml")
    assert code == 0
    assert out.splitlines() == [
        "examples/accounts-pinning.yaml → examples/renders/accounts-pinning",
        "shot                 take  model    options        aspect  frames  account  credits",
        "anywhere             1     T2V-01   -              -       -       any           25",
        "on-the-paid-account  1     Veo-3.1  veo-720p-8sec  16:9    -       222222       120",
        "credits by model: T2V-01 25, Veo-3.1 120",
        "total: 145 credits for 2 videos (2 shots)",
    ]


def test_plan_json(tmp_path: Path) -> None:
    code, out, _ = reel("plan", "--json", "pipelines/demo.yaml", "--out", str(tmp_path / "x"))
    assert code == 0
    doc = json.loads(out)
    assert doc["totalCredits"] == 257
    assert doc["output"] == str(tmp_path / "x")
    assert sum(doc["creditsByModel"].values()) == 257
    lamp = next(t for t in doc["takes"] if t["id"] == "lamp")
    assert lamp["options"] == "768p-6sec"
    assert lamp["frames"]["last"] == str(CLEAN[-1] / "pipelines" / "images" / "lamp-on.png")
    assert [t["key"] for t in doc["takes"] if t["id"] == "keeper"] == [
        "keeper#1",
        "keeper#2",
        "keeper#3",
    ]
    assert len({t["fingerprint"] for t in doc["takes"]}) == 10


def test_plan_invalid_file() -> None:
    code, out, err = reel(
        "plan",
        "invalid/duplicate-id.yaml",
        "--retry-failed",
        "--force",
        "a",
        cwd=CLEAN[-1] / "tests" / "cases",
    )
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "invalid/duplicate-id.yaml:4:10: error: shots[1].id: duplicate shot id 'a', first on "
        "line 3; ids name the output files, so each must be unique",
        "invalid/duplicate-id.yaml:6:10: error: shots[3].id: duplicate shot id 'intro', first "
        "on line 5 (as 'Intro': output names ignore case); ids name the output files, so each "
        "must be unique",
        "reel: invalid/duplicate-id.yaml is not valid: nothing was planned",
    ]


def test_models_table() -> None:
    code, out, _ = reel("models")
    assert code == 0
    for name in catalogue.load().model_names:
        assert f"│ {name} " in out
    assert "768p-6sec*" in out and "veo-720p-8sec*" in out
    assert "12/25/25/50/80" in out
    assert "[brackets]" in out


def test_models_json() -> None:
    code, out, _ = reel("models", "--json")
    assert code == 0
    models = json.loads(out)
    assert [m["model"] for m in models] == list(catalogue.load().model_names)
    sora = next(m for m in models if m["model"] == "Sora-2")
    assert sora["frames"] == "first optional, 1280x720 or 720x1280"
    assert [o["credits"] for o in sora["options"]] == [40, 80, 120]


def test_schema_command() -> None:
    code, out, _ = reel("schema")
    assert code == 0
    assert out == (ROOT / "schema" / "pipeline.schema.json").read_text(encoding="utf-8")


def test_schema_manifest_prints_the_shipped_file() -> None:
    code, out, _ = reel("schema", "--manifest")
    assert code == 0
    assert out == (ROOT / "schema" / "manifest.schema.json").read_text(encoding="utf-8")


def test_schema_manifest_not_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.spec import packaged

    monkeypatch.setattr(packaged, "schema_text", lambda name: None)
    code, out, err = reel("schema", "--manifest")
    assert out == ""
    assert code == 2
    assert err == "reel: the manifest's schema is not available in this version of Reel yet\n"


def test_help_is_fast_to_import() -> None:
    """`reel --help` imports neither the validator nor jsonschema, rich or PIL."""
    code = (
        "import sys, runner.cli\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(runner.cli.main, ['--help'])\n"
        "print(sorted(m for m in ('jsonschema', 'rich', 'PIL', 'yaml', 'runner.spec.validate') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plan_of_one_shot_says_1_video_and_1_shot(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(
        "version: 1\nshots:\n  - id: kite\n    prompt: A red kite\n", encoding="utf-8"
    )
    code, out, _ = reel("plan", "one.yaml", cwd=tmp_path)
    assert code == 0
    assert out.splitlines()[-1] == "total: 25 credits for 1 video (1 shot)"


@pytest.mark.parametrize("args", [["models"], ["schema"], ["validate", "pipelines/demo.yaml"]])
def test_a_reader_that_goes_away_is_not_a_bug(args: list[str]) -> None:
    """`reel models | head -1`: the pipe closes before Reel writes; no "internal error"."""
    with subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        cwd=CLEAN[-1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert code == 0, err
    assert "internal error" not in err and "Traceback" not in err
