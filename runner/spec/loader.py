"""YAML → JSON-typed values, with a line:column for every value and key.

The text is read with YAML 1.2's core rules (`runner.spec.yaml_core`: an unquoted `16:9` stays
text); duplicate keys, keys that are not text, tags and files that are not UTF-8 text become
`Diagnostic`s, never exceptions. Positions are looked up lazily (`runner.spec.marks.Marks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.spec.diagnostics import Diagnostic
from runner.spec.keypath import KeyPath, render
from runner.spec.marks import Marks
from runner.spec.yaml_core import (
    MAP,
    MERGE,
    SCALAR_PATTERNS,
    SCALARS,
    SEQ,
    STR,
    compose,
    nesting_bound,
    tag_name,
)
from runner.spec.yaml_hints import hint

__all__ = ["KeyPath", "Loaded", "Marks", "load_file", "load_text"]

MAX_DEPTH = 64
"""Deeper than any pipeline needs; also keeps the recursive walk and libyaml's C stack safe."""
MAX_VALUES = 2_000_000
"""Values after expanding aliases: stops `billion laughs` files from eating the memory."""
_GUARD_DEPTH = 1000


@dataclass(frozen=True, slots=True)
class Loaded:
    """A loaded file: its data (None when it could not be read) and where everything is."""

    data: Any
    marks: Marks
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(slots=True)
class _Builder:
    """Turns composed nodes into JSON values, collecting every problem on the way."""

    file: str
    problems: list[Diagnostic] = field(default_factory=list)
    count: int = 0

    def problem(self, node: Node, rule: str, message: str, path: KeyPath) -> None:
        self.problems.append(
            Diagnostic(
                self.file,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                render(path),
                "error",
                rule,
                message,
            )
        )

    def build(self, node: Node, path: KeyPath, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != SEQ:
                self.problem(node, "yaml-tag", f"unsupported YAML tag {tag_name(node)}", path)
            return [self.build(v, (*path, i), depth + 1) for i, v in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != MAP:
                self.problem(node, "yaml-tag", f"unsupported YAML tag {tag_name(node)}", path)
            return self.mapping(node, path, depth)
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                merged.update(self.merge_sources(value_node, path, depth))
                continue
            key = self.key(key_node, path)
            if key in seen:
                self.problem(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {key!r} (first at line {seen[key]}); keep one of them",
                    (*path, key),
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key), depth + 1)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def merge_sources(self, node: Node, path: KeyPath, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            else:
                self.problem(
                    source, "yaml-merge", "`<<` merges only mappings (`<<: *anchor`)", path
                )
        return merged

    def key(self, node: Node, path: KeyPath) -> str:
        if isinstance(node, ScalarNode) and node.tag == STR:
            return str(node.value)
        text = str(node.value) if isinstance(node, ScalarNode) else "?"
        self.problem(
            node,
            "key-type",
            f'key {text!r} is not text; quote it ("{text}")'
            if isinstance(node, ScalarNode)
            else "a key must be text, not a list or mapping",
            path,
        )
        return text

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        text: str = node.value
        convert = SCALARS.get(node.tag)
        pattern = SCALAR_PATTERNS.get(node.tag)
        if convert is None or (pattern is not None and not pattern.match(text)):
            message = f"unsupported YAML tag {tag_name(node)} on {text[:40]!r}; write a plain value"
            self.problem(node, "yaml-tag", message, path)
            return text
        try:
            return convert(text)
        except ValueError:
            self.problem(node, "yaml-number", f"{text[:40]!r} is too large a number", path)
            return text


class _TooDeep(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooBig(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _diag(file: str, line: int, column: int, rule: str, message: str) -> Diagnostic:
    return Diagnostic(file, line, column, "", "error", rule, message)


def _parse(text: str, file: str) -> Node | Diagnostic | None:
    """Compose the node tree, or say why the text is not YAML."""
    if "\x00" in text:
        return _diag(file, 1, 1, "file", "this is a binary file, not YAML")
    if nesting_bound(text, _GUARD_DEPTH):
        msg = f"the file nests more than {_GUARD_DEPTH} levels deep; a pipeline needs only a few"
        return _diag(file, 1, 1, "yaml-depth", msg)
    try:
        return compose(text)
    except (yaml.YAMLError, RecursionError) as exc:
        return _not_yaml(exc, text, file)


def _not_yaml(exc: Exception, text: str, file: str) -> Diagnostic:
    if isinstance(exc, yaml.MarkedYAMLError):
        told = hint(exc, text)
        if told is not None:
            return _diag(file, told.line, told.column, "yaml-syntax", told.message)
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return _diag(file, line, col, "yaml-syntax", f"YAML: {problem}")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        msg = f"character U+{code:04X} is not allowed in YAML; remove it"
        return _diag(file, line, column, "yaml-syntax", msg)
    if isinstance(exc, RecursionError):  # only PyYAML's pure-Python parser recurses in Python
        msg = "the file nests too deeply; a pipeline needs only a few levels"
        return _diag(file, 1, 1, "yaml-depth", msg)
    return _diag(file, 1, 1, "yaml-syntax", f"YAML: {exc}")


def load_text(text: str, file: str) -> Loaded:
    """Parse YAML text into JSON values and locations; problems become diagnostics."""
    root = _parse(text, file)
    if isinstance(root, Diagnostic):
        return Loaded(None, Marks(None), (root,))
    marks = Marks(root)
    if root is None:
        msg = "the file is empty; a pipeline needs at least `version: 1` and `shots:`"
        return Loaded(None, marks, (_diag(file, 1, 1, "empty", msg),))
    builder = _Builder(file)
    try:
        data = builder.build(root, ())
    except _TooDeep as exc:
        line, col = exc.node.start_mark.line + 1, exc.node.start_mark.column + 1
        msg = f"nested more than {MAX_DEPTH} levels deep; a pipeline needs only a few"
        return Loaded(None, marks, (_diag(file, line, col, "yaml-depth", msg),))
    except _TooBig:
        msg = f"the file expands to more than {MAX_VALUES:,} values (too many aliases?)"
        return Loaded(None, marks, (_diag(file, 1, 1, "yaml-size", msg),))
    return Loaded(data, marks, tuple(builder.problems))


def _decode(raw: bytes, file: str) -> tuple[str | None, Diagnostic | None]:
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, _diag(file, 1, 1, "file", "this is a binary file, not YAML")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        msg = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return None, _diag(file, line, column, "encoding", msg)


def load_file(path: Path, file: str | None = None) -> Loaded:
    """Read and parse a pipeline file; an unreadable file is a diagnostic, not an exception."""
    name = file if file is not None else str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Loaded(None, Marks(None), (_diag(name, 1, 1, "file", "no such file"),))
    except IsADirectoryError:
        msg = "this is a folder, not a pipeline file"
        return Loaded(None, Marks(None), (_diag(name, 1, 1, "file", msg),))
    except OSError as exc:
        msg = f"cannot read the file: {exc.strerror or exc}"
        return Loaded(None, Marks(None), (_diag(name, 1, 1, "file", msg),))
    text, problem = _decode(raw, name)
    if text is None:
        assert problem is not None
        return Loaded(None, Marks(None), (problem,))
    return load_text(text, name)
