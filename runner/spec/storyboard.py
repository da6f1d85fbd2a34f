"""The storyboard-wide parts of a pipeline: vars, looks, a cast and model matrices.

Before the per-shot checks run, each shot is turned into the plain shot(s) it stands for: its
prompt resolved (vars, cast descriptions, the look), its cast's reference images put ahead of
its own `frames.references`, and a `matrix:` expanded into one variant per combination a model
can take (`<id>.<value>.<value>…`, e.g. `compare-lamp.T2V-2.3.768p-6sec`; `16:9` is written
`16x9`). The per-shot rules then judge the resolved shot, exactly as if it had been written out
in full; each variant also remembers where its values were written, so that a problem is
reported where the user typed it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from runner.spec.catalogue import Catalogue, Model
from runner.spec.keypath import KeyPath
from runner.spec.pipeline import LeftOut
from runner.spec.prompt_template import LOOK, Resolved, resolve

AXES = ("model", "options", "aspectRatio", "look")
"""Matrix axes, in the order their values appear in a variant's id."""
NO_LOOK = "none"
MAX_VARIANT_ID = 128
"""A variant id names a file: long enough for any combination of a 64-character shot id."""


@dataclass(frozen=True, slots=True)
class CastSpec:
    name: str
    description: str
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Storyboard:
    """The file's `vars:`, `looks:` and `cast:` (the well-formed entries only: the schema
    reports the others)."""

    vars: dict[str, str] = field(default_factory=dict)
    looks: dict[str, str] = field(default_factory=dict)
    cast: dict[str, CastSpec] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found while resolving a shot, at an absolute key path of the file."""

    path: KeyPath
    rule: str
    message: str
    offset: int | None = None
    """Where in the text at `path` (a placeholder in the prompt)."""
    at_key: bool = False


@dataclass(frozen=True, slots=True)
class StoryParts:
    """What a shot's resolution adds to its view (empty for a plain shot)."""

    where: dict[str, KeyPath] = field(default_factory=dict)
    """field → the absolute key path its value was written at, when not the shot's own key
    (a matrix value)."""
    ref_origins: tuple[KeyPath, ...] = ()
    """Absolute key paths of the cast references that lead `frames.references`."""
    resolved: Resolved | None = None
    prompt_path: KeyPath | None = None
    """The absolute key path of the prompt as typed (in the shot or in defaults)."""
    look: str | None = None
    cast: tuple[str, ...] = ()
    variant_of: str | None = None
    matrix: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Expanded:
    """One raw shot resolved: its variants (one for a plain shot) and what went wrong."""

    variants: tuple[tuple[dict[str, Any], dict[str, str], StoryParts], ...]
    """(merged fields, origins, parts) per variant."""
    issues: tuple[Issue, ...] = ()
    left_out: tuple[LeftOut, ...] = ()


def read(data: dict[str, Any]) -> tuple[Storyboard, list[Issue]]:
    """The storyboard parts of a pipeline, and problems the schema cannot see (names used
    twice, reserved names)."""
    raw_vars, raw_looks, raw_cast = (_mapping(data.get(k)) for k in ("vars", "looks", "cast"))
    story = Storyboard(
        # A value of another type is the schema's to report; it still counts as defined.
        vars={k: v if isinstance(v, str) else str(v) for k, v in raw_vars.items()},
        looks={k: v for k, v in raw_looks.items() if isinstance(v, str)},
        cast={k: _member(k, v) for k, v in raw_cast.items() if isinstance(v, dict)},
    )
    issues = [
        Issue(("vars", name), "vars", f"{{{name}}} is both a var and a cast member; rename one")
        for name in raw_vars
        if name in raw_cast
    ]
    issues += [
        Issue(
            (section, LOOK),
            section,
            f"{{{LOOK}}} is where the shot's look goes; give this {section[:-1]} another name",
            at_key=True,
        )
        for section, entries in (("vars", raw_vars), ("cast", raw_cast))
        if LOOK in entries
    ]
    if NO_LOOK in raw_looks:
        issues.append(
            Issue(
                ("looks", NO_LOOK),
                "looks",
                "`look: none` turns a default look off; give this look another name",
                at_key=True,
            )
        )
    return story, issues


