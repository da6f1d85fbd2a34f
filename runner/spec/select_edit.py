"""Writes a shot's `select:` into its pipeline file, changing nothing else.

A located text edit, not a dump of the parsed YAML: the node tree's marks say where the shot's
`select:` value is (replaced in place) or where the shot's keys are (a `select:` line is added
under its `takes:` or `id:` line, at that key's indentation; `, select: N` inside a flow
mapping). Comments, key order, quoting, blank lines, line endings and a byte-order mark stay
exactly as they were.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.spec.yaml_core import compose

BOM = "\ufeff"


class NotEditable(ValueError):
    """The shot is not a mapping written in this file (an alias, say): edit it by hand."""


def _value(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _shot_node(root: Node | None, index: int) -> MappingNode:
    found = _value(root, "shots")
    shots = found[1] if found else None
    if not isinstance(shots, SequenceNode) or not 0 <= index < len(shots.value):
        raise NotEditable(f"shots[{index}] is not in the file")
    shot = shots.value[index]
    if not isinstance(shot, MappingNode):
        raise NotEditable(f"shots[{index}] is not a mapping")
    return shot


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def set_select(text: str, index: int, take: int) -> str:
    """`text` with shots[index].select set to `take`; every other character unchanged."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    shot = _shot_node(compose(body, pure_python=True), index)
    value = str(take)
    existing = _value(shot, "select")
    if existing is not None:
        node = existing[1]
        start, end = node.start_mark.index, node.end_mark.index
        if node.start_mark.line != node.end_mark.line:
            raise NotEditable(f"shots[{index}].select spans several lines")
        return bom + body[:start] + value + body[end:]
    if shot.flow_style:
        end = shot.value[-1][1].end_mark.index
        return bom + body[:end] + f", select: {value}" + body[end:]
    key, after = _value(shot, "takes") or _value(shot, "id") or shot.value[0]
    indent = " " * key.start_mark.column
    line = f"{indent}select: {value}"
    newline = _newline(body)
    pos = after.end_mark.index
    if pos > 0 and body[pos - 1] == "\n":  # a block value ends at the next line's start
        return bom + body[:pos] + line + newline + body[pos:]
    eol = body.find("\n", pos)
    if eol < 0:
        return bom + body + newline + line
    return bom + body[: eol + 1] + line + newline + body[eol + 1 :]
