"""Generates the pipeline file's JSON Schema (draft-07) from the model catalogue.

The schema is never written by hand: `python -m runner.spec.schema_gen` rewrites
schema/pipeline.schema.json, and a test fails when the committed file is stale. Editors use it
for completion and red squiggles; it applies every per-model rule to each shot *with its
defaults and inferred model* (`runner.spec.schema_rules`), so the editor, check-jsonschema and
`reel validate` agree on every file up to what only code can check (files, image sizes,
duplicate ids, fileIDs and accounts). `runner.spec.validate` runs the same field definitions on
each shot after merging its defaults (`merged_shot`).

Draft-07, not 2020-12: it is what yaml-language-server implements, and a validator checks a
draft-07 schema against its meta-schema ten times faster (check-jsonschema does, on every run).
New top-level keys go in `_top_properties`, new shot keys in `_fields` (or
`_shot_properties` when `defaults:` may not set them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from runner.spec import camera, catalogue, schema_rules
from runner.spec.catalogue import Catalogue, Model

DRAFT = "http://json-schema.org/draft-07/schema#"
NEVER: dict[str, Any] = {"not": {}}
"""Forbids a key (not `false`: jsonschema then reports the key's own path)."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ACCOUNT_PATTERN = r"^[0-9]{1,32}$"
FILE_ID_PATTERN = r"^user:[0-9]+-minimax:([0-9]+)-file:\S+$"
URL_PATTERN = r"^https?://\S+$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
"""A var or cast member: what `{name}` in a prompt may hold."""
LOOK_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
"""A look's name (it can end up in a matrix variant's id, so file-name characters only)."""
FRAME = "#/definitions/frame"
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
            "first": {"$ref": SHOT_FRAME, "description": "The first frame (fileID)."},
            "last": {"$ref": SHOT_FRAME, "description": "The end frame (end_frame_fileID)."},
            "references": {
                "description": "Subject reference images (S2V models).",
                "type": "array",
                "minItems": 1,
                "maxItems": most,
                "items": {"$ref": SHOT_FRAME},
            },
        },
    }
    if cat.last_needs_first:
        out["dependentRequired"] = {"last": ["first"]}
        # The file is draft-07 (`dependencies`); Reel runs it with a 2020-12 validator, which
        # reads `dependentRequired`.
        out["$comment"] = "`dependentRequired` repeats `dependencies` for 2020-12 validators."
        out["dependencies"] = {"last": ["first"]}
    return out


