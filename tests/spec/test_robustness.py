"""`reel validate` never tracebacks: whatever the input, a located diagnostic and exit 2 (or a
valid pipeline and exit 0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.commands import validate as validate_cmd
from runner.spec.diagnostics import has_errors
from runner.spec.validate import load_pipeline

FIELDS = [
    "id",
    "model",
    "options",
    "prompt",
    "aspectRatio",
    "promptOptimization",
    "frames",
    "takes",
    "account",
    "replyUrl",
    "replyRef",
    "first",
    "last",
    "references",
    "version",
    "shots",
    "defaults",
    "accounts",
    "maxJobs",
    "name",
    "output",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "T2V-01",
            "02",
            "Veo-3.1",
            "Sora-2",
            "S2V-01",
            "768p-6sec",
            "512p-6sec",
            "16:9",
            "9:16",
            "a.png",
            "user:1-minimax:2-file:3",
            "[Pan left]",
            "111",
            "https://x.y",
            "",
            "../../etc/passwd",
            "/",
            "~",
        ]
    ),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=25,
)
SHOT = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "bad id"])},
    optional=dict.fromkeys(
        ("model", "options", "prompt", "frames", "takes", "account", "aspectRatio"), VALUES
    ),
)
PIPELINE = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 2, "1"])},
    optional={
        "shots": st.lists(SHOT, max_size=4) | VALUES,
        "defaults": VALUES,
        "accounts": VALUES,
        "name": VALUES,
        "output": VALUES,
    },
)
FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _assert_reported(path: Path, name: str) -> None:
    pipeline, diagnostics = load_pipeline(path, name)
    assert (pipeline is None) == has_errors(diagnostics)
    lines = max(1, path.read_bytes().count(b"\n") + 1) if path.is_file() else 1
    for d in diagnostics:
        assert d.file == name
        assert 1 <= d.line <= lines + 1
        assert d.column >= 1
        assert d.message
        assert d.render().startswith(f"{name}:{d.line}:{d.column}: {d.severity}: ")


@FAST
@given(doc=PIPELINE | VALUES)
def test_random_structures(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _assert_reported(path, "p.yaml")
    assert validate_cmd.main([str(path)], "json") in (0, 2)


@FAST
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}#&*!|>'\"\n ,?%@`\t0.~<")), max_size=80))
def test_random_yaml_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_reported(path, "p.yaml")


@FAST
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    _assert_reported(path, "p.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "shots: 5\n",
        "version: 1\nshots: [[[[[]]]]]\n",
        "version: 1\nshots:\n" + "  - id: a\n    prompt: " + "x" * 1_000_000 + "\n",
        "version: 1\nshots:\n  - " + "[" * 800 + "]" * 800 + "\n",
        "version: 1\nshots:\n  - {id: a, prompt: x, frames: {first: " + "a/" * 3000 + "b.png}}\n",
        'version: 1\nshots:\n  - {id: a, prompt: x, frames: {first: "a\\0b.png"}}\n',
        "version: 1\nshots: [{id: a, takes: 99999999999999999999999999, prompt: x}]\n",
        "version: 1\nshots: [{id: a, takes: .nan, prompt: .inf}]\n",
        "version: 1\nshots: [{id: a, prompt: x, model: {Veo-3.1: 1}}]\n",
        "version: 1\naccounts: {'': 1, ' ': {maxJobs: [1]}}\nshots: [{id: a, prompt: x}]\n",
        "version: 1\ndefaults: {frames: {first: 7}}\nshots: [{id: a}]\n",
        "\ufeff\ufeff",
        "- - - - - - - -\n",
        "? |\n  x\n: y\n",
        "%YAML 1.1\n---\nversion: 1\n",
        "version: 1\nshots: [{id: a, prompt: x}]\n...\n",
    ],
)
def test_hostile_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_reported(path, "p.yaml")
    assert validate_cmd.main([str(path)], "text") in (0, 2)


def test_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_cmd.main([str(tmp_path), str(tmp_path / "missing.yaml")], "json") == 2
    out = capsys.readouterr().out
    assert "this is a folder, not a pipeline file" in out
    assert "no such file" in out
