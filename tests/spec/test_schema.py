"""The committed JSON Schema is generated from the catalogue, current, and a valid draft-07
schema; editors reading it see the same per-model rules as `reel validate`, defaults and the
inferred model included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from runner.spec import catalogue, schema_gen

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "pipeline.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_gen.render(), (
        "schema/pipeline.schema.json is stale: run `python -m runner.spec.schema_gen` and commit it"
    )


def test_schema_is_valid_draft_07() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pipeline.schema.json"
    monkeypatch.setattr(schema_gen, "schema_path", lambda: target)
    assert schema_gen.main(["--check"]) == 1
    assert schema_gen.main([]) == 0
    assert schema_gen.main(["--check"]) == 0
    assert target.read_text(encoding="utf-8") == schema_gen.render()


def test_a_price_change_is_a_catalogue_edit() -> None:
    raw = catalogue.raw_catalogue()
    raw["models"]["02"]["options"]["2160p-6sec"] = {
        "credits": 200,
        "seconds": 6,
        "resolution": "2160p",
    }
    schema = schema_gen.generate(catalogue.parse(raw))
    assert "2160p-6sec" in schema["properties"]["defaults"]["properties"]["options"]["enum"]
    assert "2160p-6sec" in json.dumps(schema["definitions"]["shot"]["allOf"])


def _errors(doc: Any) -> list[str]:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return sorted("/".join(map(str, e.absolute_path)) for e in validator.iter_errors(doc))


@pytest.mark.parametrize(
    ("shot", "errors"),
    [
        ({"id": "a", "model": "T2V-2.3", "prompt": "x"}, []),
        (
            # A key the model does not take is `false`: python-jsonschema reports it at its
            # parent ("False schema does not allow '768p-6sec'"); editors at the key.
            {"id": "a", "model": "T2V-01", "options": "768p-6sec", "prompt": "x"},
            ["shots/0"],
        ),
        ({"id": "a", "model": "02", "options": "512p-6sec", "prompt": "x"}, ["shots/0"]),
        (
            {
                "id": "a",
                "model": "02",
                "options": "512p-6sec",
                "frames": {"first": "a.png", "last": "b.png"},
            },
            ["shots/0/frames"],
        ),
        (
            {
                "id": "a",
                "model": "02",
                "options": "1080p-6sec",
                "frames": {"first": "a.png", "last": "b.png"},
            },
            [],
        ),
        (
            {"id": "a", "model": "T2V-2.3", "prompt": "x", "frames": {"first": "a.png"}},
            ["shots/0/frames"],
        ),
        ({"id": "a", "model": "Veo-3.1", "aspectRatio": "9:16", "prompt": "x"}, []),
        (
            {"id": "a", "model": "I2V-01", "aspectRatio": "9:16", "frames": {"first": "a.png"}},
            ["shots/0"],
        ),
        (
            {"id": "a", "model": "Veo-3.1-S2V", "frames": {"references": ["r.png"] * 15}},
            ["shots/0/frames/references"] * 2,
        ),
        ({"id": "a", "model": "S2V-01", "frames": {"references": ["r.png"]}}, []),
        ({"id": "a", "frames": {"first": "user:1-minimax:2-file:3"}}, []),
        ({"id": "a", "frames": {"first": "user:1-file:3"}}, ["shots/0/frames/first"]),
        # No model and a frame: I2V-01, which needs a first frame and takes no end frame.
        (
            {"id": "a", "frames": {"last": "b.png"}},
            ["shots/0/frames"] * 3,
        ),
        ({"id": "bad id", "prompt": "x"}, ["shots/0/id"]),
    ],
)
def test_schema_rules_in_an_editor(shot: dict[str, Any], errors: list[str]) -> None:
    assert _errors({"version": 1, "shots": [shot]}) == errors