def _fields(cat: Catalogue) -> dict[str, Any]:
    """Every shot field but `id` (also what `defaults:` may set)."""
    options = sorted({o.name for m in cat.models.values() for o in m.options})
    lo, hi = cat.takes_range
    names = list(cat.model_names)
    # An unquoted `02` is the integer 2 in YAML 1.2 tools (Reel reads it as the text "02").
    numeric = [int(n) for n in names if n.isdigit() and n.startswith("0")]
    return {
        "model": {
            "description": "The model; default T2V-01 (text), I2V-01 (first frame), "
            "S2V-01 (references).",
            "enum": [*names, *numeric],
            # Not a JSON Schema keyword: VS Code and yaml-language-server show these in
            # completion lists; validators ignore it.
            "markdownEnumDescriptions": [_model_description(m) for m in cat.models.values()]
            + [f"{n:02d}, written without quotes" for n in numeric],
            "errorMessage": "model is one of " + ", ".join(names) + " (`reel models`)",
        },
        "options": {
            "description": "Resolution and duration (not for Hailuo 01 models); default: the "
            "model's cheapest.",
            "markdownDescription": "Resolution and duration; each model takes its own list "
            "(`reel models`). Credits per video:\n\n"
            + "\n".join(f"- `{o}`: {_option_description(cat, o)}" for o in options),
            "enum": options,
            "markdownEnumDescriptions": [_option_description(cat, o) for o in options],
        },
        "prompt": {
            "description": "What happens in the shot. Director models read camera moves in "
            "[brackets].",
            "markdownDescription": "What happens in the shot (at most "
            f"{cat.max_prompt_chars} characters). `T2V-01-Director` and `I2V-01-Director` "
            f"read 1 to {cat.max_camera_moves} camera moves per `[bracket]`: "
            + ", ".join(f"`{m}`" for m in cat.camera_moves)
            + ".",
            "type": "string",
            "maxLength": cat.max_prompt_chars,
            "examples": ["A slow dolly across a sunlit cafe counter"],
        },
        "aspectRatio": {
            "description": "Sora-2 and Veo models only; default 16:9.",
            "enum": list(cat.aspect_ratios),
            "default": cat.default_aspect_ratio,
        },
        "promptOptimization": {
            "description": "Let MiniMax rewrite the prompt.",
            "type": "boolean",
            "default": False,
        },
        "frames": {"$ref": "#/definitions/frames"},
        "takes": {
            "description": f"Independent renders of the same shot, {lo}-{hi}; default {lo}.",
            "markdownDescription": f"Independent renders of the same shot: **{lo}-{hi}**, "
            f"default {lo}. Each take is a video of its own, paid for separately.",
            "type": "integer",
            "minimum": lo,
            "maximum": hi,
            "default": lo,
        },
        "account": {
            "$ref": "#/definitions/accountId",
            "description": "Pin the shot to one account.",
        },
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
        **_storyboard_fields(),
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


# --- Storyboard parts: vars, looks, cast, matrix. Kept apart from the rest so
# that other changes to the generator merge cleanly.


def _storyboard_top() -> dict[str, Any]:
    """The top-level `vars:`, `looks:` and `cast:` sections."""
    return {
        "vars": {
            "description": "Prompt variables: {name} in a prompt is replaced by its text; "
            "{{ and }} are literal braces.",
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"type": "string"},
        },
        "looks": {
            "description": "Named prompt fragments: a shot's `look:` is appended to its prompt "
            "(or placed at {look}).",
            "type": "object",
            "propertyNames": {"pattern": LOOK_PATTERN, "not": {"const": "none"}},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "cast": {
            "description": "Named subjects: a shot's `cast:` feeds their reference images to "
            "the model (S2V-01, Veo-3.1-S2V, Veo-3.1-S2V-Fast); {name} in a prompt is the "
            "description.",
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/definitions/castMember"},
        },
    }


def _storyboard_defs(cat: Catalogue) -> dict[str, Any]:
    most = max(m.references[1] for m in cat.models.values())
    return {
        "castMember": {
            "type": "object",
            "additionalProperties": False,
            "required": ["references"],
            "properties": {
                "description": {
                    "description": "What {name} in a prompt becomes; default: the name.",
                    "type": "string",
                    "minLength": 1,
                },
                "references": {
                    "description": "Reference images: local files or fileIDs.",
                    "type": "array",
                    "minItems": 1,
                    "maxItems": most,
                    "items": {"$ref": "#/definitions/frame"},
                },
            },
        },
    }


def _storyboard_fields() -> dict[str, Any]:
    """Shot fields (also allowed in `defaults:`): `look` and `cast`."""
    return {
        "look": {
            "description": "A look from `looks:`, appended to the prompt; `none` turns a "
            "default look off.",
            "type": "string",
            "pattern": LOOK_PATTERN,
        },
        "cast": {
            "description": "Cast members whose reference images this shot uses, in order.",
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": NAME_PATTERN},
        },
    }


def _matrix(cat: Catalogue) -> dict[str, Any]:
    """A shot's `matrix:`: one variant per combination a model can take."""
    options = sorted({o.name for m in cat.models.values() for o in m.options})

    def axis(items: dict[str, Any], what: str) -> dict[str, Any]:
        return {
            "description": what,
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": items,
        }

    return {
        "description": "Render this shot once per combination (id <id>.<value>.<value>…); "
        "combinations a model cannot take are left out.",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "model": axis({"enum": list(cat.model_names)}, "Models to compare."),
            "options": axis({"enum": options}, "Options to compare."),
            "aspectRatio": axis({"enum": list(cat.aspect_ratios)}, "Aspect ratios to compare."),
            "look": axis({"type": "string", "pattern": LOOK_PATTERN}, "Looks to compare."),
        },
    }


# --- end of the storyboard parts


# --- Continuity: a frame of another shot wherever a shot's own image may stand.
# Kept apart, like the storyboard parts, so that other changes to the generator merge cleanly.

SHOT_FRAME = "#/definitions/shotFrame"
"""What `frames.first`, `frames.last` and `frames.references[]` hold."""
FIT_MODES = ("crop", "pad")


def _continuity_defs() -> dict[str, Any]:
    """`shotFrame`: an image (`frame`) or `{shot: ID, frame: first|last|SECONDS, fit: ...}`."""
    return {
        "shotFrame": {
            "if": {"type": "object"},
            "then": {"$ref": "#/definitions/upstreamFrame"},
            "else": {"$ref": "#/definitions/frame"},
        },
        "upstreamFrame": {
            "description": "A frame of another shot's video (its selected take): the shot "
            "continues where that one ends.",
            "type": "object",
            "additionalProperties": False,
            "required": ["shot"],
            "properties": {
                "shot": {
                    "description": "The id of the shot whose video gives the frame.",
                    "type": "string",
                    "pattern": ID_PATTERN,
                },
                "frame": {
                    "description": "first, last (default) or a moment in seconds.",
                    "type": ["string", "number"],
                    "if": {"type": "string"},
                    "then": {"enum": ["first", "last"]},
                    "else": {"minimum": 0},
                },
                "fit": {
                    "description": "Where the model needs an exact size (Sora-2): crop to fill "
                    "(default, centred) or pad.",
                    "enum": list(FIT_MODES),
                },
            },
        },
    }


