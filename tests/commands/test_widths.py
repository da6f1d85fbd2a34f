"""`reel models` and `reel plan` at 60, 80 and 140 columns: nothing a user types is ever cut."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.spec import catalogue

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (60, 80, 140)
CAT = catalogue.load()
MODELS = list(CAT.model_names)
OPTIONS = sorted({o.name for m in CAT.models.values() for o in m.options})
DEMO_SHOTS = ["opening", "arrival", "stairs", "lamp", "keeper", "gulls", "crew", "farewell"]


@pytest.fixture(scope="module")
def demo_after_a_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of pipelines/ whose demo has been run once (README's set-up), so `reel plan`
    shows its widest table, with `next run` and `why`."""
    root = tmp_path_factory.mktemp("after-run")
    shutil.copytree(
        ROOT / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("renders", "*.lock")
    )
    result = CliRunner().invoke(main, ["run", str(root / "pipelines" / "demo.yaml")])
    assert result.exit_code == 0, result.output
    return root


def _at(width: int, monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _whole(word: str, text: str) -> bool:
    """`word` appears with nothing of a name or an option glued to it (no `…`, no cut)."""
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w.…-])", text) is not None


def _fits(out: str, width: int) -> None:
    for line in out.splitlines():
        assert len(line) <= width, line
        assert line == line.rstrip(), f"trailing spaces: {line!r}"
    assert "…" not in out


@pytest.mark.parametrize("width", WIDTHS)
def test_models_shows_every_model_and_option_whole(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _at(width, monkeypatch, ROOT, "models")
    _fits(out, width)
    for word in [*MODELS, *OPTIONS]:
        assert _whole(word, out), (word, width)
    assert "12/25/25/50/80" in out and "120/120/180" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_plan_after_a_run_shows_every_shot_model_and_option_whole(
    width: int, monkeypatch: pytest.MonkeyPatch, demo_after_a_run: Path
) -> None:
    out = _at(width, monkeypatch, demo_after_a_run, "plan", "pipelines/demo.yaml")
    _fits(out, width)
    used_models = ["T2V-2.3", "Sora-2", "I2V-01-Director", "02", "I2V-2.3-Fast"]
    used_options = ["768p-6sec", "720p-4sec", "veo-720p-8sec", "512p-6sec"]
    for word in [*DEMO_SHOTS, *used_models, "Veo-3.1-S2V-Fast", *used_options]:
        assert _whole(word, out), (word, width)
    assert _whole("reuse", out) and "completed, unchanged" in " ".join(out.split())
    for pair in ("T2V-2.3 25,", "02 37,", "I2V-2.3-Fast 45,", "Veo-3.1-S2V-Fast 60"):
        assert pair in out, (pair, width)  # a model and its credits stay together
    assert out.splitlines()[-1] == "next run: 0 to render (0 credits), 10 reused"


def test_piped_output_follows_columns_not_a_fixed_width(
    monkeypatch: pytest.MonkeyPatch, demo_after_a_run: Path
) -> None:
    wide = _at(200, monkeypatch, demo_after_a_run, "plan", "pipelines/demo.yaml")
    narrow = _at(100, monkeypatch, demo_after_a_run, "plan", "pipelines/demo.yaml")
    assert max(len(line) for line in narrow.splitlines()) <= 100
    assert "│ opening  │ 1    │ T2V-2.3" in wide
    assert wide != narrow
