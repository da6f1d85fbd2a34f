"""YAML syntax errors said the way a pipeline's author can act on them.

PyYAML reports where its parser gave up, in its own words ("did not find expected key", "found
unexpected end of stream"): often far from the mistake. The mistakes people make in a shot list
are few: a tab in the indentation, a quote never closed, a prompt that starts with `[` (natural
for the Director models' camera moves) or `{`, a prompt that contains `: `. For those, `hint`
points at where the problem starts and says what to do; anything else keeps PyYAML's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""Line breaks as PyYAML counts them, so that its marks index these lines."""
_KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?)([^\s:#][^:#]*?):\s+(\S.*)$")


@dataclass(frozen=True, slots=True)
class Hint:
    line: int
    """1-based."""
    column: int
    """1-based."""
    message: str


def hint(exc: yaml.MarkedYAMLError, text: str) -> Hint | None:
    """What the author should do about `exc`, at the place the problem starts; or None."""
    lines = _LINE_BREAK.split(text)
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark
    tab = _tab_in_indentation(lines, mark.line if mark else len(lines) - 1)
    if tab is not None and ("tab" in problem or "cannot start any token" in problem):
        return tab
    if "quoted scalar" in context and "end of stream" in problem and exc.context_mark:
        start = exc.context_mark
        line = lines[start.line] if start.line < len(lines) else ""
        quote = line[start.column : start.column + 1] or '"'
        return Hint(
            start.line + 1,
            start.column + 1,
            f"the quote ({quote}) opened on line {start.line + 1} is never closed; "
            f"end the text with {quote}",
        )
    if mark is None:
        return None
    return _flow_start(lines, mark.line) or _colon_in_value(problem, lines, mark.line)


def _tab_in_indentation(lines: list[str], upto: int) -> Hint | None:
    """The first tab in a line's indentation, at or before line `upto` (0-based)."""
    for n, line in enumerate(lines[: upto + 1]):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return Hint(
                n + 1, indent.index("\t") + 1, "YAML does not allow tabs; indent with spaces"
            )
    return None


def _flow_start(lines: list[str], at: int) -> Hint | None:
    """`prompt: [Pan left] the cafe`: a value that starts with [ or { and goes on after it."""
    for n in (at, at - 1):
        if not 0 <= n < len(lines):
            continue
        found = _KEY_VALUE.match(lines[n])
        if found is None:
            continue
        value = found.group(3)
        closer = {"[": "]", "{": "}"}.get(value[0])
        # `[Pan left] the cafe`: closed, then more text; an unclosed `[` is another mistake.
        if closer is None or closer not in value or value.rstrip().endswith(closer):
            continue
        key = found.group(2).strip()
        return Hint(
            n + 1,
            found.start(3) + 1,
            f"a {key} starting with {value[0]} must be quoted, or YAML reads it as a list: "
            f'{key}: "{_escaped(value.rstrip())}"',
        )
    return None


def _colon_in_value(problem: str, lines: list[str], at: int) -> Hint | None:
    """`prompt: A cafe: morning`: a second `: ` on the line."""
    if "mapping values are not allowed" not in problem or not 0 <= at < len(lines):
        return None
    found = _KEY_VALUE.match(lines[at])
    if found is None:
        return None
    key, value = found.group(2).strip(), found.group(3).rstrip()
    return Hint(
        at + 1,
        found.start(3) + 1,
        f"quote a {key} that contains ': ' (YAML reads it as a new key): "
        f'{key}: "{_escaped(value)}"',
    )


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
