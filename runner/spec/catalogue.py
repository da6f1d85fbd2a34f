"""The model catalogue: every model, option, frame rule and price, loaded from catalogue.json.

Everything that knows a rule of the API (the validator, the schema generator, the planner and
the simulator) reads it from here, so a price or an option changes in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

FirstFrame = Literal["none", "required", "optional"]
Kind = Literal["text", "image", "text+image", "subject"]


@dataclass(frozen=True, slots=True)
class Option:
    """One resolution-and-duration option of a model, with its price."""

    name: str
    credits: int
    seconds: int
    resolution: str
    allows_last: bool
    needs_first: bool


@dataclass(frozen=True, slots=True)
class Model:
    """One model of the API and what it accepts."""

    name: str
    family: str
    family_label: str
    kind: Kind
    note: str
    first: FirstFrame
    allows_last: bool
    references: tuple[int, int]
    aspect_ratio: bool
    director: bool
    fast: bool
    options: tuple[Option, ...]
    default_option: str | None
    credits: int | None
    """Credits of a model without options (Hailuo 01); None when options set the price."""
    seconds: int | None
    resolution: str | None
    first_sizes: dict[str, tuple[int, int]] | None
    """Exact first-frame sizes by aspect ratio (Sora-2), or None when any size is accepted."""

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def credits_for(self, option: str | None) -> int:
        """Credits one video costs with this option (None: the model takes no options)."""
        if option is None:
            if self.credits is None:
                raise KeyError(f"{self.name} needs an option to be priced")
            return self.credits
        found = self.option(option)
        if found is None:
            raise KeyError(f"{self.name} has no option {option!r}")
        return found.credits

    def seconds_for(self, option: str | None) -> int:
        found = self.option(option) if option else None
        if found is not None:
            return found.seconds
        return self.seconds or 6

    def allows_last_with(self, option: str | None) -> bool:
        found = self.option(option) if option else None
        return self.allows_last and (found is None or found.allows_last)

    def needs_first_with(self, option: str | None) -> bool:
        found = self.option(option) if option else None
        return self.first == "required" or (found is not None and found.needs_first)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All models plus the API-wide limits."""

    models: dict[str, Model]
    aspect_ratios: tuple[str, ...]
    default_aspect_ratio: str
    default_models: dict[str, str]
    camera_moves: tuple[str, ...]
    max_camera_moves: int
    max_prompt_chars: int
    max_reply_chars: int
    max_jobs_range: tuple[int, int]
    takes_range: tuple[int, int]
    image_warn_bytes: int
    image_max_bytes: int
    """Above it an image is refused before anything is sent: useapi's own script documents 5 MB,
    its docs 5 GB; ten times the first keeps a run from streaming hundreds of MB to a refusal."""
    last_needs_first: bool

    def model(self, name: str) -> Model:
        return self.models[name]

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(self.models)


def _option(name: str, raw: dict[str, Any]) -> Option:
    return Option(
        name=name,
        credits=int(raw["credits"]),
        seconds=int(raw["seconds"]),
        resolution=str(raw["resolution"]),
        allows_last=bool(raw.get("last", True)),
        needs_first=bool(raw.get("needsFirst", False)),
    )


def _model(name: str, raw: dict[str, Any], families: dict[str, Any]) -> Model:
    family = families[raw["family"]]
    sizes = raw.get("firstSizes")
    return Model(
        name=name,
        family=raw["family"],
        family_label=family["label"],
        kind=raw["kind"],
        note=raw.get("note", ""),
        first=raw["first"],
        allows_last=bool(raw["last"]),
        references=(int(raw["references"][0]), int(raw["references"][1])),
        aspect_ratio=bool(raw["aspectRatio"]),
        director=bool(raw["director"]),
        fast=bool(raw.get("fast", False)),
        options=tuple(_option(n, o) for n, o in raw.get("options", {}).items()),
        default_option=raw.get("defaultOption"),
        credits=raw.get("credits"),
        seconds=family.get("seconds"),
        resolution=family.get("resolution"),
        first_sizes={k: (int(v[0]), int(v[1])) for k, v in sizes.items()} if sizes else None,
    )


def parse(raw: dict[str, Any]) -> Catalogue:
    """Build the typed catalogue from its JSON form."""
    families = raw["families"]
    return Catalogue(
        models={n: _model(n, m, families) for n, m in raw["models"].items()},
        aspect_ratios=tuple(raw["aspectRatios"]),
        default_aspect_ratio=raw["defaultAspectRatio"],
        default_models=dict(raw["defaultModels"]),
        camera_moves=tuple(raw["cameraMoves"]),
        max_camera_moves=int(raw["maxCameraMovesPerBracket"]),
        max_prompt_chars=int(raw["maxPromptChars"]),
        max_reply_chars=int(raw["maxReplyChars"]),
        max_jobs_range=(int(raw["maxJobsRange"][0]), int(raw["maxJobsRange"][1])),
        takes_range=(int(raw["takesRange"][0]), int(raw["takesRange"][1])),
        image_warn_bytes=int(raw["imageWarnBytes"]),
        image_max_bytes=int(raw["imageMaxBytes"]),
        last_needs_first=bool(raw["choices"]["lastNeedsFirst"]),
    )


def raw_catalogue() -> dict[str, Any]:
    """The catalogue as stored (JSON types)."""
    text = resources.files("runner.spec").joinpath("catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def shipped() -> Catalogue:
    """The catalogue shipped with the package (read once)."""
    return parse(raw_catalogue())


_overlaid: list[tuple[Catalogue, str]] = []


def load() -> Catalogue:
    """The catalogue in use: Reel's own, or the one a pipeline's overlay made (`use`)."""
    return _overlaid[0][0] if _overlaid else shipped()


def overlay_source() -> str | None:
    """The overlay file merged into the catalogue in use, or None for Reel's own."""
    return _overlaid[0][1] if _overlaid else None


def use(cat: Catalogue | None, source: str | None = None) -> None:
    """Make `cat` (Reel's catalogue with the overlay file `source` merged in) the one in use;
    None: Reel's own. Set as each pipeline is loaded: a process works on one at a time."""
    _overlaid.clear()
    if cat is not None:
        _overlaid.append((cat, source or "?"))
