"""YAML → JSON-typed values, with a line:column for every value and key.

PyYAML speaks YAML 1.1, where an unquoted `16:9` is the integer 969 (base 60), `2024-05-01`
is a date and `yes`/`on` are booleans. A pipeline is read with YAML 1.2's core rules instead:
only `true`/`false` are booleans, only plain decimal/hex/octal numbers are numbers, and
everything else stays the text the user typed (`02`, with its leading zero, is text too).
Duplicate keys, keys that are not text, tags and files that are not UTF-8 text become
`Diagnostic`s, never exceptions.

Locations are looked up lazily in the composed node tree (`Marks.locate`), so a 10,000-shot
file costs no extra index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.diagnostics import Diagnostic

KeyPath = tuple[str | int, ...]

MAX_DEPTH = 64
"""Deeper than any pipeline needs; also keeps the recursive walk and libyaml's C stack safe."""
MAX_VALUES = 2_000_000
"""Values after expanding aliases: stops `billion laughs` files from eating the memory."""
_GUARD_DEPTH = 1000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

_INT_RE = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$")
"""YAML 1.2 integers, except that a leading zero keeps text text: `model: 02` is "02"."""
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
    r"|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))$"
)


_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NUMBER_START = frozenset("-+0123456789.")


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: no sexagesimal numbers, no timestamps, no yes/no/on/off.

    One direct function instead of PyYAML's table of regular expressions: it runs once per
    scalar, 100,000 times for a 10,000-shot file.
    """

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool] | None) -> str:
        if kind is not ScalarNode:
            return _SEQ if kind is SequenceNode else _MAP
        if implicit is None or not implicit[0]:
            return _STR  # quoted, or tagged with the non-specific `!`
        return _plain_tag(value)


def _plain_tag(value: str) -> str:
    if value in _NULLS:
        return _NULL
    if value in _BOOLS:
        return _BOOL
    if value[0] in _NUMBER_START:
        if _INT_RE.match(value):
            return _INT
        if _FLOAT_RE.match(value):
            return _FLOAT
    return _MERGE if value == "<<" else _STR


if yaml.__with_libyaml__:  # pragma: no branch - libyaml ships in PyYAML's wheels
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _Loader(CParser, _Resolver):
        """libyaml's parser with the YAML 1.2 resolver; values are built by `_Builder`."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # pragma: no cover

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _Resolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


