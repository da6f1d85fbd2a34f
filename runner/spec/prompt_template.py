"""Prompt templates: `{name}` is replaced by a var, a cast member's description or the look.

`{{` and `}}` are literal braces; any other brace is an error, so a typo never reaches the API.
Values are inserted as written (a var holding `{x}` is not expanded again). The result keeps
where each piece came from, so the review page can mark it and a problem found in the resolved
prompt can be located in the text the user typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from runner.spec.pipeline import PromptPart

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"
LOOK = "look"
"""The placeholder for the shot's look (where the prompt wants it, instead of at the end)."""
_TOKEN = re.compile(r"\{\{|\}\}|\{(" + NAME_PATTERN + r")\}|[{}]")
_END_PUNCTUATION = ".,;:!?"


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """A placeholder that cannot be filled, at `offset` in the template."""

    offset: int
    message: str


@dataclass(frozen=True, slots=True)
class Resolved:
    """A resolved prompt: its pieces, and for each the offset in the template it came from."""

    parts: tuple[PromptPart, ...]
    origins: tuple[int, ...]
    problems: tuple[TemplateProblem, ...] = ()

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)

    def template_offset(self, offset: int) -> int:
        """Where character `offset` of the resolved text came from in the template: itself in
        the shot's own words, else the start of its placeholder."""
        start = 0
        for part, origin in zip(self.parts, self.origins, strict=True):
            if offset < start + len(part.text):
                return origin + (offset - start if part.source is None else 0)
            start += len(part.text)
        return self.origins[-1] if self.origins else 0


def resolve(
    template: str,
    values: Mapping[str, tuple[str, str]],
    look: tuple[str, str] | None,
) -> Resolved:
    """Fill `template`. `values` maps a name to (text, source); `look` is (name, text) or None.

    The look goes where `{look}` is, else after the prompt (", " between them unless the prompt
    ends in punctuation). Unknown names and stray braces become problems.
    """
    parts: list[PromptPart] = []
    origins: list[int] = []
    problems: list[TemplateProblem] = []
    placed_look = False
    known = sorted([*values, LOOK])

    def add(text: str, source: str | None, origin: int) -> None:
        if not text:
            return
        parts.append(PromptPart(text, source))
        origins.append(origin)

    pos = 0
    for m in _TOKEN.finditer(template):
        add(template[pos : m.start()], None, pos)
        pos = m.end()
        token = m.group(0)
        name = m.group(1)
        if token in ("{{", "}}"):
            add(token[0], None, m.start())
        elif name == LOOK:
            placed_look = True
            if look is not None:
                add(look[1], f"look:{look[0]}", m.start())
        elif name is not None and name in values:
            text, source = values[name]
            add(text, source, m.start())
        elif name is not None:
            problems.append(
                TemplateProblem(
                    m.start(),
                    f"unknown name {{{name}}} in the prompt{_did_you_mean(name, known)}; "
                    f"define it under `vars:` or `cast:` (known: {', '.join(known)}), or write "
                    "{{ and }} for literal braces",
                )
            )
        else:
            problems.append(
                TemplateProblem(
                    m.start(),
                    f"a lone {token!r} in the prompt; write {token * 2} for a literal brace, "
                    "or {name} for a var, a cast member or the look",
                )
            )
    add(template[pos:], None, pos)
    if look is not None and not placed_look:
        own = "".join(p.text for p in parts).rstrip()
        gap = "" if not own else (" " if own[-1] in _END_PUNCTUATION else ", ")
        _trim_end(parts, origins)
        add(gap, None, len(template))
        add(look[1], f"look:{look[0]}", len(template))
    return Resolved(tuple(parts), tuple(origins), tuple(problems))


def _trim_end(parts: list[PromptPart], origins: list[int]) -> None:
    """Drop trailing spaces of the shot's own words before the look is appended."""
    while parts and parts[-1].source is None and not parts[-1].text.strip():
        parts.pop()
        origins.pop()
    if parts and parts[-1].source is None:
        parts[-1] = PromptPart(parts[-1].text.rstrip())


def _did_you_mean(name: str, known: list[str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {{{close[0]}}}?)" if close else ""
