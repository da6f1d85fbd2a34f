"""Whatever a pipeline file holds, `reel validate` and `reel plan` answer like a tool, not a crash.

Generated files: random YAML structures and values, pipeline-shaped documents with random field
values, random bytes, random YAML-ish text, deep nesting, huge strings and odd unicode. For each:
no traceback, no bug report, exit 0 (valid) or 2 (invalid) — and when 2, at least one
diagnostic located as FILE:LINE:COL inside the file (and, with `--format json`, a JSON list of
located diagnostics).

In CI hypothesis runs derandomized (the same examples every run: tests/conftest.py's "ci"
profile), so CI never fails by chance; run by hand, each run searches new examples.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.spec import catalogue
from tests.reliability.conftest import Outcome, assert_no_crash, invoke

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BREAKS = ("\r\n", "\r", "\n", "\x85", "\u2028", "\u2029")

_odd = st.sampled_from(
    [
        "\ufeff",  # a BOM in the middle
        "\x00",
        "\u200b",  # zero-width space
        "\u202e",  # right-to-left override
        "\u0301",  # a lone combining accent
        "\U0001f3ac",  # clapper board
        "\uff1a",  # fullwidth colon
        "\u2028",  # line separator
        "\x85",  # next line
        "\t",
        "\r",
        "\uff5c",  # fullwidth vertical line
        "\U0001d54f",  # double-struck capital X
    ]
)
_text = st.text(alphabet=st.one_of(st.characters(exclude_categories=["Cs"]), _odd), max_size=40)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    _text,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=20,
)
_models = st.sampled_from([*catalogue.load().models, "T2V-99", ""])
_shot = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(_text, st.sampled_from(["a", "../x", "/abs", "x/../../y", "ok-1"])),
        "model": st.one_of(_models, _values),
        "options": st.one_of(st.sampled_from(["768p-6sec", "1080p-6sec", "veo-4k-8sec"]), _values),
        "prompt": st.one_of(_text, _values),
        "aspectRatio": st.one_of(st.sampled_from(["16:9", "9:16", "1:1"]), _values),
        "promptOptimization": _values,
        "frames": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"first": _values, "last": _values, "references": _values}
            ),
            _values,
        ),
        "takes": st.one_of(st.integers(min_value=-5, max_value=10**6), _values),
        "account": _values,
        "replyUrl": _values,
        "unknownField": _values,
    },
)
_pipeline = st.fixed_dictionaries(
    {"shots": st.one_of(st.lists(_shot, max_size=5), _values)},
    optional={
        "version": st.one_of(st.just(1), _values),
        "name": _values,
        "output": st.one_of(_text, _values),
        "accounts": _values,
        "defaults": st.one_of(_shot, _values),
    },
)
_yamlish = st.lists(
    st.one_of(
        st.sampled_from([*":-[]{}&*!|>'\"%@`#,?~ \n\t", "  ", "- ", ": ", "<<: ", "---\n"]),
        st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=["Cs"]),
    ),
    max_size=150,
).map("".join)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="reel-hostile-") as tmp:
        yield Path(tmp)


def _lines(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return 1 + sum(text.count(b) for b in BREAKS)


def judge(out: Outcome, path: Path, data: bytes) -> None:
    """Exit 0 or 2; on 2, a diagnostic located inside this file; never a crash."""
    assert_no_crash(out)
    assert out.code in (0, 2), out.text
    if out.code == 2:
        located = out.located()
        assert located, f"exit 2 without a FILE:LINE:COL diagnostic:\n{out.text}"
        for where in located:
            file, line, column = where.rsplit(":", 4)[:3]
            assert file == str(path), where
            assert 1 <= int(line) <= _lines(data) + 1, (where, _lines(data))
            assert int(column) >= 1, where


def judge_json(out: Outcome, path: Path) -> None:
    """`reel validate --format json`: a JSON list of located diagnostics, whatever the input."""
    assert_no_crash(out)
    assert out.code in (0, 2), out.text
    found = json.loads(out.stdout)
    assert isinstance(found, list)
    assert all(d["file"] == str(path) and d["line"] >= 1 and d["column"] >= 1 for d in found)
    assert out.code == 0 or any(d["severity"] == "error" for d in found), found


def check_both(folder: Path, data: bytes) -> None:
    path = folder / "hostile.yaml"
    path.write_bytes(data)
    judge(invoke("validate", str(path)), path, data)
    judge_json(invoke("validate", "--format", "json", str(path)), path)
    judge(invoke("plan", str(path)), path, data)


def _dump(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode("utf-8")


@SETTINGS
@given(value=_values)
def test_any_yaml_structure(folder: Path, value: Any) -> None:
    check_both(folder, _dump(value))


@SETTINGS
@given(pipeline=_pipeline)
def test_pipeline_shaped_documents_with_random_values(folder: Path, pipeline: Any) -> None:
    check_both(folder, _dump(pipeline))


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes(folder: Path, data: bytes) -> None:
    check_both(folder, data)


@SETTINGS
@given(text=_yamlish)
def test_random_yaml_like_text(folder: Path, text: str) -> None:
    check_both(folder, text.encode("utf-8"))


@SETTINGS
@given(prefix=st.sampled_from(["", "version: 1\nshots:\n  - prompt: "]), text=_text)
def test_odd_unicode_in_a_pipeline(folder: Path, prefix: str, text: str) -> None:
    check_both(folder, (prefix + text).encode("utf-8", errors="surrogatepass"))


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "[" * n + "]" * n,
        lambda n: "{a: " * n + "1" + "}" * n,
        # Indentation grows with depth: a few thousand levels are already megabytes.
        lambda n: "".join(" " * i + f"k{i}:\n" for i in range(min(n, 3000))) + "v\n",
        lambda n: "version: 1\nshots:\n  - id: a\n    frames: " + "[" * n + "]" * n + "\n",
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "inside-a-shot"],
)
@pytest.mark.parametrize("depth", [65, 1000, 20_000])
def test_deep_nesting(folder: Path, build: Any, depth: int) -> None:
    check_both(folder, build(depth).encode("utf-8"))


def test_alias_bomb_is_refused_not_expanded(folder: Path) -> None:
    lines = ["version: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 10)]
    lines += ["shots: *a9"]
    data = "\n".join(lines).encode("utf-8")
    path = folder / "bomb.yaml"
    path.write_bytes(data)
    out = invoke("validate", str(path))
    judge(out, path, data)
    assert out.code == 2


@pytest.mark.parametrize(
    ("where", "size"),
    [("prompt", 3_000_000), ("id", 1_000_000), ("key", 500_000), ("comment", 3_000_000)],
)
def test_huge_strings(folder: Path, where: str, size: int) -> None:
    big = "x" * size
    text = {
        "prompt": f"version: 1\nshots:\n  - id: a\n    prompt: {big}\n",
        "id": f"version: 1\nshots:\n  - id: {big}\n    prompt: hi\n",
        "key": f"version: 1\nshots:\n  - id: a\n    {big}: 1\n",
        "comment": f"# {big}\nversion: 1\nshots:\n  - id: a\n    prompt: hi\n",
    }[where]
    check_both(folder, text.encode("utf-8"))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbfversion: 1\nshots:\n  - id: a\n    prompt: hi\n",
        b"\xff\xfe" + "version: 1\n".encode("utf-16-le"),
        b"version: 1\nshots:\n  - id: a\n    prompt: caf\xe9\n",
        b"version: 1\x00\nshots: []\n",
        "version: 1\nshots:\n  - id: a\u2028b\n    prompt: x\n".encode(),
        "version: 1\r\nshots:\r\n  - id: a\r\n    prompt: \ud800\r\n".encode(
            "utf-8", errors="surrogatepass"
        ),
        b"%YAML 1.1\n---\nversion: 1\n...\n---\nshots: []\n",
        b"!!python/object/apply:os.system ['echo pwned']\n",
        b"version: !!binary aGVsbG8=\nshots: []\n",
        b"? [a, b]\n: c\nversion: 1\n",
        b"version: 1\nshots:\n\t- id: a\n",
    ],
    ids=[
        "empty",
        "only-bom",
        "bom",
        "utf-16",
        "latin-1-byte",
        "nul",
        "line-separator",
        "lone-surrogate",
        "two-documents",
        "python-tag",
        "binary-tag",
        "complex-key",
        "tab-indent",
    ],
)
def test_odd_files(folder: Path, data: bytes) -> None:
    check_both(folder, data)
