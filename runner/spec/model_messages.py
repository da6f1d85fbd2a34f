"""What a model (or its option) does not take or needs, said from the catalogue.

These messages explain the per-model rules of the generated schema ("T2V-2.3 takes no end
frame; use 02 at 768p/1080p or Veo-3.1"), so nothing about a model is written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.spec import catalogue
from runner.spec.catalogue import Model
from runner.spec.keypath import KeyPath


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
class Ctx:
    """One schema error with what the messages need to explain it."""

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


def _no_options(c: Ctx) -> str:
    return (
        f"{c.name} takes no options (Hailuo 01 renders 720p, 6 s); remove it, or use 02 "
        "or a 2.3 model to choose resolution and duration"
    )


def _no_aspect(c: Ctx) -> str:
    takers = [m.name for m in catalogue.load().models.values() if m.aspect_ratio]
    return f"{c.name} takes no aspectRatio; only {', '.join(takers)} do"


def _no_first(c: Ctx) -> str:
    return f"{c.name} takes no first frame" + (_image_twin(c.model) if c.model else "")


def _no_last(c: Ctx) -> str:
    if c.model is not None and c.model.allows_last:
        ok = [o.name for o in c.model.options if o.allows_last]
        return (
            f"{c.name} takes an end frame only with {', '.join(ok)}, not {c.option}; "
            "change options or remove frames.last"
        )
    return f"{c.name} takes no end frame; use {_last_alternatives()}"


def _no_references(c: Ctx) -> str:
    takers = [
        f"{m.name} ({m.references[0]}-{m.references[1]})"
        for m in catalogue.load().models.values()
        if m.references[1]
    ]
    return f"{c.name} takes no reference images; subject models do: {', '.join(takers)}"


_FORBIDDEN: dict[str, Callable[[Ctx], str]] = {
    "options": _no_options,
    "aspectRatio": _no_aspect,
    "first": _no_first,
    "last": _no_last,
    "references": _no_references,
}


def forbidden(key: str, model: Model | None, option: str | None) -> str:
    """The message for a key the shot's model (or option) does not take."""
    c = Ctx(None, key, model, option)
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


def required(
    parent: KeyPath, key: str, model: Model | None, option: str | None, in_shot: bool
) -> str:
    """The message for a missing key at `parent` (relative to the shot when `in_shot`)."""
    if not parent and not in_shot:
        return _TOP_REQUIRED.get(key, f"missing {key!r}")
    if not parent and key in _SHOT_REQUIRED:
        return _SHOT_REQUIRED[key]
    if key in ("frames", "first", "references") and model is not None:
        return _missing_image(model, option)
    return f"missing {key!r}"
