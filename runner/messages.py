"""Turns a JSON Schema error into a message that says what is wrong and what to do.

The schema is generated from the catalogue, so every message here is built from the catalogue
too ("T2V-2.3 takes no end frame; use 02 at 768p/1080p or Veo-3.1"): nothing about a model is
written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner import catalogue
from runner.camera import did_you_mean
from runner.catalogue import Model
from runner.keypath import KeyPath, render

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


@dataclass(frozen=True, slots=True)
class Problem:
    """A translated schema error, relative to the validated value."""

    path: KeyPath
    at_key: bool
    rule: str
    message: str


def rule_for(path: KeyPath) -> str:
    for step in reversed(path):
        if isinstance(step, str) and step in _RULES:
            return _RULES[step]
    return "schema"


def describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def _last_alternatives() -> str:
    cat = catalogue.load()
    names = []
    for m in cat.models.values():
        if not m.allows_last:
            continue
        ok = [o.resolution for o in m.options if o.allows_last]
        partial = len(ok) < len(m.options)
        names.append(f"{m.name} at {'/'.join(dict.fromkeys(ok))}" if partial else m.name)
    return " or ".join(names)


def _image_twin(m: Model) -> str:
    cat = catalogue.load()
    twin = m.name.replace("T2V", "I2V")
    if twin in cat.models and twin != m.name:
        return f"; use {twin} for image-to-video"
    if m.kind == "subject":
        return "; a subject model takes its images as frames.references"
    return ""


@dataclass(frozen=True, slots=True)
class _Ctx:
    error: Any
    key: str
    model: Model | None
    option: str | None

    @property
    def name(self) -> str:
        return self.model.name if self.model else "this model"

    @property
    def value(self) -> Any:
        return self.error.instance

    @property
    def expected(self) -> Any:
        return self.error.validator_value


def _no_options(c: _Ctx) -> str:
    return (
        f"{c.name} takes no options (Hailuo 01 renders 720p, 6 s); remove it, or use 02 "
        "or a 2.3 model to choose resolution and duration"
    )


def _no_aspect(c: _Ctx) -> str:
    takers = [m.name for m in catalogue.load().models.values() if m.aspect_ratio]
    return f"{c.name} takes no aspectRatio; only {', '.join(takers)} do"


def _no_first(c: _Ctx) -> str:
    return f"{c.name} takes no first frame" + (_image_twin(c.model) if c.model else "")


def _no_last(c: _Ctx) -> str:
    if c.model is not None and c.model.allows_last:
        ok = [o.name for o in c.model.options if o.allows_last]
        return (
            f"{c.name} takes an end frame only with {', '.join(ok)}, not {c.option}; "
            "change options or remove frames.last"
        )
    return f"{c.name} takes no end frame; use {_last_alternatives()}"


def _no_references(c: _Ctx) -> str:
    takers = [
        f"{m.name} ({m.references[0]}-{m.references[1]})"
        for m in catalogue.load().models.values()
        if m.references[1]
    ]
    return f"{c.name} takes no reference images; subject models do: {', '.join(takers)}"


_FORBIDDEN: dict[str, Callable[[_Ctx], str]] = {
    "options": _no_options,
    "aspectRatio": _no_aspect,
    "first": _no_first,
    "last": _no_last,
    "references": _no_references,
}


def forbidden(key: str, model: Model | None, option: str | None) -> str:
    """The message for a key the shot's model (or option) does not take."""
    c = _Ctx(None, key, model, option)
    explain = _FORBIDDEN.get(key)
    return explain(c) if explain else f"{c.name} does not take {key}"


_TOP_REQUIRED = {
    "version": "missing `version: 1` (the format's version)",
    "shots": "missing `shots:`; a pipeline needs at least one shot",
}
_SHOT_REQUIRED = {
    "id": "every shot needs an id (letters, digits, . _ -); it names the output file",
    "prompt": "a shot without frames needs a prompt",
}


def _missing_image(model: Model, option: str | None) -> str:
    if model.references[0] and model.first != "required":
        lo, hi = model.references
        count = "one reference image" if hi == 1 else f"{lo} to {hi} reference images"
        return f"{model.name} needs {count} in frames.references"
    if model.first != "required" and option:
        return (
            f"{model.name} at {option} needs a first frame (MiniMax offers it for "
            "image-to-video only); add frames.first or choose another option"
        )
    return f"{model.name} needs a first frame (frames.first)"


def _required(
    parent: KeyPath, key: str, model: Model | None, option: str | None, in_shot: bool
) -> str:
    if not parent and not in_shot:
        return _TOP_REQUIRED.get(key, f"missing {key!r}")
    if not parent and key in _SHOT_REQUIRED:
        return _SHOT_REQUIRED[key]
    if key in ("frames", "first", "references") and model is not None:
        return _missing_image(model, option)
    return f"missing {key!r}"


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
                msg = f"unknown key {key!r}{where}{did_you_mean(key, known)}"
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
                (*path, k), False, rule_for((*path, k)), _required(path, k, model, option, in_shot)
            )
            for k in missing
        ]
    if kind == "propertyNames":
        return [
            Problem(
                (*path, str(value)),
                True,
                "account",
                f'account id {value!r} is not digits; MiniMax account ids look like "123456"',
            )
        ]
    return [Problem(path, False, rule_for(path), _value_message(error, path, model, option))]


def _type(c: _Ctx) -> str:
    expected = [c.expected] if isinstance(c.expected, str) else c.expected
    want = " or ".join(_TYPES.get(t, t) for t in expected)
    hint = ""
    if want == "text" and isinstance(c.value, int | float) and not isinstance(c.value, bool):
        hint = f'; quote it: "{c.value}"'
    if c.key == "shots" and tuple(c.error.absolute_path) == ("shots",):
        hint = "; write each shot as `- id: ...`"
    return f"must be {want}, not {describe(c.value)}{hint}"


def _bounds(c: _Ctx) -> str:
    lo, hi = c.error.schema.get("minimum"), c.error.schema.get("maximum")
    return f"must be from {lo} to {hi}, not {c.value}"


def _max_length(c: _Ctx) -> str:
    return (
        f"{c.key or 'value'} is {len(c.value):,} characters; the API takes at most {c.expected:,}"
    )


def _min_items(c: _Ctx) -> str:
    return "add at least one shot" if c.key == "shots" else "list at least one image, or remove it"


def _max_items(c: _Ctx) -> str:
    name = c.model.name if c.model else "a subject model"
    return f"{name} takes at most {c.expected} reference images, not {len(c.value)}"


_VALUE_MESSAGES: dict[str, Callable[[_Ctx], str]] = {
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
    return explain(_Ctx(error, key, model, option)) if explain else str(error.message)


def _enum_message(key: str, value: Any, expected: list[Any], model: Model | None) -> str:
    shown = repr(value) if isinstance(value, str) else describe(value)
    text = str(value)
    if key == "model":
        return f"{shown} is not a model{did_you_mean(text, expected)} (`reel models` lists them)"
    if key == "options":
        owner = f"{model.name} has no option" if model else "there is no option"
        return (
            f"{owner} {shown}{did_you_mean(text, expected)}; choose one of: "
            f"{', '.join(map(str, expected))}"
        )
    if key == "aspectRatio":
        return f'aspectRatio must be "16:9" or "9:16", not {shown}'
    return f"{shown} is not one of: {', '.join(map(str, expected))}"


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
