"""schema/manifest.schema.json says exactly what the README documents: a real manifest (with a
superseded and an orphaned output) passes; an unknown key, a missing `reused` or
`creditsEstimated`, or a model outside the catalogue does not."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from runner.sim import Simulator
from runner.spec import catalogue
from tests.run.conftest import SCHEMA, VALIDATOR, run_pipeline, write_pipeline


@pytest.fixture
def manifest(sim: Simulator, tmp_path: Path) -> dict[str, Any]:
    run_pipeline(sim, write_pipeline(tmp_path, "shots:\n  - {id: a, prompt: one}\n"))
    body = "shots:\n  - {id: a, prompt: changed}\n  - {id: b, prompt: two}\n"
    run_pipeline(sim, write_pipeline(tmp_path, body))
    run = run_pipeline(sim, write_pipeline(tmp_path, "shots:\n  - {id: b, prompt: two}\n"))
    assert run.manifest["superseded"] and run.manifest["orphaned"]
    return run.manifest  # run_pipeline has checked it against the schema


def _broken(manifest: dict[str, Any], where: str, change: str) -> dict[str, Any]:
    doc = copy.deepcopy(manifest)
    holder = {
        "top": doc,
        "shot": doc["shots"][0],
        "superseded": doc["superseded"][0],
        "orphaned": doc["orphaned"][0],
    }[where]
    if change == "unknown key":
        holder["extra"] = 1
    elif change.startswith("-"):
        del holder[change[1:]]
    else:
        holder["model"] = change
    return doc


BREAKS = [
    ("top", "unknown key"),
    ("shot", "unknown key"),
    ("superseded", "unknown key"),
    ("orphaned", "unknown key"),
    ("shot", "-reused"),
    ("shot", "-creditsEstimated"),
    ("shot", "-key"),
    ("shot", "-fingerprint"),
    ("top", "-counts"),
    ("shot", "Hailuo-9"),
]


def test_the_manifest_schema_refuses_what_the_readme_does_not_document(
    manifest: dict[str, Any],
) -> None:
    accepted = [b for b in BREAKS if VALIDATOR.is_valid(_broken(manifest, *b))]
    assert accepted == []


def test_the_manifest_models_are_the_catalogue_without_an_overlay(
    manifest: dict[str, Any],
) -> None:
    rule = SCHEMA["allOf"][0]
    assert rule["if"] == {"properties": {"catalogue": {"type": "null"}}}
    models = rule["then"]["properties"]["shots"]["items"]["properties"]["model"]["enum"]
    assert models == list(catalogue.shipped().model_names)
    assert manifest["catalogue"] is None
    overlaid = {**_broken(manifest, "shot", "Seedance-2.0"), "catalogue": "seedance.yaml"}
    assert VALIDATOR.is_valid(overlaid)