def _shot_properties(cat: Catalogue) -> dict[str, Any]:
    """A shot's keys: `id` and every field (new shot keys go in `_fields`)."""
    return {
        "id": {
            "description": "Unique; names the output file (<id>.mp4).",
            "markdownDescription": "Unique (ignoring case); names the output file: "
            "`<id>.mp4`, or `<id>-take<N>.mp4` with several takes.",
            "type": "string",
            "pattern": ID_PATTERN,
            "errorMessage": "an id is 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
        },
        **_fields(cat),
        "matrix": _matrix(cat),
        "select": {
            "description": "The take that goes into the cut (`reel select` writes it); "
            "default 1. Choosing a take renders nothing again.",
            "type": "integer",
            "minimum": 1,
            "maximum": cat.takes_range[1],
        },
    }


def merged_shot(cat: Catalogue) -> dict[str, Any]:
    """One shot with `defaults:` applied and its model filled in: what `reel validate` runs
    (its messages read the errors of these rules, `runner.spec.messages`)."""
    return {
        "description": "One shot: a video (or several takes of it).",
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": _shot_properties(cat),
        "allOf": [
            {"if": {"not": {"required": ["frames"]}}, "then": {"required": ["prompt"]}},
            *(_model_rule(m) for m in cat.models.values()),
        ],
    }


def _top_properties(cat: Catalogue) -> dict[str, Any]:
    """The pipeline's top-level keys (new ones go here, in the order editors list them)."""
    lo, hi = cat.max_jobs_range
    return {
        "version": {"description": "The pipeline format's version.", "const": 1, "default": 1},
        "name": {
            "description": "Default: the file's stem.",
            "type": "string",
            "pattern": ID_PATTERN,
        },
        "catalogue": {
            "description": "A catalogue overlay (YAML or JSON, relative to the pipeline file) "
            "that adds models and options or changes prices; `--catalogue FILE` overrides it. "
            "The editor knows only Reel's own models: `reel schema --catalogue FILE` prints "
            "a schema that knows the added ones.",
            "type": "string",
            "minLength": 1,
            "examples": ["catalogue-seedance.yaml"],
        },
        "output": {
            "description": "Output folder, relative to the pipeline file; default renders/<name>.",
            "type": "string",
            "minLength": 1,
            "examples": ["renders/coffee-spot"],
        },
        "accounts": {
            "description": f"The MiniMax accounts to use, with their job limits ({lo}-{hi}).",
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ACCOUNT_PATTERN},
            "additionalProperties": {"$ref": "#/definitions/account"},
        },
        "defaults": {
            "description": "Any shot field except id, applied to every shot that leaves it out.",
            "type": "object",
            "additionalProperties": False,
            "properties": _fields(cat),
        },
        **_storyboard_top(),
        "cut": _cut(),
        "shots": {
            "description": "The storyboard: at least one shot.",
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/definitions/shot"},
        },
    }


def _editor_shot(cat: Catalogue, rules: list[dict[str, Any]]) -> dict[str, Any]:
    properties = _shot_properties(cat)
    # No list of every option here: the model's rule lists its own, so an editor completes
    # only those (every shot has a model, given or inferred, and so an options rule).
    properties["options"] = {
        k: v for k, v in properties["options"].items() if not k.endswith(("enum", "Descriptions"))
    } | {"type": "string"}
    return {
        "description": "One shot: a video (or several takes of it).",
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": properties,
        "defaultSnippets": [
            {
                "label": "New shot",
                "description": "A shot with an id, a prompt and a model",
                "body": {"id": "$1", "prompt": "$2", "model": "${3:T2V-2.3}"},
            }
        ],
        "allOf": rules,
    }


def generate(cat: Catalogue | None = None) -> dict[str, Any]:
    """The whole pipeline schema as a JSON-ready dict, in a stable order."""
    cat = cat or catalogue.load()
    pattern = camera.director_pattern(cat.camera_moves, cat.max_camera_moves)
    compiled = schema_rules.compile_rules(cat, schema_rules.all_rules(cat, pattern))
    lo, hi = cat.max_jobs_range
    return {
        "$schema": DRAFT,
        "$comment": f"Generated from runner/spec/catalogue.json by `{REGENERATE}`; do not edit. "
        "Rules over a shot with its defaults: runner/spec/schema_rules.py.",
        "title": "Reel pipeline, version 1",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "shots"],
        "properties": _top_properties(cat),
        "allOf": compiled.root_rules(),
        "definitions": {
            "shot": _editor_shot(cat, compiled.shot_rules()),
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
                        "description": f"Jobs held at once (queued + rendering), {lo}-{hi}; "
                        "default 2.",
                        "type": "integer",
                        "minimum": lo,
                        "maximum": hi,
                        "default": 2,
                    }
                },
            },
            **_storyboard_defs(cat),
            **_continuity_defs(),
        },
    }


def render(cat: Catalogue | None = None) -> str:
    """The schema as the committed file holds it."""
    return json.dumps(generate(cat), indent=1, ensure_ascii=False) + "\n"


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
