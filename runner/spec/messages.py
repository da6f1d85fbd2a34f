"""Turns a JSON Schema error into a message that says what is wrong and what to do.

The schema is generated from the catalogue, so every message here is built from the catalogue
too ("T2V-2.3 takes no end frame; use 02 at 768p/1080p or Veo-3.1"): nothing about a model is
written twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.spec.camera import did_you_mean
from runner.spec.catalogue import Model, Option
from runner.spec.keypath import KeyPath, render
from runner.spec.model_messages import Ctx, forbidden, required

_RULES = {
    "model": "model",
    "options": "options",
    "aspectRatio": "aspect-ratio",
    "frames": "frames",
    "first": "frames",
    "last": "frames",
    "references": "frames",
    "prompt": "prompt",
    "id": "id",
    "takes": "takes",
    "account": "account",
    "accounts": "account",
    "maxJobs": "account",
    "replyUrl": "reply",
    "replyRef": "reply",
    "version": "version",
    "shots": "shots",
    "name": "name",
    "output": "output",
    "defaults": "defaults",
    "promptOptimization": "prompt-optimization",
    "vars": "vars",
    "looks": "looks",
    "look": "look",
    "cast": "cast",
    "matrix": "matrix",
    "select": "select",
    "cut": "cut",
}
_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "empty",
}


_SHOT_FIELD = "; shot fields go in a shot, or under `defaults:` for every shot"
_MISPLACED = {
    "first": "; images go under `frames:` (frames.first)",
    "last": "; images go under `frames:` (frames.last)",
    "references": "; images go under `frames:` (frames.references)",
    "maxJobs": '; maxJobs belongs to an account: accounts: {"123456": {maxJobs: 3}}',
    "model": _SHOT_FIELD,
    "options": _SHOT_FIELD,
    "prompt": _SHOT_FIELD,
    "aspectRatio": _SHOT_FIELD,
    "frames": _SHOT_FIELD,
    "takes": _SHOT_FIELD,
    "id": "; ids belong to shots (`- id: ...` under `shots:`)",
    "select": "; select belongs to a shot: the take of that shot that goes into the cut",
}
"""Known keys written at the wrong level: say where they belong instead of "did you mean"."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A translated schema error, relative to the validated value."""

    path: KeyPath
    at_key: bool
    rule: str
    message: str


def rule_for(path: KeyPath) -> str:
    """The diagnostic rule id for a problem at `path` (named after its nearest known key)."""
    for step in reversed(path):
        if isinstance(step, str) and step in _RULES:
            return _RULES[step]
    return "schema"