@dataclass(frozen=True, slots=True)
class Marks:
    """Where each value and key of a loaded file is (1-based line and column)."""

    root: Node | None

    def locate(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """The position of the value at `path` (or of its key), else of its nearest parent."""
        node = self.root
        if node is None:
            return (1, 1)
        where = node.start_mark
        for i, step in enumerate(path):
            found = _child(node, step)
            if found is None:
                break
            key_node, node = found
            last = i == len(path) - 1
            where = (
                key_node.start_mark if (key and last and key_node is not None) else node.start_mark
            )
        return (where.line + 1, where.column + 1)

    def locate_in_text(self, path: KeyPath, offset: int) -> tuple[int, int]:
        """The position of character `offset` of the text at `path`, when the text sits on one
        line exactly as typed (plain, or quoted without escapes); else the text's start."""
        line, column = self.locate(path)
        node = self._node(path)
        if not isinstance(node, ScalarNode) or node.start_mark.line != node.end_mark.line:
            return (line, column)
        quoted = node.style in ("'", '"')
        width = node.end_mark.column - node.start_mark.column
        if node.style not in (None, "", "'", '"') or width != len(node.value) + 2 * quoted:
            return (line, column)
        return (line, column + quoted + offset)

    def _node(self, path: KeyPath) -> Node | None:
        node = self.root
        for step in path:
            found = _child(node, step) if node is not None else None
            if found is None:
                return None
            node = found[1]
        return node

    def has(self, path: KeyPath) -> bool:
        node = self.root
        for step in path:
            if node is None:
                return False
            found = _child(node, step)
            if found is None:
                return False
            node = found[1]
        return True


def _child(node: Node, step: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, SequenceNode) and isinstance(step, int):
        return (None, node.value[step]) if 0 <= step < len(node.value) else None
    if isinstance(node, MappingNode):
        merged: list[Node] = []
        for k, v in node.value:
            if k.tag == _MERGE:
                merged.extend(v.value if isinstance(v, SequenceNode) else [v])
            elif isinstance(k, ScalarNode) and k.value == str(step):
                return (k, v)
        for source in merged:
            found = _child(source, step)
            if found is not None:
                return found
    return None


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
        from runner.keypath import render

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
            if node.tag != _SEQ:
                self.problem(node, "yaml-tag", f"unsupported YAML tag {_tag(node)}", path)
            return [self.build(v, (*path, i), depth + 1) for i, v in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self.problem(node, "yaml-tag", f"unsupported YAML tag {_tag(node)}", path)
            return self.mapping(node, path, depth)
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
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
        if isinstance(node, ScalarNode) and node.tag == _STR:
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
        convert = _SCALARS.get(node.tag)
        pattern = _SCALAR_PATTERNS.get(node.tag)
        if convert is None or (pattern is not None and not pattern.match(text)):
            message = f"unsupported YAML tag {_tag(node)} on {text[:40]!r}; write a plain value"
            self.problem(node, "yaml-tag", message, path)
            return text
        try:
            return convert(text)
        except ValueError:
            self.problem(node, "yaml-number", f"{text[:40]!r} is too large a number", path)
            return text


def _tag(node: Node) -> str:
    return str(node.tag).replace("tag:yaml.org,2002:", "!!")


def _to_float(text: str) -> float:
    return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))


def _to_int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_SCALARS: dict[str, Callable[[str], Any]] = {
    _STR: str,
    _MERGE: str,  # `<<` anywhere but as a key is just text
    _NULL: lambda _: None,
    _BOOL: lambda text: text.lower() == "true",
    _INT: _to_int,
    _FLOAT: _to_float,
}
_SCALAR_PATTERNS = {
    _NULL: re.compile(r"^(?:~|null|Null|NULL|)$"),
    _BOOL: re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    _INT: _INT_RE,
    _FLOAT: _FLOAT_RE,
}


class _TooDeep(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooBig(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _diag(file: str, line: int, column: int, rule: str, message: str) -> Diagnostic:
    return Diagnostic(file, line, column, "", "error", rule, message)


def _nesting_guard(text: str) -> int:
    """A cheap upper bound of the nesting depth; libyaml's recursive C code must not see more."""
    depth = deepest = 0
    for ch in re.sub(r"[^\[\]{}]", "", text):
        depth = depth + 1 if ch in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    indents = (len(m.group()) for m in re.finditer(r"^[ \t?:-]*", text, re.MULTILINE))
    return max(deepest, max(indents, default=0))


def _parse(text: str, file: str) -> Node | Diagnostic | None:
    """Compose the node tree, or say why the text is not YAML."""
    if "\x00" in text:
        return _diag(file, 1, 1, "file", "this is a binary file, not YAML")
    if _nesting_guard(text) > _GUARD_DEPTH:
        msg = f"the file nests more than {_GUARD_DEPTH} levels deep; a pipeline needs only a few"
        return _diag(file, 1, 1, "yaml-depth", msg)
    try:
        loader = _Loader(text)
        try:
            root: Node | None = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return _diag(file, line, col, "yaml-syntax", f"YAML: {problem}")
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        msg = f"character U+{code:04X} is not allowed in YAML; remove it"
        return _diag(file, line, column, "yaml-syntax", msg)
    except yaml.YAMLError as exc:
        return _diag(file, 1, 1, "yaml-syntax", f"YAML: {exc}")
    return root


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
