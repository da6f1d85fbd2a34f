"""Generates the pipeline file's JSON Schema (draft 2020-12) from the model catalogue.

The schema is never written by hand: `python -m runner.spec.schema_gen` rewrites
schema/pipeline.schema.json, and a test fails when the committed file is stale. Editors use it
for completion and red squiggles; `runner.spec.validate` uses the same definitions on every shot
(after applying `defaults:`), then checks in code what a schema cannot express (files, image
sizes, camera moves, accounts).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from runner.spec import catalogue
from runner.spec.catalogue import Catalogue, Model

DRAFT = "https://json-schema.org/draft/2020-12/schema"
NEVER: dict[str, Any] = {"not": {}}
"""Forbids a key (not `false`: jsonschema then reports the key's own path)."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ACCOUNT_PATTERN = r"^[0-9]{1,32}$"
FILE_ID_PATTERN = r"^user:[0-9]+-minimax:([0-9]+)-file:\S+$"
URL_PATTERN = r"^https?://\S+$"
CUT_SIZE_PATTERN = r"^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$"
MAX_CROSSFADE = 2
SCHEMA_FILE = "pipeline.schema.json"
REGENERATE = "python -m runner.spec.schema_gen"


def _model_description(m: Model) -> str:
    price = (
        f"{m.credits} credits"
        if m.credits is not None
        else ", ".join(f"{o.name} {o.credits}" for o in m.options) + " credits"
    )
    return f"{m.name}: {m.family_label}, {m.kind}, {m.note}. {price}."


def _option_description(cat: Catalogue, option: str) -> str:
    prices = [
        f"{m.name} {found.credits}"
        for m in cat.models.values()
        if (found := m.option(option)) is not None
    ]
    return "Credits: " + ", ".join(prices) + "."


def _frame() -> dict[str, Any]:
    return {
        "description": "A local PNG, JPEG or WebP (relative to the pipeline file) or a fileID "
        "(user:<uid>-minimax:<account>-file:<id>).",
        "type": "string",
        "minLength": 1,
        "if": {"pattern": "^user:"},
        "then": {"pattern": FILE_ID_PATTERN},
    }


def _frames(cat: Catalogue) -> dict[str, Any]:
    most = max(m.references[1] for m in cat.models.values())
    out: dict[str, Any] = {
        "description": "The shot's images: first → fileID, last → end_frame_fileID, "
        "references → fileID, fileID2 … fileID14.",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "first": {"$ref": "#/$defs/frame", "description": "The first frame (fileID)."},
            "last": {"$ref": "#/$defs/frame", "description": "The end frame (end_frame_fileID)."},
            "references": {
                "description": "Subject reference images (S2V models).",
                "type": "array",
                "minItems": 1,
                "maxItems": most,
                "items": {"$ref": "#/$defs/frame"},
            },
        },
    }
    if cat.last_needs_first:
        out["dependentRequired"] = {"last": ["first"]}
        # yaml-language-server (VS Code) validates with draft-07 keywords only; 2020-12
        # validators ignore `dependencies`, so both kinds of tool enforce the rule.
        out["$comment"] = "`dependencies` repeats `dependentRequired` for draft-07 editors."
        out["dependencies"] = {"last": ["first"]}
    return out


def _fields(cat: Catalogue) -> dict[str, Any]:
    """Every shot field but `id` (also what `defaults:` may set)."""
    options = sorted({o.name for m in cat.models.values() for o in m.options})
    lo, hi = cat.takes_range
    return {
        "model": {
            "description": "The model; default T2V-01 (text), I2V-01 (first frame), "
            "S2V-01 (references).",
            "enum": list(cat.model_names),
            # Not a JSON Schema keyword: VS Code and yaml-language-server show these in
            # completion lists; validators ignore it.
            "markdownEnumDescriptions": [_model_description(m) for m in cat.models.values()],
        },
        "options": {
            "description": "Resolution and duration (not for Hailuo 01 models); default: the "
            "model's cheapest.",
            "enum": options,
            "markdownEnumDescriptions": [_option_description(cat, o) for o in options],
        },
        "prompt": {
            "description": "What happens in the shot. Director models read camera moves in "
            "[brackets].",
            "type": "string",
            "maxLength": cat.max_prompt_chars,
        },
        "aspectRatio": {
            "description": "Sora-2 and Veo models only; default 16:9.",
            "enum": list(cat.aspect_ratios),
        },
        "promptOptimization": {"description": "Let MiniMax rewrite the prompt.", "type": "boolean"},
        "frames": {"$ref": "#/$defs/frames"},
        "takes": {
            "description": "Independent renders of the same shot.",
            "type": "integer",
            "minimum": lo,
            "maximum": hi,
        },
        "account": {"$ref": "#/$defs/accountId", "description": "Pin the shot to one account."},
        "replyUrl": {
            "description": "Callback URL passed to the API.",
            "type": "string",
            "maxLength": cat.max_reply_chars,
            "format": "uri",
            "pattern": URL_PATTERN,
        },
        "replyRef": {
            "description": "Reference id passed to the API.",
            "type": "string",
            "maxLength": cat.max_reply_chars,
        },
    }


