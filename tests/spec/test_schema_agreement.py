"""The schema alone and `reel validate` agree on generated pipelines.

Hypothesis writes pipelines over every model (or none: the inferred one), option, frame shape,
aspect ratio, `defaults:` block and camera prompt, usually fitting the model and often not.
Each is judged by `reel validate` and by the committed schema read with check-jsonschema's YAML
1.2 loader (ruamel; editors read YAML 1.2 too), and a sample by check-jsonschema itself. Only
rules a schema can express are generated: frames are fileIDs of one account (no files to
read), ids are unique. Every shipped file (tests/cases, examples, pipelines) gets the same
verdict too, apart from what only `reel validate` checks (REEL_ONLY).

CI runs a few hundred examples, derandomised; `REEL_SCHEMA_EXAMPLES=10000 pytest
tests/spec/test_schema_agreement.py` runs the slow proof.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from check_jsonschema.parsers.yaml import (
    ParseError,
    construct_yaml_implementation,
    impl2loader,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.spec import catalogue, schema_gen
from runner.spec.validate import load_pipeline

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "pipeline.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
CAT = catalogue.load()
# check-jsonschema's own YAML 1.2 loader (ruamel; dates stay text, keys become text).
LOAD_YAML = impl2loader(construct_yaml_implementation(), construct_yaml_implementation(pure=True))
EXAMPLES = int(os.environ.get("REEL_SCHEMA_EXAMPLES", "300"))
_ids = itertools.count(1)

OPTIONS = sorted({o.name for m in CAT.models.values() for o in m.options})
PROMPTS = [
    "A lighthouse at dusk",
    "[Pan left] the sea",
    "[Truck left, Pan right, Zoom in] then [Shake]",
    "[Pan left,Pan right,Zoom in,Shake] too many",
    "[pan left] wrong case",
    "[] empty",
    "[Pan left unbalanced",
    "stray ] bracket",
    "[ Static shot ]",
    "[Tracking shot,] trailing comma",
]


def _file_id() -> str:
    return f"user:1-minimax:5-file:{next(_ids)}"


def _random_doc(rng: random.Random) -> tuple[dict[str, Any], bool]:
    """A pipeline, often valid: fields usually fit the shot's model, sometimes not; and
    whether to write `model: 02` unquoted."""
    doc: dict[str, Any] = {"version": 1}
    defaults = _random_fields(rng, None) if rng.random() < 0.5 else None
    if defaults is not None:
        doc["defaults"] = defaults
    model = defaults.get("model") if defaults else None
    doc["shots"] = [{"id": f"s{i}", **_random_fields(rng, model)} for i in range(rng.randint(1, 3))]
    return doc, rng.random() < 0.5


def _random_fields(rng: random.Random, inherited: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = rng.choice(CAT.model_names) if rng.random() < 0.6 else None
    if name is not None:
        out["model"] = name
    model = CAT.models[name or inherited or rng.choice(CAT.model_names)]
    fits = rng.random() < 0.8
    if rng.random() < 0.5 and (model.options or not fits):
        out["options"] = rng.choice(model.option_names if fits and model.options else OPTIONS)
    if rng.random() < 0.3 and (model.aspect_ratio or not fits):
        out["aspectRatio"] = rng.choice(CAT.aspect_ratios)
    if rng.random() < 0.6:
        out["frames"] = _random_frames(rng, model if fits else None)
    if rng.random() < 0.7:
        prompts = PROMPTS[:3] if fits else PROMPTS
        out["prompt"] = rng.choice(prompts)
    if rng.random() < 0.1:
        out["takes"] = rng.randint(0, 11)
    return out


def _random_frames(rng: random.Random, model: Any) -> dict[str, Any]:
    shapes = ["first", "last", "first+last", "refs", "refs+first", "none"]
    if model is not None:
        lo, hi = model.references
        if hi:
            return {"references": ["R"] * rng.randint(lo, hi)}
        fitting = [s for s in ("first", "first+last") if model.first != "none"]
        fitting = [s for s in fitting if model.allows_last or "last" not in s]
        shapes = fitting or ["none"]
    shape = rng.choice(shapes)
    out: dict[str, Any] = {}
    if "first" in shape:
        out["first"] = "F"
    if "last" in shape:
        out["last"] = "L"
    if "refs" in shape:
        out["references"] = ["R"] * rng.randint(1, 15)
    return out


def _text(doc: dict[str, Any], unquoted_02: bool) -> str:
    """JSON (which is YAML), frames made unique fileIDs; `model: 02` unquoted when asked."""
    text = json.dumps(doc)
    for placeholder in ('"F"', '"L"', '"R"'):
        while placeholder in text:
            text = text.replace(placeholder, json.dumps(_file_id()), 1)
    if unquoted_02:
        text = text.replace('"model": "02"', '"model": 02')
    return text


def _schema_says_valid(text: str) -> bool:
    data = LOAD_YAML(io.BytesIO(text.encode()))
    return bool(VALIDATOR.is_valid(data))


def _reel_says_valid(path: Path) -> bool:
    pipeline, _ = load_pipeline(path)
    return pipeline is not None


def _verdicts(tmp: Path, doc: dict[str, Any], unquoted_02: bool) -> tuple[bool, bool, str]:
    text = _text(doc, unquoted_02)
    path = tmp / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return _schema_says_valid(text), _reel_says_valid(path), text


@settings(
    max_examples=EXAMPLES,
    derandomize=EXAMPLES < 1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(rng=st.randoms(use_true_random=False))
def test_schema_and_reel_validate_agree(tmp_path: Path, rng: random.Random) -> None:
    doc, unquoted_02 = _random_doc(rng)
    schema, reel, text = _verdicts(tmp_path, doc, unquoted_02)
    assert schema == reel, f"schema says {schema}, reel validate says {reel}:\n{text}"


@pytest.mark.parametrize(
    "doc",
    [
        # False errors the old schema made: defaults supply the prompt or the frames.
        {"version": 1, "defaults": {"prompt": "p"}, "shots": [{"id": "a"}]},
        {
            "version": 1,
            "defaults": {"model": "I2V-2.3", "frames": {"first": "F"}},
            "shots": [{"id": "a"}],
        },
        {"version": 1, "shots": [{"id": "a", "model": "02", "prompt": "p"}]},
    ],
)
def test_valid_through_defaults(tmp_path: Path, doc: dict[str, Any]) -> None:
    assert _verdicts(tmp_path, doc, unquoted_02=True)[:2] == (True, True)


@pytest.mark.parametrize(
    "doc",
    [
        # Rules the old schema missed: the inferred model, rules reached through defaults.
        {"version": 1, "shots": [{"id": "a", "prompt": "p", "options": "768p-6sec"}]},
        {
            "version": 1,
            "defaults": {"model": "T2V-01", "options": "768p-6sec"},
            "shots": [{"id": "a", "prompt": "p"}],
        },
        {
            "version": 1,
            "defaults": {"model": "T2V-2.3"},
            "shots": [{"id": "a", "prompt": "p", "aspectRatio": "9:16"}],
        },
        {"version": 1, "shots": [{"id": "a", "model": "T2V-01-Director", "prompt": "[Pan]"}]},
        {"version": 1, "shots": [{"id": "a", "frames": {"references": ["R", "R"]}}]},
    ],
)
def test_invalid_through_defaults(tmp_path: Path, doc: dict[str, Any]) -> None:
    assert _verdicts(tmp_path, doc, unquoted_02=False)[:2] == (False, False)


def test_check_jsonschema_agrees_on_a_sample(tmp_path: Path) -> None:
    """check-jsonschema itself (its own YAML loader), on 60 generated files in one run."""
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert exe, "check-jsonschema is in the test extras"
    expected: dict[str, bool] = {}
    docs = _sample_docs(60)
    for n, (doc, unquoted) in enumerate(docs):
        path = tmp_path / f"p{n}.yaml"
        path.write_text(_text(doc, unquoted), encoding="utf-8")
        expected[path.name] = _reel_says_valid(path)
    out = subprocess.run(
        [
            exe,
            "--schemafile",
            str(ROOT / "schema" / "pipeline.schema.json"),
            "-o",
            "json",
            *sorted(str(p) for p in tmp_path.glob("p*.yaml")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    invalid = {Path(e["filename"]).name for e in report["errors"]}
    assert not report["parse_errors"]
    seen = {name: name not in invalid for name in expected}
    assert seen == expected
    assert sum(expected.values()) >= 5, "the sample holds valid files too"
    assert sum(not v for v in expected.values()) >= 5, "and invalid ones"


def _sample_docs(count: int) -> list[tuple[dict[str, Any], bool]]:
    """`count` pipelines from a fixed seed."""
    rng = random.Random(13)
    return [_random_doc(rng) for _ in range(count)]


# Invalid only by what `reel validate` alone checks: files and images, and comparisons across
# fields (duplicate ids, one fileID as both frames, fileIDs and accounts). The schema accepts
# them (no false errors); every other invalid case must be invalid for the schema too.
REEL_ONLY = frozenset(
    {
        "account-not-listed",
        "duplicate-id",
        "duplicate-output",
        "file-id-account-not-listed",
        "file-id-not-on-pinned-account",
        "file-ids-on-three-accounts",
        "file-ids-on-two-accounts",
        "image-missing",
        "image-missing-near-name",
        "image-not-an-image",
        "reply-url-host",  # a host and port a URL pattern cannot judge
        "whole-numbers",  # 2.0 is the integer 2 to JSON Schema
        "same-file-id-first-last",
        "sora-aspect-mismatch",
        "sora-wrong-size",
    }
)
SHIPPED = sorted(
    [
        *(ROOT / "tests" / "cases").glob("*/*.yaml"),
        *(ROOT / "examples").glob("*.yaml"),
        *(ROOT / "pipelines").glob("*.yaml"),
    ]
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_file_gets_the_same_verdict(path: Path) -> None:
    """Valid for Reel: valid for the schema. Invalid: invalid for the schema too, unless every
    error is one only Reel can find (then the schema must accept it: no false errors)."""
    reel_valid = load_pipeline(path)[0] is not None
    try:
        data = LOAD_YAML(io.BytesIO(path.read_bytes()))
    except ParseError:  # a YAML error: no tool validates the file
        assert not reel_valid
        return
    validator = VALIDATOR
    if isinstance(data, dict) and "catalogue" in data:  # the schema made from its overlay
        validator = jsonschema.Draft7Validator(schema_gen.generate(catalogue.load()))
    schema_valid = bool(validator.is_valid(data))
    messages = [e.message for e in validator.iter_errors(data)]
    if reel_valid or path.stem in REEL_ONLY:
        assert reel_valid == (path.parent.name != "invalid")
        assert schema_valid, messages
    else:
        assert not schema_valid, "the schema accepts a file reel validate rejects"


def test_model_02_unquoted_or_written_as_2_means_02_everywhere(tmp_path: Path) -> None:
    """YAML 1.2 tools read an unquoted `02` as 2; Reel reads it as text. Both mean 02, and
    Reel warns about a written 2 (the 02 rules apply: no end frame at 512p)."""
    for value in ("02", "2"):
        path = tmp_path / f"m{value}.yaml"
        path.write_text(
            f"version: 1\nshots:\n  - {{id: a, model: {value}, options: 512p-6sec,"
            " frames: {first: user:1-minimax:5-file:1}}\n",
            encoding="utf-8",
        )
        pipeline, diagnostics = load_pipeline(path)
        assert pipeline is not None and pipeline.shots[0].model == "02"
        warned = [d.render() for d in diagnostics]
        if value == "2":
            assert warned == [
                f'{path}:3:20: warning: shots[0].model: model 2 is read as 02; write model: "02"'
            ]
        else:
            assert warned == []
        assert _schema_says_valid(path.read_text(encoding="utf-8"))
        broken = path.read_text(encoding="utf-8").replace("}}", ", last: user:1-minimax:5-file:2}}")
        path.write_text(broken, encoding="utf-8")
        assert not _schema_says_valid(broken)
        assert load_pipeline(path)[0] is None
