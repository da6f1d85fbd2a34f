"""The README's examples are true: its pipeline example validates, its plan is the demo's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_format_example_validates(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n(# yaml-language-server.*?)```", README, re.DOTALL)
    assert block is not None
    path = tmp_path / "coffee-spot.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    (tmp_path / "images").mkdir()
    for name in re.findall(r"images/(\w+)\.png", block.group(1)):
        Image.new("RGB", (64, 36), "brown").save(tmp_path / "images" / f"{name}.png")
    for music in re.findall(r"music: (\S+)", block.group(1)):  # validation: the file exists
        (tmp_path / music).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / music).write_bytes(b"")
    pipeline, diagnostics = load_pipeline(path)
    assert diagnostics == []
    assert pipeline is not None
    assert [s.id for s in pipeline.shots] == ["opening", "band"]


def test_plan_totals_match_the_demo() -> None:
    pipeline, _ = load_pipeline(ROOT / "pipelines" / "demo.yaml")
    assert pipeline is not None
    plan = make_plan(pipeline)
    videos, shots = len(plan.takes), len(pipeline.shots)
    assert f"total: {plan.total_credits} credits for {videos} videos ({shots} shots)" in README


def _layout_section() -> str:
    section = re.search(r"## How the code is laid out\n(.*?)\n## ", README, re.DOTALL)
    assert section is not None, "README lost its 'How the code is laid out' section"
    return section.group(1)


def test_the_layout_names_every_package_and_only_real_ones() -> None:
    named = set(re.findall(r"`runner/(\w+)/`", _layout_section()))
    actual = {p.parent.name for p in (ROOT / "runner").glob("*/__init__.py")}
    assert named == actual


def test_every_file_the_layout_names_exists() -> None:
    paths = re.findall(r"`(?:runner/)?((?:\w+/)*\w+\.(?:py|json))`", _layout_section())
    assert paths, "the section names no files"
    for path in paths:
        candidates = [ROOT / "runner" / path, *(ROOT / "runner").glob(f"*/{path}")]
        assert any(c.is_file() for c in candidates), f"README names {path}, which does not exist"


def test_the_flow_of_imports_is_the_one_the_contracts_check() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layers = re.search(r"layers = \[(.*?)\]", pyproject, re.DOTALL)
    assert layers is not None
    order = [
        name.replace("runner.", "")
        for name in re.findall(r'"([\w. |]+)"', layers.group(1))
        if name != "runner.boundary"
    ]
    assert " → ".join(order) in _layout_section()


def _sh_blocks(section: str) -> list[str]:
    body = re.search(rf"## {section}\n(.*?)\n## ", README, re.DOTALL)
    assert body is not None, f"README lost its '{section}' section"
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", body.group(1), re.DOTALL)]


def test_ci_runs_readmes_two_commands_in_order_in_its_fresh_clone() -> None:
    """CI runs exactly what a newcomer runs: the set-up command, then the test command, so a
    test that fails after the set-up's demo run (or a README command that broke) fails CI."""
    setup, test = _sh_blocks("Set up")
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()]
    assert setup in lines
    assert f"exec {test}" in lines
    assert lines.index(setup) < lines.index(f"exec {test}")
    # A CI environment's token must never make the demo spend real credits.
    assert lines.index("unset USEAPI_TOKEN USEAPI_BASE_URL") < lines.index(setup)


def _model_rows() -> list[list[str]]:
    table = re.search(r"\n(\| family \| model .*?)\n\n", README, re.DOTALL)
    assert table is not None, "README lost its model table"
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.group(1).splitlines()]
    return rows[2:]


def test_the_model_table_is_the_catalogue() -> None:
    """Every model, option (as typed in a pipeline), default and credit of README's table is
    the catalogue's, under the family name `reel models` prints."""
    from runner.spec import catalogue

    cat = catalogue.load()
    family, listed = "", []
    for cells in _model_rows():
        family = cells[0] or family
        names = re.findall(r"`([^`]+)`", cells[1])
        assert names, cells
        for name in names:
            model = cat.model(name)
            listed.append(name)
            assert family.startswith(model.family_label), (name, family)
            options = ", ".join(
                f"{o.name}{'*' if o.name == model.default_option else ''} ({o.credits})"
                for o in model.options
            )
            assert cells[3] == (options or f"none ({model.credits})"), name
    assert sorted(listed) == sorted(cat.model_names)


def test_the_plan_example_is_what_a_user_sees_after_the_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's `reel plan` output, exactly, in a fresh copy whose demo has been run once (as
    the set-up command does), in a pipe without COLUMNS."""
    from click.testing import CliRunner

    from runner.cli import main

    block = re.search(r"```\n\$ reel plan pipelines/demo.yaml\n(.*?)```", README, re.DOTALL)
    assert block is not None
    shutil.copytree(
        ROOT / "pipelines",
        tmp_path / "pipelines",
        ignore=shutil.ignore_patterns("renders", "*.lock"),
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    assert CliRunner().invoke(main, ["run", "pipelines/demo.yaml"]).exit_code == 0
    result = CliRunner().invoke(main, ["plan", "pipelines/demo.yaml"])
    assert result.exit_code == 0
    assert result.stdout == block.group(1)