def _member(name: str, raw: dict[str, Any]) -> CastSpec:
    description = raw.get("description")
    references = raw.get("references")
    return CastSpec(
        name,
        description if isinstance(description, str) and description else name,
        tuple(r for r in references if isinstance(r, str) and r)
        if isinstance(references, list)
        else (),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _slug(value: str) -> str:
    return value.replace(":", "x")


def expand(
    index: int,
    raw: dict[str, Any],
    defaults: dict[str, Any],
    story: Storyboard,
    cat: Catalogue,
    infer_model: Any,
) -> Expanded:
    """The plain shot(s) a raw shot stands for. `infer_model(merged)` names the model a shot
    without one gets."""
    base: KeyPath = ("shots", index)
    merged = {**defaults, **raw}
    origins = {k: "defaults" for k in defaults if k not in raw}
    issues: list[Issue] = []
    combos, left_out = _matrix(base, raw, merged, story, cat, infer_model, issues)
    variants = []
    for fields, parts in combos:
        one = dict(merged)
        one_origins = dict(origins)
        for axis, value in fields.items():
            if value is None:
                one.pop(axis, None)  # a default the variant's model cannot take
                continue
            one[axis] = value
            one_origins[axis] = "matrix"
        refs = _cast(base, one, one_origins, story, issues)
        look = _look(base, one, one_origins, parts.where, story, issues)
        resolved, prompt_path = _prompt(base, one, one_origins, story, look, issues)
        if resolved is not None:
            one["prompt"] = resolved.text
        cast = one.get("cast")
        variants.append(
            (
                one,
                one_origins,
                StoryParts(
                    where=parts.where,
                    ref_origins=refs,
                    resolved=resolved,
                    prompt_path=prompt_path,
                    look=look[0] if look else None,
                    cast=tuple(c for c in cast if isinstance(c, str))
                    if isinstance(cast, list)
                    else (),
                    variant_of=parts.variant_of,
                    matrix=parts.matrix,
                ),
            )
        )
    return Expanded(tuple(variants), tuple(issues), tuple(left_out))


def _field_path(base: KeyPath, name: str, origins: dict[str, str]) -> KeyPath:
    return ("defaults", name) if origins.get(name) == "defaults" else (*base, name)


def _cast(
    base: KeyPath,
    one: dict[str, Any],
    origins: dict[str, str],
    story: Storyboard,
    issues: list[Issue],
) -> tuple[KeyPath, ...]:
    names = one.get("cast")
    if not isinstance(names, list) or not names:
        return ()
    where = _field_path(base, "cast", origins)
    refs: list[str] = []
    ref_origins: list[KeyPath] = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue  # the schema says so
        member = story.cast.get(name)
        if member is None:
            known = ", ".join(story.cast) or "nobody: add a `cast:` section"
            issues.append(
                Issue((*where, i), "cast", f"unknown cast member {name!r}; the cast is {known}")
            )
            continue
        refs.extend(member.references)
        ref_origins.extend(("cast", name, "references", k) for k in range(len(member.references)))
    frames = one.get("frames")
    if frames is None:
        frames = {}
    if not isinstance(frames, dict):
        return ()
    own = frames.get("references")
    own_refs = own if isinstance(own, list) else []
    if refs:
        one["frames"] = {**frames, "references": [*refs, *own_refs]}
    return tuple(ref_origins)


def _look(
    base: KeyPath,
    one: dict[str, Any],
    origins: dict[str, str],
    where: dict[str, KeyPath],
    story: Storyboard,
    issues: list[Issue],
) -> tuple[str, str] | None:
    name = one.get("look")
    if not isinstance(name, str) or name == NO_LOOK:
        return None
    text = story.looks.get(name)
    if text is None:
        path = where.get("look") or _field_path(base, "look", origins)
        known = ", ".join(story.looks) or "none defined: add a `looks:` section"
        issues.append(
            Issue(path, "look", f"unknown look {name!r}; the looks are {known} (or `none`)")
        )
        return None
    return (name, text)


def _prompt(
    base: KeyPath,
    one: dict[str, Any],
    origins: dict[str, str],
    story: Storyboard,
    look: tuple[str, str] | None,
    issues: list[Issue],
) -> tuple[Resolved | None, KeyPath | None]:
    template = one.get("prompt")
    if template is None and look is not None:
        template = ""  # a shot of frames alone still takes the look
    if not isinstance(template, str):
        return None, None
    path = _field_path(base, "prompt", origins)
    values = {k: (v, f"var:{k}") for k, v in story.vars.items()}
    values.update({k: (c.description, f"cast:{k}") for k, c in story.cast.items()})
    resolved = resolve(template, values, look)
    issues.extend(Issue(path, "prompt", p.message, offset=p.offset) for p in resolved.problems)
    return resolved, path


@dataclass(frozen=True, slots=True)
class _Combo:
    where: dict[str, KeyPath]
    variant_of: str | None = None
    matrix: tuple[tuple[str, str], ...] = ()


def _axes(
    base: KeyPath,
    raw: dict[str, Any],
    matrix: dict[str, Any],
    story: Storyboard,
    cat: Catalogue,
    issues: list[Issue],
) -> list[tuple[str, list[tuple[int, str]]]] | None:
    """Each axis with its (position, value) pairs; None when the matrix is broken (said so:
    here, or by the schema)."""
    axes: list[tuple[str, list[tuple[int, str]]]] = []
    broken = False
    for axis in AXES:
        values = matrix.get(axis)
        if not isinstance(values, list):
            continue
        if axis in raw:
            message = f"{axis} is set both here and in matrix.{axis}; keep one"
            issues.append(Issue((*base, axis), "matrix", message, at_key=True))
            broken = True
        good = [(j, v) for j, v in enumerate(values) if _known(axis, v, story, cat)]
        broken |= len(good) != len(values)
        if axis == "look":  # the schema knows no look names: unknown ones are reported here
            known = ", ".join(story.looks) or "none defined"
            issues.extend(
                Issue(
                    (*base, "matrix", axis, j),
                    "look",
                    f"unknown look {v!r}; the looks are {known} (or `none`)",
                )
                for j, v in enumerate(values)
                if isinstance(v, str) and not _known(axis, v, story, cat)
            )
        axes.append((axis, good))
    return None if broken or not axes else axes


def _matrix(
    base: KeyPath,
    raw: dict[str, Any],
    merged: dict[str, Any],
    story: Storyboard,
    cat: Catalogue,
    infer_model: Any,
    issues: list[Issue],
) -> tuple[list[tuple[dict[str, str | None], _Combo]], list[LeftOut]]:
    matrix = raw.get("matrix")
    if not isinstance(matrix, dict) or not isinstance(raw.get("id"), str):
        return [({}, _Combo({}))], []
    axes = _axes(base, raw, matrix, story, cat, issues)
    if axes is None:
        return [], []
    shot_id: str = raw["id"]
    names = [axis for axis, _values in axes]
    combos: list[tuple[dict[str, str | None], _Combo]] = []
    left_out: list[LeftOut] = []
    for choice in itertools.product(*(values for _axis, values in axes)):
        fields: dict[str, str | None] = {a: v for a, (_j, v) in zip(names, choice, strict=True)}
        variant_id = ".".join([shot_id, *(_slug(v) for _j, v in choice)])
        if len(variant_id) > MAX_VARIANT_ID:
            issues.append(
                Issue(
                    (*base, "id"),
                    "matrix",
                    f"the variant id {variant_id[:40]!r}… is {len(variant_id)} characters, "
                    f"more than {MAX_VARIANT_ID}; shorten the shot id",
                )
            )
            return [], []
        trial = {**merged, **fields}
        model = cat.models.get(trial.get("model") or infer_model(trial))
        if model is None:
            continue  # an unknown model: the schema reports it
        _drop_defaults(fields, raw, merged, model)
        reason = _cannot_take(model, {**trial, **fields}, fields, story)
        if reason is not None:
            left_out.append(LeftOut(variant_id, shot_id, reason))
            continue
        where = {a: (*base, "matrix", a, j) for a, (j, _v) in zip(names, choice, strict=True)}
        values = tuple((a, v) for a, (_j, v) in zip(names, choice, strict=True))
        fields["id"] = variant_id
        combos.append((fields, _Combo(where, shot_id, values)))
    if not combos:
        reasons = "; ".join(f"{o.id}: {o.reason}" for o in left_out)
        issues.append(
            Issue(
                (*base, "matrix"),
                "matrix",
                f"no combination of this matrix can be rendered ({reasons}); change its lists",
                at_key=True,
            )
        )
    return combos, left_out


def _known(axis: str, value: Any, story: Storyboard, cat: Catalogue) -> bool:
    if not isinstance(value, str):
        return False
    if axis == "model":
        return value in cat.models
    if axis == "options":
        return any(m.option(value) for m in cat.models.values())
    if axis == "aspectRatio":
        return value in cat.aspect_ratios
    return value == NO_LOOK or value in story.looks


def _drop_defaults(
    fields: dict[str, str | None], raw: dict[str, Any], merged: dict[str, Any], model: Model
) -> None:
    """A `defaults:` option or aspect ratio the variant's model cannot take is left out for it
    (the model's own default applies), so that a matrix across families works under defaults
    written for one of them."""
    option = merged.get("options")
    inherited = "options" not in fields and "options" not in raw and option is not None
    if inherited and (not isinstance(option, str) or model.option(option) is None):
        fields["options"] = None
    inherited = "aspectRatio" not in fields and "aspectRatio" not in raw
    if inherited and "aspectRatio" in merged and not model.aspect_ratio:
        fields["aspectRatio"] = None


def _cannot_take(
    model: Model, shot: dict[str, Any], fields: dict[str, str | None], story: Storyboard
) -> str | None:
    """Why `model` cannot render this combination (None: it can)."""
    option = fields.get("options")
    if option is not None and model.option(option) is None:
        return f"{model.name} {'has no option ' + option if model.options else 'takes no options'}"
    if fields.get("aspectRatio") is not None and not model.aspect_ratio:
        return f"{model.name} takes no aspect ratio"
    chosen = option if option is not None else shot.get("options")
    chosen = chosen if isinstance(chosen, str) and model.option(chosen) else model.default_option
    return _frames_reason(model, shot, chosen, story)


def _frames_reason(
    model: Model, shot: dict[str, Any], option: str | None, story: Storyboard
) -> str | None:
    frames = shot.get("frames") if isinstance(shot.get("frames"), dict) else {}
    assert isinstance(frames, dict)
    cast = shot.get("cast") if isinstance(shot.get("cast"), list) else []
    assert isinstance(cast, list)
    refs = len(frames.get("references") or []) + sum(
        len(story.cast[c].references) for c in cast if isinstance(c, str) and c in story.cast
    )
    lo, hi = model.references
    problems = [
        (refs > hi, f"takes {'no' if hi == 0 else f'at most {hi}'} reference images"),
        (refs < lo, f"needs {lo} reference image{'s' * (lo > 1)} or more"),
        (bool(frames.get("first")) and model.first == "none", "takes no first frame"),
        (not frames.get("first") and model.needs_first_with(option), "needs a first frame"),
        (bool(frames.get("last")) and not model.allows_last_with(option), "takes no end frame"),
    ]
    return next((f"{model.name} {why}" for broken, why in problems if broken), None)
