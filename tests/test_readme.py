"""The README's examples are true: its pipeline example validates, its plan is the demo's."""

from __future__ import annotations

import re
from pathlib import Path

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
