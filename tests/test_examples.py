"""The demo storyboard and every example pipeline validate cleanly and plan as advertised."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.spec import catalogue
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/pipeline.schema.json"


@pytest.mark.parametrize("path", [*EXAMPLES, ROOT / "pipelines/demo.yaml"], ids=lambda p: p.stem)
def test_pipeline_is_valid_without_warnings(path: Path) -> None:
    pipeline, diagnostics = load_pipeline(path)
    assert diagnostics == []
    assert pipeline is not None
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    if pipeline.catalogue_overlay is None:
        assert first_line == SCHEMA_LINE
    else:  # the schema generated from its overlay (tests/spec/test_overlay.py keeps it current)
        assert first_line.endswith(".schema.json") and "$schema=catalogues/" in first_line


def test_examples_cover_every_model() -> None:
    used = set()
    for path in EXAMPLES:
        pipeline, _ = load_pipeline(path)
        assert pipeline is not None
        used |= {s.model for s in pipeline.shots}
    # Seedance-2.0 comes from the example overlay (examples/catalogues/seedance.yaml).
    assert used == {*catalogue.shipped().model_names, "Seedance-2.0"}


def test_demo_is_a_small_real_storyboard() -> None:
    pipeline, _ = load_pipeline(ROOT / "pipelines/demo.yaml")
    assert pipeline is not None
    cat = catalogue.load()
    shots = pipeline.shots
    assert 6 <= len(shots) <= 10
    assert len({cat.model(s.model).family for s in shots}) >= 3
    assert any(2 <= s.takes <= 3 for s in shots)
    assert any(cat.model(s.model).director and "[" in (s.prompt or "") for s in shots)
    assert any(s.frames.first and s.frames.last for s in shots)
    sora = [s for s in shots if s.model == "Sora-2" and s.frames.first]
    assert sora and all(s.frames.first and s.frames.first.is_local for s in sora)
    assert any(s.model.startswith("Veo-3.1-S2V") and s.frames.references for s in shots)
    plan = make_plan(pipeline)
    assert plan.total_credits == 257
    assert len(plan.takes) == 10


def test_committed_images_are_small() -> None:
    images = [
        p
        for folder in ("pipelines/images", "examples/images", "tests/cases/images")
        for p in (ROOT / folder).iterdir()
    ]
    assert images
    assert all(p.stat().st_size < 100_000 for p in images), [p.name for p in images]
