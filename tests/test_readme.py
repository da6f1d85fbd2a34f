"""The README's examples are true: its pipeline example validates, its plan is the demo's."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from runner.plan import make_plan
from runner.validate import load_pipeline

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