def describe(value: Any) -> str:
    """A value as a message shows it: `the number 5`, `the text 'x'`, `a list`."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def translate(
    error: Any,
    model: Model | None,
    option: str | None,
    *,
    in_shot: bool = False,
    base: KeyPath = (),
) -> list[Problem]:
    """One jsonschema ValidationError → problems located by key path (relative to the shot
    when `in_shot`)."""
    path: KeyPath = tuple(error.absolute_path)
    kind = error.validator
    value = error.instance
    if kind == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        out = []
        for key in value:
            if key in known:
                continue
            if key == "id" and path[-1:] == ("defaults",):
                msg = "defaults cannot set id; every shot has its own"
            else:
                where = f" in {render((*base, *path))}" if (*base, *path) else ""
                hint = _MISPLACED.get(key) if key not in known and key in _MISPLACED else None
                msg = f"unknown key {key!r}{where}{hint or did_you_mean(key, known)}"
            out.append(Problem((*path, key), True, "unknown-key", msg))
        return out
    if kind in ("required", "dependentRequired"):
        if kind == "dependentRequired":
            return [
                Problem(
                    (*path, "first"),
                    False,
                    "frames",
                    "an end frame needs a first frame; add frames.first",
                )
            ]
        missing = [k for k in error.validator_value if k not in value]
        return [
            Problem(
                (*path, k), False, rule_for((*path, k)), required(path, k, model, option, in_shot)
            )
            for k in missing
        ]
    if "propertyNames" in error.schema_path and path[:1] in (("vars",), ("looks",), ("cast",)):
        section = str(path[0])
        what = (
            "1 to 32 letters, digits, '_' or '-', starting with a letter or digit, and not `none`"
            if section == "looks"
            else "1 to 64 letters, digits, '_' or '-', starting with a letter or '_'"
        )
        return [
            Problem(
                (*path, str(value)),
                True,
                section,
                f"{str(value)[:40]!r} cannot name an entry of {section}: use {what}",
            )
        ]
    if "propertyNames" in error.schema_path:  # reported as the inner `pattern` error
        return [
            Problem(
                (*path, str(value)),
                True,
                "account",
                f'account id {value!r} is not digits; MiniMax account ids look like "123456"',
            )
        ]
    return [Problem(path, False, rule_for(path), _value_message(error, path, model, option))]


def _type(c: Ctx) -> str:
    expected = [c.expected] if isinstance(c.expected, str) else c.expected
    want = " or ".join(_TYPES.get(t, t) for t in expected)
    hint = ""
    if want == "text" and isinstance(c.value, int | float) and not isinstance(c.value, bool):
        hint = f'; quote it: "{c.value}"'
    if c.key == "shots" and tuple(c.error.absolute_path) == ("shots",):
        hint = "; write each shot as `- id: ...`"
    if want == "true or false" and str(c.value).lower() in ("yes", "no", "on", "off", "y", "n"):
        hint = "; Reel reads YAML 1.2, where only true and false are booleans"
    return f"must be {want}, not {describe(c.value)}{hint}"


def _bounds(c: Ctx) -> str:
    lo, hi = c.error.schema.get("minimum"), c.error.schema.get("maximum")
    return f"must be from {lo} to {hi}, not {c.value}"


def _max_length(c: Ctx) -> str:
    return (
        f"{c.key or 'value'} is {len(c.value):,} characters; the API takes at most {c.expected:,}"
    )


def _min_items(c: Ctx) -> str:
    return "add at least one shot" if c.key == "shots" else "list at least one image, or remove it"


def _max_items(c: Ctx) -> str:
    name = c.model.name if c.model else "a subject model"
    images = "1 reference image" if c.expected == 1 else f"{c.expected} reference images"
    return f"{name} takes at most {images}, not {len(c.value)}"


_VALUE_MESSAGES: dict[str, Callable[[Ctx], str]] = {
    "not": lambda c: forbidden(c.key, c.model, c.option),
    "type": _type,
    "enum": lambda c: _enum_message(c.key, c.value, list(c.expected), c.model),
    "const": lambda c: f"must be {c.expected!r}, not {describe(c.value)}",
    "pattern": lambda c: _pattern_message(c.key, c.value),
    "minimum": _bounds,
    "maximum": _bounds,
    "maxLength": _max_length,
    "minLength": lambda _c: "must not be empty",
    "minItems": _min_items,
    "maxItems": _max_items,
    "minProperties": lambda c: f"{c.key or 'this'} is empty; fill it in or remove it",
    "format": lambda c: f"{str(c.value)[:60]!r} is not a valid URL",
}


def _value_message(error: Any, path: KeyPath, model: Model | None, option: str | None) -> str:
    key = next((s for s in reversed(path) if isinstance(s, str)), "")
    explain = _VALUE_MESSAGES.get(str(error.validator))
    return explain(Ctx(error, key, model, option)) if explain else str(error.message)


def _enum_message(key: str, value: Any, expected: list[Any], model: Model | None) -> str:
    shown = repr(value) if isinstance(value, str) else describe(value)
    text = str(value)
    if key == "model":
        names = [e for e in expected if isinstance(e, str)]  # not the schema's 2 for "02"
        return f"{shown} is not a model{did_you_mean(text, names)} (`reel models` lists them)"
    if key == "options":
        owner = f"{model.name} has no option" if model else "there is no option"
        near = nearest_option(text, model) if model else None
        hint = f"; the nearest it has is {near!r}" if near else did_you_mean(text, expected)
        return f"{owner} {shown}{hint} (choose from {', '.join(expected)})"
    if key == "aspectRatio":
        return f'aspectRatio must be "16:9" or "9:16", not {shown}'
    if key == "frame" and expected == ["first", "last"]:
        return f"frame must be first, last or a moment in seconds, not {shown}"
    return f"{shown} is not one of: {', '.join(map(str, expected))}"


_RESOLUTION = re.compile(r"(\d{3,4})p|(\d)k", re.IGNORECASE)
_SECONDS = re.compile(r"(\d{1,3})\s*s(?:ec)?", re.IGNORECASE)


def _pixels(text: str) -> int | None:
    found = _RESOLUTION.search(text)
    if found is None:
        return None
    return int(found.group(1)) if found.group(1) else {2: 1440, 4: 2160}.get(int(found.group(2)))


def nearest_option(value: str, model: Model) -> str | None:
    """The model's option nearest in resolution and duration to `value` (e.g. 512p-6sec on
    T2V-2.3 → 768p-6sec; the cheaper one on a tie), or None when `value` names neither."""
    pixels = _pixels(value)
    seconds_found = _SECONDS.search(value)
    seconds = int(seconds_found.group(1)) if seconds_found else None
    if (pixels is None and seconds is None) or not model.options:
        return None

    def distance(option: Option) -> tuple[float, int]:
        far = 0.0
        has = _pixels(option.resolution or "")
        if pixels and has:
            far += abs(math.log(has / pixels))
        if seconds and option.seconds:
            far += abs(math.log(option.seconds / seconds))
        return far, option.credits

    return min(model.options, key=distance).name


def _pattern_message(key: str, value: str) -> str:
    if key in ("id", "name"):
        return (
            f"{value[:70]!r} is not a valid {key}: use 1 to 64 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit (it names a file)"
        )
    if key in ("account",):
        return f'account id {value!r} is not digits; MiniMax account ids look like "123456"'
    if key in ("replyUrl",):
        return f"{value[:60]!r} is not an http(s) URL"
    return (
        f"{value[:80]!r} looks like a fileID but is not one; fileIDs look like "
        "user:<uid>-minimax:<account>-file:<id> (from POST /files)"
    )
