"""Key paths: how a location inside a pipeline is written (`shots[2].frames.last`)."""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


def render(path: KeyPath) -> str:
    """`("shots", 2, "frames", "last")` → `shots[2].frames.last`."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN.match(step):
            out += f".{step}" if out else step
        else:
            out += '["' + step.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out
