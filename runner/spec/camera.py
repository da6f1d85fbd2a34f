"""Director camera moves: `[Truck left, Pan right]` brackets inside a prompt.

T2V-01-Director and I2V-01-Director read up to three of fifteen named moves per bracket; a
misspelt move is silently ignored by MiniMax, so it is caught here with a "did you mean".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_BRACKET = re.compile(r"\[([^\[\]]*)\]")
SPACE = " \t\n\r\f\v"
"""What may surround a move in a bracket: ASCII only, as Python's and ECMA's `\\s` differ."""


@dataclass(frozen=True, slots=True)
class MoveProblem:
    """One problem in a prompt's camera brackets; `offset` is where its bracket starts."""

    offset: int
    message: str


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest choice to a misspelt word (case-insensitive), or None."""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """`; did you mean 'x'?` or an empty string."""
    found = suggest(word, choices)
    return f"; did you mean {found!r}?" if found and found != word else ""


def check_director(prompt: str, moves: tuple[str, ...], most: int) -> list[MoveProblem]:
    """Problems in the camera brackets of a Director model's prompt."""
    problems: list[MoveProblem] = []
    for m in _BRACKET.finditer(prompt):
        items = [item.strip(SPACE) for item in m.group(1).split(",")]
        if not any(items):
            problems.append(
                MoveProblem(
                    m.start(),
                    f"empty camera bracket {m.group(0)!r}; name 1 to {most} moves, e.g. [Pan left]",
                )
            )
            continue
        if len(items) > most:
            problems.append(
                MoveProblem(
                    m.start(),
                    f"{m.group(0)!r} has {len(items)} camera moves; at most {most} act "
                    "together (put the rest in a later bracket)",
                )
            )
        for item in items:
            if item not in moves:
                hint = did_you_mean(item, moves) or "; `reel models` lists the 15 moves"
                problems.append(MoveProblem(m.start(), f"unknown camera move {item!r}{hint}"))
    rest = _BRACKET.sub("", prompt)
    if "[" in rest or "]" in rest:
        at = prompt.find("[") if "[" in rest else prompt.find("]")
        problems.append(
            MoveProblem(
                max(at, 0), "unbalanced [ or ] in the prompt; camera moves go in [brackets]"
            )
        )
    return problems


def stray_moves(prompt: str, moves: tuple[str, ...]) -> list[tuple[int, str]]:
    """(offset, bracket) of brackets that look like camera moves, for a model that ignores
    them."""
    found = []
    for m in _BRACKET.finditer(prompt):
        items = [item.strip() for item in m.group(1).split(",")]
        if any(suggest(item, moves) for item in items if item):
            found.append((m.start(), m.group(0)))
    return found


def director_pattern(moves: tuple[str, ...], most: int) -> str:
    """A regular expression (Python and ECMA alike) matching exactly the prompts
    `check_director` finds nothing wrong with: text, and brackets of 1 to `most` moves."""
    space = "[ \\t\\n\\r\\f\\v]*"
    move = "(?:" + "|".join(re.escape(m).replace("\\ ", " ") for m in moves) + ")"
    item = f"{space}{move}{space}"
    bracket = f"\\[{item}(?:,{item}){{0,{most - 1}}}\\]"
    return f"^[^\\[\\]]*(?:{bracket}[^\\[\\]]*)*$"
