"""Catalogue overlays: a model the API gained (the example Seedance-2.0) or a new price, from a
pipeline's `catalogue:` or `--catalogue FILE`, reaches validation, the generated schema,
`reel models`, plan prices, the simulator, the manifest and the review page; a broken overlay
is reported where it is broken, and nothing runs."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from check_jsonschema.parsers.yaml import construct_yaml_implementation, impl2loader
from click.testing import CliRunner

from runner.cli import main
from runner.report.write import write_report
from runner.sim import running_simulator
from runner.spec import catalogue, schema_gen
from runner.spec.overlay import load_overlay
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.run.conftest import VALIDATOR as MANIFEST
from tests.run.conftest import run_pipeline, sim_config

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "examples" / "catalogues" / "seedance.yaml"
EXAMPLE = ROOT / "examples" / "seedance-overlay.yaml"
LOAD_YAML = impl2loader(construct_yaml_implementation())


@pytest.fixture(autouse=True)
def _reel_catalogue() -> None:
    catalogue.use(None)


def _example(tmp_path: Path) -> Path:
    """The example pipeline and its overlay, copied where a run may write."""
    shutil.copytree(OVERLAY.parent, tmp_path / "catalogues")
    target = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    return target


def test_the_example_validates_and_plans_with_the_overlays_prices() -> None:
    pipeline, diagnostics = load_pipeline(EXAMPLE)
    assert diagnostics == []
    assert pipeline is not None
    plan = make_plan(pipeline)
    assert [(t.shot.model, t.credits) for t in plan.takes] == [
        ("Seedance-2.0", 100),
        ("T2V-2.3", 20),  # the overlay's price, not Reel's 25
    ]


def test_without_the_overlay_the_model_is_unknown(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("catalogue: catalogues/seedance.yaml\n", "")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    pipeline, diagnostics = load_pipeline(path)
    assert pipeline is None
    assert any("'Seedance-2.0' is not a model" in d.message for d in diagnostics)
    # --catalogue gives it back
    pipeline, diagnostics = load_pipeline(path, overlay=OVERLAY)
    assert pipeline is not None, [d.render() for d in diagnostics]


def test_a_broken_overlay_is_located_and_nothing_is_planned(tmp_path: Path) -> None:
    bad = tmp_path / "cat.yaml"
    bad.write_text(
        "models:\n  New-1:\n    family: nope\n    kind: text\n    first: none\n    last: false\n"
        "    references: [0, 0]\n    aspectRatio: false\n    director: false\n"
        "    credits: ten\n",
        encoding="utf-8",
    )
    pipe = tmp_path / "p.yaml"
    pipe.write_text("version: 1\ncatalogue: cat.yaml\nshots: [{id: a, prompt: x}]\n", "utf-8")
    result = CliRunner().invoke(main, ["plan", str(pipe)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'cat.yaml'}:10:14: error: models.New-1.credits: 'ten' is not of type" in (
        result.output
    )
    assert "catalogue: the catalogue overlay" in result.output
    _, problems = load_overlay(bad, "cat.yaml")
    bad.write_text(bad.read_text().replace("ten", "10"), encoding="utf-8")
    cat, problems = load_overlay(bad, "cat.yaml")
    assert cat is None
    assert [p.render() for p in problems] == [
        "cat.yaml:3:13: error: models.New-1.family: no family 'nope'; add it under `families:` "
        "or use one of hailuo-01, hailuo-02, sora, veo"
    ]


def test_reel_schema_and_models_follow_the_overlay() -> None:
    runner = CliRunner()
    printed = runner.invoke(main, ["schema", "--catalogue", str(OVERLAY)])
    assert printed.exit_code == 0
    schema = json.loads(printed.output)
    assert printed.output == (OVERLAY.parent / "seedance.schema.json").read_text("utf-8"), (
        "examples/catalogues/seedance.schema.json is stale: regenerate it with "
        "`reel schema --catalogue examples/catalogues/seedance.yaml`"
    )
    data = LOAD_YAML(io.BytesIO(EXAMPLE.read_bytes()))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(data)) == []
    assert not jsonschema.Draft7Validator(schema_gen.generate(catalogue.shipped())).is_valid(data)
    listed = runner.invoke(main, ["models", "--json", "--catalogue", str(OVERLAY)])
    models = {m["model"]: m for m in json.loads(listed.output)}
    assert models["Seedance-2.0"]["options"][1] == {
        "name": "1080p-5sec",
        "credits": 100,
        "seconds": 5,
        "resolution": "1080p",
    }


def test_the_simulator_renders_the_added_model_and_the_manifest_says_so(tmp_path: Path) -> None:
    path = _example(tmp_path)
    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    config = dataclasses.replace(sim_config(), catalogue=catalogue.load())
    with running_simulator(config) as sim:
        run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert run.status("harbour#1") == "completed"
    assert run.manifest["totals"]["spentByModel"] == {"Seedance-2.0": 100, "T2V-2.3": 20}
    assert run.manifest["catalogue"] == str(path.parent / "catalogues" / "seedance.yaml")
    assert MANIFEST.is_valid(run.manifest)
    page = write_report(run.output).read_text(encoding="utf-8")
    assert "Seedance-2.0" in page


def test_the_simulator_knows_only_what_the_run_side_hands_it(tmp_path: Path) -> None:
    path = _example(tmp_path)
    assert load_pipeline(path)[0] is not None
    with running_simulator(sim_config()) as sim:  # Reel's own catalogue: no Seedance
        run = run_pipeline(sim, path)
    assert run.status("harbour#1") == "failed"
    assert "Unsupported model Seedance-2.0" in (run.shot("harbour#1")["error"] or "")


def test_reel_run_hands_the_overlay_to_the_embedded_simulator(tmp_path: Path) -> None:
    path = _example(tmp_path)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "harbour.mp4").stat().st_size > 0


def test_a_model_without_options_lasts_its_familys_seconds_or_six(tmp_path: Path) -> None:
    """An added model without options: no note is an empty one, and its videos last its
    family's `seconds`, or 6 s when the family gives none (what a continuity moment checks)."""
    model = (
        "kind: text, first: none, last: false, references: [0, 0], aspectRatio: false,"
        " director: false, credits: 7"
    )
    (tmp_path / "cat.yaml").write_text(
        "families:\n  plain: {label: Plain}\n  long: {label: Long, seconds: 10}\n"
        f"models:\n  Plain-1: {{family: plain, {model}}}\n"
        f"  Long-1: {{family: long, {model}, note: ten seconds}}\n",
        encoding="utf-8",
    )
    listed = CliRunner().invoke(
        main, ["models", "--json", "--catalogue", str(tmp_path / "cat.yaml")]
    )
    models = {m["model"]: m for m in json.loads(listed.output)}
    assert (models["Plain-1"]["note"], models["Long-1"]["note"]) == ("", "ten seconds")
    pipe = tmp_path / "p.yaml"
    text = (
        "version: 1\ncatalogue: cat.yaml\nshots:\n"
        "  - {id: plain, model: Plain-1, prompt: a}\n"
        "  - {id: long, model: Long-1, prompt: b}\n"
        "  - {id: after, model: I2V-2.3, prompt: c, frames: {first: {shot: SHOT, frame: AT}}}\n"
    )
    for shot, at, length in (("plain", "6.5", 6), ("long", "10.5", 10)):
        pipe.write_text(text.replace("SHOT", shot).replace("AT", at), encoding="utf-8")
        pipeline, diagnostics = load_pipeline(pipe)
        assert pipeline is None
        assert [d.message for d in diagnostics if d.severity == "error"] == [
            f"{shot} is {length} s long, so it has no frame at {at} s; choose a moment from 0"
            f" to {length}, or `last`"
        ]
    pipe.write_text(text.replace("SHOT", "long").replace("AT", "9.5"), encoding="utf-8")
    assert load_pipeline(pipe)[0] is not None
