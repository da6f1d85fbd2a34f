"""Where each value and key of a loaded file is: lazy look-ups in the composed node tree.

No index is built: a diagnostic walks from the root along its key path, so a 10,000-shot file
costs nothing extra until something is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.spec.keypath import KeyPath
from runner.spec.yaml_core import MERGE


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
        """Whether the file holds a value at exactly this path."""
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
            if k.tag == MERGE:
                merged.extend(v.value if isinstance(v, SequenceNode) else [v])
            elif isinstance(k, ScalarNode) and k.value == str(step):
                return (k, v)
        for source in merged:
            found = _child(source, step)
            if found is not None:
                return found
    return None
