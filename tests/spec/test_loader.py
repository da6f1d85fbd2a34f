"""The YAML loader: YAML 1.2 core values, positions of every value and key, problems as
diagnostics (never exceptions)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runner.spec.loader import load_file, load_text


def test_yaml_1_1_surprises_stay_text() -> None:
    loaded = load_text(
        "a: 16:9\nb: 2024-05-01\nc: yes\nd: on\ne: 02\nf: 1_000\ng: 12:30:00\n", "t.yaml"
    )
    assert loaded.data == {
        "a": "16:9",
        "b": "2024-05-01",
        "c": "yes",
        "d": "on",
        "e": "02",
        "f": "1_000",
        "g": "12:30:00",
    }
    assert loaded.diagnostics == ()


def test_json_values() -> None:
    loaded = load_text("[1, -2, 1.5, .5, 1e3, 0x1F, 0o17, true, False, null, ~, '', \"3\"]", "t")
    assert loaded.data == [1, -2, 1.5, 0.5, 1000.0, 31, 15, True, False, None, None, "", "3"]


def test_positions_of_values_and_keys() -> None:
    loaded = load_text("version: 1\nshots:\n  - id: a\n    frames: {first: x.png}\n", "t")
    assert loaded.marks.locate(("shots", 0, "frames", "first")) == (4, 21)
    assert loaded.marks.locate(("shots", 0, "frames", "first"), key=True) == (4, 14)
    assert loaded.marks.locate(("shots", 0, "id"), key=True) == (3, 5)
    # A path that does not exist points at its nearest parent.
    assert loaded.marks.locate(("shots", 0, "frames", "last")) == (4, 13)
    assert loaded.marks.locate(("shots", 7)) == (3, 3)


def test_anchors_aliases_and_merge_keys() -> None:
    loaded = load_text("a: &base {m: 1, n: 2}\nb: *base\nc: {<<: *base, n: 3}\n", "t")
    assert loaded.data == {"a": {"m": 1, "n": 2}, "b": {"m": 1, "n": 2}, "c": {"m": 1, "n": 3}}
    assert loaded.marks.locate(("c", "m")) == (1, 14)


@pytest.mark.parametrize(
    ("text", "where", "rule", "message"),
    [
        ("a: 1\na: 2\n", (2, 1), "duplicate-key", "duplicate key 'a' (first at line 1)"),
        ("1: x\n", (1, 1), "key-type", "key '1' is not text; quote it (\"1\")"),
        ("? [a]\n: x\n", (1, 3), "key-type", "a key must be text"),
        ("a: !!binary aGk=\n", (1, 4), "yaml-tag", "unsupported YAML tag !!binary"),
        ("a: !custom x\n", (1, 4), "yaml-tag", "unsupported YAML tag !custom"),
        ("a: [\n", (2, 1), "yaml-syntax", "YAML: "),
        (
            'a: 1\nb: "never\nc: 2\n',
            (2, 4),
            "yaml-syntax",
            'the quote (") opened on line 2 is never closed; end the text with "',
        ),
        ("a:\n\t- b\n", (2, 1), "yaml-syntax", "YAML does not allow tabs; indent with spaces"),
        ("a: b\n---\nc: d\n", (2, 1), "yaml-syntax", "expected a single document"),
        ("a: *nowhere\n", (1, 4), "yaml-syntax", "undefined alias"),
        ("a: \x07\n", (1, 4), "yaml-syntax", "character U+0007 is not allowed"),
        ("", (1, 1), "empty", "the file is empty"),
        ("# only a comment\n", (1, 1), "empty", "the file is empty"),
        ("[" * 5000 + "]" * 5000, (1, 1), "yaml-depth", "nests more than 1000 levels"),
        ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 80)), (66, 66), "yaml-depth", ""),
    ],
)
def test_problems_are_located_diagnostics(
    text: str, where: tuple[int, int], rule: str, message: str
) -> None:
    loaded = load_text(text, "t.yaml")
    found = [d for d in loaded.diagnostics if d.rule == rule]
    assert found, loaded.diagnostics
    assert (found[0].line, found[0].column) == where
    assert message in found[0].message
    assert found[0].severity == "error"


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    loaded = load_text("\n".join(lines), "bomb.yaml")
    assert loaded.data is None
    assert [d.rule for d in loaded.diagnostics] == ["yaml-size"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a binary file, not YAML"),
        (b"version: 1\nname: caf\xe9\n", "not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    ],
)
def test_unreadable_content(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    loaded = load_file(path, "p.yaml")
    assert loaded.data is None
    assert [d.message for d in loaded.diagnostics] == [message]


def test_non_utf8_position(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"version: 1\nname: caf\xe9\n")
    (d,) = load_file(path, "p.yaml").diagnostics
    assert (d.line, d.column) == (2, 10)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes("\ufeffname: café\n".encode())
    assert load_file(path).data == {"name": "café"}


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert [d.message for d in load_file(tmp_path / "nope.yaml").diagnostics] == ["no such file"]
    assert [d.message for d in load_file(tmp_path).diagnostics] == [
        "this is a folder, not a pipeline file"
    ]


def _shape(node: object) -> object:
    """A node tree as plain values with tags and positions, to compare two parsers."""
    from yaml.nodes import MappingNode, Node, SequenceNode

    assert isinstance(node, Node)
    where = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, MappingNode):
        return (where, [(_shape(k), _shape(v)) for k, v in node.value])
    if isinstance(node, SequenceNode):
        return (where, [_shape(v) for v in node.value])
    return (where, node.value)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((Path(__file__).parents[1] / "cases").glob("*/*.yaml")),
        Path(__file__).parents[2] / "pipelines" / "demo.yaml",
    ],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_pure_python_parser_agrees_with_libyaml(path: Path) -> None:
    """Without libyaml Reel falls back to PyYAML's own parser: same tags, values, positions."""
    from runner.spec.yaml_core import compose

    text = path.read_text(encoding="utf-8")
    try:
        fast = _shape(compose(text)) if compose(text) is not None else None
    except yaml.YAMLError as exc:
        with pytest.raises(yaml.YAMLError) as slow:
            compose(text, pure_python=True)
        assert type(slow.value).__name__ == type(exc).__name__
        return
    root = compose(text, pure_python=True)
    assert (_shape(root) if root is not None else None) == fast


def test_pure_python_recursion_is_a_diagnostic() -> None:
    from runner.spec.loader import _not_yaml
    from runner.spec.yaml_core import compose

    with pytest.raises(RecursionError):
        compose("[" * 900 + "]" * 900, pure_python=True)
    d = _not_yaml(RecursionError(), "", "p.yaml")
    assert d.render() == (
        "p.yaml:1:1: error: the file nests too deeply; a pipeline needs only a few levels"
    )
