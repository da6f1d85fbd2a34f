"""PyYAML set to YAML 1.2's core schema: which plain scalars are numbers, booleans or null.

PyYAML speaks YAML 1.1, where an unquoted `16:9` is the integer 969 (base 60), `2024-05-01`
is a date and `yes`/`on` are booleans. Here only `true`/`false` are booleans and only plain
decimal, hex and octal numbers are numbers; everything else stays the text the user typed
(`02`, with its leading zero, is text too, so that `model: 02` means the model "02").
libyaml's C parser does the parsing when it is available (it always is in PyYAML's wheels).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
MERGE = "tag:yaml.org,2002:merge"

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
            return SEQ if kind is SequenceNode else MAP
        if implicit is None or not implicit[0]:
            return STR  # quoted, or tagged with the non-specific `!`
        return _plain_tag(value)


def _plain_tag(value: str) -> str:
    if value in _NULLS:
        return NULL
    if value in _BOOLS:
        return BOOL
    if value[0] in _NUMBER_START:
        if _INT_RE.match(value):
            return INT
        if _FLOAT_RE.match(value):
            return FLOAT
    return MERGE if value == "<<" else STR


class _PyLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    """PyYAML's pure-Python parser with the YAML 1.2 resolver (when libyaml is missing)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


_Loader: type[Any] = _PyLoader
if yaml.__with_libyaml__:  # pragma: no branch - libyaml ships in PyYAML's wheels
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoader(CParser, _Resolver):
        """libyaml's parser with the YAML 1.2 resolver: the same nodes, several times faster."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Resolver.__init__(self)

    _Loader = _CLoader


def tag_name(node: Node) -> str:
    """`!!binary` for PyYAML's `tag:yaml.org,2002:binary`."""
    return str(node.tag).replace("tag:yaml.org,2002:", "!!")


def _to_float(text: str) -> float:
    return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))


def _to_int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


SCALARS: dict[str, Callable[[str], Any]] = {
    STR: str,
    MERGE: str,  # `<<` anywhere but as a key is just text
    NULL: lambda _: None,
    BOOL: lambda text: text.lower() == "true",
    INT: _to_int,
    FLOAT: _to_float,
}
SCALAR_PATTERNS = {
    NULL: re.compile(r"^(?:~|null|Null|NULL|)$"),
    BOOL: re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    INT: _INT_RE,
    FLOAT: _FLOAT_RE,
}


def nesting_bound(text: str, limit: int) -> bool:
    """True when the text may nest deeper than `limit`; libyaml's recursive C code must not
    see such a file (100,000 levels crash the interpreter). A cheap over-estimate."""
    if re.search(rf"^[ \t?:-]{{{limit}}}", text, re.MULTILINE):
        return True  # block nesting needs that much indentation (or `- - -` on one line)
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for ch in re.sub(r"[^\[\]{}]", "", text):
        depth = depth + 1 if ch in "[{" else max(depth - 1, 0)
        if depth > limit:
            return True
    return False


def compose(text: str, *, pure_python: bool = False) -> Node | None:
    """The node tree of a single-document text (None when empty); raises yaml.YAMLError
    (RecursionError too, from the pure-Python parser on very deep nesting)."""
    loader = (_PyLoader if pure_python else _Loader)(text)
    try:
        root: Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return root
