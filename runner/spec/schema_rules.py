"""The per-model rules of the editor's schema, over a shot *with its defaults*.

`reel validate` checks each shot after merging `defaults:` into it and inferring the model
(T2V-01, I2V-01 or S2V-01 by its frames). An editor sees only the file, so every rule "when the
merged shot has X, its field F must be Y" is compiled here into plain JSON Schema over the
shot and the `defaults:` block: each field a rule names comes either from the shot or, when the
shot leaves it out, from `defaults:`; every combination becomes one `if`/`then`, placed on the
shot when it depends on the shot alone, or on the pipeline's root (conditions on `defaults:`)
otherwise. Only draft-07 keywords are used, so yaml-language-server applies them too.

A rule is a `Rule(when, field, allowed)`: `when` maps merged fields to a condition (a schema
for the value, or `ABSENT`); the special field `model` names a model, which matches an explicit
`model:`, `defaults.model`, or an inferred model. `allowed` is the schema the merged field's
value must match, or `REQUIRED` when the field must be present.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from runner.spec.catalogue import Catalogue, Model

ABSENT: Final = "absent"
REQUIRED: Final = "required"
FORBIDDEN: Final = False
"""`allowed` for a field the merged shot must not have: `properties: {field: false}` (with the
rule's message as errorMessage, which yaml-language-server shows; python-jsonschema says
"False schema does not allow ..." at the field's path)."""
Schema = dict[str, Any]
Condition = Schema | str  # a schema for the value, or ABSENT
Source = tuple[str, Schema | None]  # ("shot" | "defaults" | "absent", schema)


@dataclass(frozen=True, slots=True)
class Rule:
    """When the merged shot matches `when`, its `field` must match `allowed` (or exist)."""

    when: tuple[tuple[str, Condition | str], ...]
    field: str
    allowed: Schema | str | bool
    message: str


def model_value(name: str) -> Schema:
    """The values that name a model in a YAML 1.2 tool: an unquoted `02` is the integer 2."""
    if name.isdigit() and name.startswith("0"):
        return {"enum": [name, int(name)]}
    return {"const": name}


def inferred_frames(cat: Catalogue, name: str) -> list[Condition]:
    """The merged `frames:` conditions under which a shot without a model is `name`."""
    kinds = {v: k for k, v in cat.default_models.items()}
    kind = kinds.get(name)
    if kind == "subject":
        return [{"required": ["references"]}]
    if kind == "image":
        return [
            {
                "not": {"required": ["references"]},
                "anyOf": [{"required": ["first"]}, {"required": ["last"]}],
            }
        ]
    if kind == "text":
        return [
            ABSENT,
            {"not": {"anyOf": [{"required": [k]} for k in ("first", "last", "references")]}},
        ]
    return []


def _alternatives(cat: Catalogue, field: str, cond: Condition) -> list[dict[str, Source]]:
    if field == "model":
        assert isinstance(cond, str)
        value = model_value(cond)
        alts: list[dict[str, Source]] = [{"model": ("shot", value)}, {"model": ("defaults", value)}]
        for frames in inferred_frames(cat, cond):
            for alt in _alternatives(cat, "frames", frames):
                alts.append({"model": ("absent", None), **alt})
        return alts
    if cond == ABSENT:
        return [{field: ("absent", None)}]
    assert isinstance(cond, dict)
    return [{field: ("shot", cond)}, {field: ("defaults", cond)}]


def _conjoin(parts: tuple[dict[str, Source], ...]) -> dict[str, Source] | None:
    out: dict[str, Source] = {}
    for part in parts:
        for field, (source, schema) in part.items():
            if field not in out:
                out[field] = (source, schema)
                continue
            known, known_schema = out[field]
            if known != source:
                return None
            if schema is not None and known_schema is not None and schema != known_schema:
                out[field] = (source, {"allOf": [known_schema, schema]})
    return out


def _clauses(cat: Catalogue, rule: Rule) -> Iterator[dict[str, Source]]:
    options = [_alternatives(cat, f, c) for f, c in rule.when]
    for combo in itertools.product(*options):
        clause = _conjoin(combo)
        if clause is not None:
            yield clause


def _defaults_part(clause: dict[str, Source]) -> Schema | None:
    required: list[str] = []
    props: dict[str, Any] = {}
    lacks: list[str] = []
    for field, (source, schema) in clause.items():
        if source == "defaults":
            required.append(field)
            props[field] = schema
        elif source == "absent":
            lacks.append(field)
    if not required and not lacks:
        return None
    inner: Schema = {}
    if required:
        inner["required"] = sorted(required)
        inner["properties"] = props
    if lacks:
        inner["not"] = _any_required(lacks)
    out: Schema = {"properties": {"defaults": inner}}
    if required:
        out["required"] = ["defaults"]
    return out


def _any_required(fields: list[str]) -> Schema:
    fields = sorted(fields)
    if len(fields) == 1:
        return {"required": fields}
    return {"anyOf": [{"required": [f]} for f in fields]}


def _shot_part(clause: dict[str, Source]) -> Schema:
    required: list[str] = []
    props: dict[str, Any] = {}
    lacks: list[str] = []
    for field, (source, schema) in clause.items():
        if source == "shot":
            required.append(field)
            if schema is not None:
                props[field] = schema
        else:
            lacks.append(field)
    out: Schema = {}
    if required:
        out["required"] = sorted(required)
    if props:
        out["properties"] = props
    if lacks:
        out["not"] = _any_required(lacks)
    return out


Groups = dict[str, tuple[Schema | None, list[Schema]]]
"""json(the shot's model condition) → (that condition, the rules under it): a shot meets
one model condition, so it runs the few rules of its model, not every rule of every model."""


@dataclass(slots=True)
class Compiled:
    """Where the compiled rules go: on every shot, or under a condition on the root."""

    shot: Groups
    root: dict[str, tuple[Schema, Groups]]
    """json(condition on defaults) → (that condition, the shot rules under it)."""
    defaults: list[Schema]
    """Root rules that blame a `defaults:` value used by some shot."""

    def shot_rules(self) -> list[Schema]:
        """The rules every shot runs."""
        return _flatten(self.shot)

    def root_rules(self) -> list[Schema]:
        """The root's rules: shot rules under conditions on `defaults:`, then the rules
        that blame a default."""
        under = [_for_shots(cond, g) for cond, g in self.root.values() if "required" in cond]
        # Conditions that only say what `defaults:` lacks all hold without a `defaults:`
        # block, the usual case: then one pass over the shots runs all their rules.
        lacking = [(cond, g) for cond, g in self.root.values() if "required" not in cond]
        merged: Groups = {}
        for _, groups in lacking:
            for key, (cond, rules) in groups.items():
                merged.setdefault(key, (cond, []))[1].extend(rules)
        no_defaults = {
            "if": {"not": {"required": ["defaults"]}},
            "then": {"properties": {"shots": {"items": {"allOf": _flatten(merged)}}}},
            "else": {"allOf": [_for_shots(cond, g) for cond, g in lacking]},
        }
        return [no_defaults, *under, *self.defaults]


def _for_shots(cond: Schema, groups: Groups) -> Schema:
    return {"if": cond, "then": {"properties": {"shots": {"items": {"allOf": _flatten(groups)}}}}}


def _flatten(groups: Groups) -> list[Schema]:
    out: list[Schema] = []
    by_model: list[tuple[list[Any], list[Schema]]] = []
    for cond, rules in groups.values():
        if cond is None:
            out += rules
        elif "properties" in cond:
            by_model.append((_values(cond["properties"]["model"]), rules))
        else:
            out.append({"if": cond, "then": _all(rules)})
    if by_model:
        out.append(_dispatch(by_model))
    return out


def _values(schema: Schema) -> list[Any]:
    return [schema["const"]] if "const" in schema else list(schema["enum"])


def _all(rules: list[Schema]) -> Schema:
    return rules[0] if len(rules) == 1 else {"allOf": rules}


def _dispatch(groups: list[tuple[list[Any], list[Schema]]]) -> Schema:
    """The rules of the shot's model, found by halving the list of models: a validator
    checks a few conditions per shot instead of one per model."""
    values = [v for vs, _ in groups for v in vs]
    head = {"required": ["model"], "properties": {"model": {"enum": values}}}
    if len(groups) == 1:
        return {"if": head, "then": _all(groups[0][1])}
    half = len(groups) // 2
    left = [v for vs, _ in groups[:half] for v in vs]
    return {
        "if": {"required": ["model"], "properties": {"model": {"enum": left}}},
        "then": _dispatch(groups[:half]),
        "else": _dispatch(groups[half:]),
    }


def compile_rules(cat: Catalogue, rules: list[Rule]) -> Compiled:
    """Every rule as `if`/`then` schemas over the shot and the pipeline's root."""
    out = Compiled({}, {}, [])
    for rule in rules:
        for clause in _clauses(cat, rule):
            _place(out, clause, rule)
    return out


def _place(out: Compiled, clause: dict[str, Source], rule: Rule) -> None:
    field = rule.field
    if rule.allowed == REQUIRED:
        if field in clause:
            if clause[field][0] == "absent":
                _add(out, _defaults_part(clause), clause, {"not": {}, "errorMessage": rule.message})
            return  # present by the condition itself
        # The shot must have it when defaults lack it.
        d = _defaults_part({**clause, field: ("absent", None)})
        _add(out, d, clause, {"required": [field], "errorMessage": rule.message})
        return
    if rule.allowed is FORBIDDEN:
        value_then: Schema = {"properties": {field: False}, "errorMessage": rule.message}
        violates: Schema = {}
    else:
        assert isinstance(rule.allowed, dict)
        value_then = {"properties": {field: {**rule.allowed, "errorMessage": rule.message}}}
        violates = {"not": rule.allowed}
    from_shot = _conjoin((clause, {field: ("shot", None)}))
    if from_shot is not None:
        _add(out, _defaults_part(from_shot), from_shot, value_then)
    from_defaults = _conjoin((clause, {field: ("defaults", violates)}))
    if from_defaults is not None:
        d = _defaults_part(from_defaults)
        s = _shot_part(from_defaults)
        assert d is not None
        # `required` first: validators stop at the first failure, before scanning the shots.
        cond = {
            "required": d["required"],
            "properties": {**d["properties"], "shots": {"contains": s}},
        }
        then = {"properties": {"defaults": value_then}}
        out.defaults.append({"if": cond, "then": then})


def _add(out: Compiled, defaults: Schema | None, clause: dict[str, Source], then: Schema) -> None:
    """File `then` under the clause's model condition (and its condition on defaults)."""
    model = clause.get("model")
    rest = _shot_part({k: v for k, v in clause.items() if k != "model"})
    rule = {"if": rest, "then": then} if rest else then
    cond: Schema | None = None
    if model is not None and model[0] == "shot":
        cond = {"required": ["model"], "properties": {"model": model[1]}}
    elif model is not None:
        cond = {"not": {"required": ["model"]}}
    if defaults is None:
        groups = out.shot
    else:
        groups = out.root.setdefault(json.dumps(defaults, sort_keys=True), (defaults, {}))[1]
    groups.setdefault(json.dumps(cond, sort_keys=True), (cond, []))[1].append(rule)


def model_rules(cat: Catalogue, m: Model, camera_pattern: str) -> list[Rule]:
    """What a model accepts, as rules over the merged shot."""
    when: tuple[tuple[str, Condition | str], ...] = (("model", m.name),)
    rules: list[Rule] = []
    if m.options:
        names = ", ".join(m.option_names)
        rules.append(
            Rule(when, "options", {"enum": list(m.option_names)}, f"{m.name} takes {names}")
        )
    else:
        msg = f"{m.name} takes no options (it renders {m.resolution}, {m.seconds} s)"
        rules.append(Rule(when, "options", FORBIDDEN, msg))
    if not m.aspect_ratio:
        takers = ", ".join(x.name for x in cat.models.values() if x.aspect_ratio)
        msg = f"{m.name} takes no aspectRatio; only {takers} do"
        rules.append(Rule(when, "aspectRatio", FORBIDDEN, msg))
    rules += _frame_rules(m, when)
    for o in m.options:
        opt_when = (*when, ("options", {"const": o.name}))
        if not o.allows_last and m.allows_last:
            msg = f"{m.name} takes an end frame only at 768p/1080p, not {o.name}"
            rules.append(Rule(opt_when, "frames", _no("last", msg), msg))
        if o.needs_first and m.first != "required":
            msg = f"{m.name} at {o.name} needs a first frame (frames.first)"
            rules.append(Rule(opt_when, "frames", REQUIRED, msg))
            rules.append(Rule(opt_when, "frames", {"required": ["first"]}, msg))
    if m.director:
        msg = (
            "camera moves go in [brackets] of 1 to 3 moves from the list "
            "(`reel models` lists them), brackets balanced"
        )
        rules.append(Rule(when, "prompt", {"pattern": camera_pattern}, msg))
    return rules


def _no(key: str, message: str) -> Schema:
    return {"properties": {key: False}, "errorMessage": message}


def _frame_rules(m: Model, when: tuple[tuple[str, Condition | str], ...]) -> list[Rule]:
    rules: list[Rule] = []
    if m.first == "none":
        msg = f"{m.name} takes no first frame ({m.kind} model)"
        rules.append(Rule(when, "frames", _no("first", msg), msg))
    elif m.first == "required":
        msg = f"{m.name} needs a first frame (frames.first)"
        rules.append(Rule(when, "frames", REQUIRED, msg))
        rules.append(Rule(when, "frames", {"required": ["first"]}, msg))
    if not m.allows_last:
        msg = f"{m.name} takes no end frame (frames.last)"
        rules.append(Rule(when, "frames", _no("last", msg), msg))
    lo, hi = m.references
    if hi == 0:
        msg = f"{m.name} takes no references (only S2V models do)"
        rules.append(Rule(when, "frames", _no("references", msg), msg))
    else:
        count = f"exactly {lo}" if lo == hi else f"{lo} to {hi}"
        msg = f"{m.name} takes {count} reference images"
        refs = {"properties": {"references": {"minItems": lo, "maxItems": hi}}}
        # A `cast:` adds its members' images to the references: only `reel validate` can count
        # them, so these rules hold for shots without one.
        castless = (*when, ("cast", ABSENT))
        rules.append(Rule(castless, "frames", refs, msg))
        if lo > 0:
            rules.append(Rule(castless, "frames", REQUIRED, msg))
            rules.append(Rule(castless, "frames", {"required": ["references"]}, msg))
    return rules


def all_rules(cat: Catalogue, camera_pattern: str) -> list[Rule]:
    """The rules of every model, and the prompt a shot without frames needs."""
    no_frames: tuple[tuple[str, Condition | str], ...] = (("frames", ABSENT),)
    rules = [
        Rule(no_frames, "prompt", REQUIRED, "a shot without frames needs a prompt"),
        Rule(
            no_frames,
            "prompt",
            {"pattern": r"\S"},
            "a shot without frames needs a prompt, and this one is empty; write one",
        ),
    ]
    for m in cat.models.values():
        rules += model_rules(cat, m, camera_pattern)
    return rules