def _cut() -> dict[str, Any]:
    """`cut:`: how `<output>/cut.mp4` is assembled (independent of the catalogue)."""
    return {
        "description": "The cut (<output>/cut.mp4): the selected take of every shot, in order.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "size": {
                "description": "WIDTHxHEIGHT, even numbers; default: the shots' most common "
                "aspect ratio at 720p (1280x720 or 720x1280).",
                "type": "string",
                "pattern": CUT_SIZE_PATTERN,
            },
            "fps": {
                "description": "Frames per second; default 24.",
                "type": "integer",
                "minimum": 1,
                "maximum": 60,
            },
            "transition": {
                "description": "Between shots: a hard cut by default.",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "crossfade": {
                        "description": "Seconds each pair of shots overlaps.",
                        "type": "number",
                        "minimum": 0,
                        "maximum": MAX_CROSSFADE,
                    }
                },
            },
            "music": {
                "description": "An audio file (relative to the pipeline file) mixed under the "
                "whole cut.",
                "type": "string",
                "minLength": 1,
            },
            "musicVolume": {
                "description": "The music's level, 0 to 1; default 0.3.",
                "type": "number",
                "minimum": 0,
                "maximum": 1,
            },
        },
    }


def _option_rules(m: Model) -> list[dict[str, Any]]:
    """Rules that depend on the option (02 at 512p: no end frame, needs a first frame)."""
    groups: dict[tuple[bool, bool], list[str]] = {}
    for o in m.options:
        if not o.allows_last or o.needs_first:
            groups.setdefault((o.allows_last, o.needs_first), []).append(o.name)
    rules = []
    for (allows_last, needs_first), names in groups.items():
        then: dict[str, Any] = {}
        frames: dict[str, Any] = {}
        if not allows_last and m.allows_last:
            frames["properties"] = {"last": NEVER}
        if needs_first and m.first != "required":
            frames["required"] = ["first"]
            then["required"] = ["frames"]
        then["properties"] = {"frames": frames}
        cond = {"properties": {"options": {"enum": names}}, "required": ["options"]}
        rules.append({"if": cond, "then": then})
    return rules


def _model_rule(m: Model) -> dict[str, Any]:
    props: dict[str, Any] = {}
    props["options"] = {"enum": list(m.option_names)} if m.options else NEVER
    if not m.aspect_ratio:
        props["aspectRatio"] = NEVER
    frame_props: dict[str, Any] = {}
    required: list[str] = []
    if m.first == "none":
        frame_props["first"] = NEVER
    elif m.first == "required":
        required.append("first")
    if not m.allows_last:
        frame_props["last"] = NEVER
    lo, hi = m.references
    if hi == 0:
        frame_props["references"] = NEVER
    else:
        frame_props["references"] = {"minItems": lo, "maxItems": hi}
        if lo > 0:
            required.append("references")
    frames: dict[str, Any] = {"properties": frame_props}
    if required:
        frames["required"] = required
    props["frames"] = frames
    then: dict[str, Any] = {"properties": props}
    if required:
        then["required"] = ["frames"]
    rules = _option_rules(m)
    if rules:
        then["allOf"] = rules
    return {
        "if": {"properties": {"model": {"const": m.name}}, "required": ["model"]},
        "then": then,
    }


def generate(cat: Catalogue | None = None) -> dict[str, Any]:
    """The whole pipeline schema as a JSON-ready dict, in a stable order."""
    cat = cat or catalogue.load()
    fields = _fields(cat)
    lo, hi = cat.max_jobs_range
    shot = {
        "description": "One shot: a video (or several takes of it).",
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {
                "description": "Unique; names the output file.",
                "type": "string",
                "pattern": ID_PATTERN,
            },
            **fields,
            "select": {
                "description": "The take that goes into the cut (`reel select` writes it); "
                "default 1. Choosing a take renders nothing again.",
                "type": "integer",
                "minimum": 1,
                "maximum": cat.takes_range[1],
            },
        },
        "allOf": [
            {"if": {"not": {"required": ["frames"]}}, "then": {"required": ["prompt"]}},
            *(_model_rule(m) for m in cat.models.values()),
        ],
    }
    return {
        "$schema": DRAFT,
        "$comment": f"Generated from runner/spec/catalogue.json by `{REGENERATE}`; do not edit.",
        "title": "Reel pipeline, version 1",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "shots"],
        "properties": {
            "version": {"description": "The pipeline format's version.", "const": 1},
            "name": {
                "description": "Default: the file's stem.",
                "type": "string",
                "pattern": ID_PATTERN,
            },
            "output": {
                "description": "Output folder, relative to the pipeline file; default "
                "renders/<name>.",
                "type": "string",
                "minLength": 1,
            },
            "accounts": {
                "description": "The MiniMax accounts to use, with their job limits.",
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": ACCOUNT_PATTERN},
                "additionalProperties": {"$ref": "#/$defs/account"},
            },
            "defaults": {
                "description": "Any shot field except id, applied to every shot.",
                "type": "object",
                "additionalProperties": False,
                "properties": fields,
            },
            "cut": _cut(),
            "shots": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/shot"}},
        },
        "$defs": {
            "shot": shot,
            "frames": _frames(cat),
            "frame": _frame(),
            "accountId": {
                "description": "A MiniMax account id (digits, quoted).",
                "type": "string",
                "pattern": ACCOUNT_PATTERN,
            },
            "account": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {
                    "maxJobs": {
                        "description": "Jobs held at once (queued + rendering); default 2.",
                        "type": "integer",
                        "minimum": lo,
                        "maximum": hi,
                    }
                },
            },
        },
    }


def render(cat: Catalogue | None = None) -> str:
    """The schema as the committed file holds it."""
    return json.dumps(generate(cat), indent=2, ensure_ascii=False) + "\n"


def schema_path() -> Path:
    """schema/pipeline.schema.json in the source tree."""
    return Path(__file__).resolve().parents[2] / "schema" / SCHEMA_FILE


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) schema/pipeline.schema.json."""
    args = sys.argv[1:] if argv is None else argv
    target = schema_path()
    text = render()
    if "--check" in args:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale; run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
