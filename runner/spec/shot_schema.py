"""Runs the generated JSON Schema: once on the top level, once per distinct shot shape.

Shots of the same shape share one schema run: ids, prompts, reply references and frame paths
are replaced by placeholders when they are valid on their own, and everything the schema's
rules depend on (model, options, which frames, counts, types) is kept. Each placeholder is
only used for a value that passes the very check the schema makes of it. A 10,000-shot pipeline
typically has a handful of shapes, so validating it costs a handful of schema runs.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from runner.spec import catalogue, schema_gen
from runner.spec.catalogue import Catalogue
from runner.spec.checks import FILE_ID

_ID = re.compile(schema_gen.ID_PATTERN)
_URL = re.compile(schema_gen.URL_PATTERN)
_ACCOUNT = re.compile(schema_gen.ACCOUNT_PATTERN)


_built: dict[int, tuple[Catalogue, tuple[Any, Any]]] = {}


def validators() -> tuple[Any, Any]:
    """(top level without the shots' insides, one shot): built once per catalogue."""
    cat = catalogue.load()
    found = _built.get(id(cat))
    if found is None or found[0] is not cat:
        found = _built[id(cat)] = (cat, _validators(cat))
    return found[1]


def _validators(cat: Catalogue) -> tuple[Any, Any]:
    import jsonschema

    schema = schema_gen.generate(cat)
    cls = jsonschema.Draft202012Validator
    top = json.loads(json.dumps(schema))
    top["properties"]["shots"] = {"type": "array", "minItems": 1}
    # The root's rules are the editor's view of the shots with their defaults; here each
    # shot is checked merged, below.
    del top["allOf"]
    defs = {**schema["definitions"], "shot": schema_gen.merged_shot(cat)}
    shot = {"$schema": schema["$schema"], "definitions": defs, "$ref": "#/definitions/shot"}
    return (
        cls(top, format_checker=cls.FORMAT_CHECKER),
        cls(shot, format_checker=cls.FORMAT_CHECKER),
    )


@cache
def default_fields() -> frozenset[str]:
    """The fields `defaults:` may set."""
    return frozenset(schema_gen.generate()["properties"]["defaults"]["properties"])


def _placeholder_frames(frames: Any) -> Any:
    if not isinstance(frames, dict):
        return frames
    out: dict[str, Any] = {}
    for key, value in frames.items():
        if isinstance(value, list):
            out[key] = [_placeholder_frame(v) for v in value]
        else:
            out[key] = _placeholder_frame(value)
    return out


def _placeholder_frame(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("shot"), str) and _ID.match(value["shot"]):
        return {**value, "shot": "x"}  # which shot it names is continuity's to check
    if not isinstance(value, str) or not value:
        return value
    if value.startswith("user:"):
        return "user:1-minimax:1-file:x" if FILE_ID.match(value) else value
    return "local"


def _valid_url(url: Any, cat: Catalogue) -> bool:
    return (
        isinstance(url, str)
        and len(url) <= cat.max_reply_chars
        and _URL.match(url) is not None
        and bool(validators()[1].format_checker.conforms(url, "uri"))
    )


def shape_key(shot: dict[str, Any], cat: Catalogue) -> str:
    """A cache key: the shot with every value the schema only checks in isolation replaced
    by a placeholder when it is valid (an invalid one is kept, so its error is reported)."""
    shape = dict(shot)
    if isinstance(shape.get("id"), str) and _ID.match(shape["id"]):
        shape["id"] = "x"
    prompt = shape.get("prompt")
    if isinstance(prompt, str) and len(prompt) <= cat.max_prompt_chars:
        shape["prompt"] = "p"
    ref = shape.get("replyRef")
    if isinstance(ref, str) and len(ref) <= cat.max_reply_chars:
        shape["replyRef"] = "r"
    if _valid_url(shape.get("replyUrl"), cat):
        shape["replyUrl"] = "https://u"
    if isinstance(shape.get("account"), str) and _ACCOUNT.match(shape["account"]):
        shape["account"] = "1"
    if "frames" in shape:
        shape["frames"] = _placeholder_frames(shape["frames"])
    # repr, not sorted JSON: equal reprs mean equal values, and it is several times faster;
    # keys in another order only cost a cache miss.
    return repr(shape)


class ShapeCache:
    """Schema errors of each distinct shot shape."""

    def __init__(self, cat: Catalogue) -> None:
        self._cat = cat
        self._known: dict[str, list[Any]] = {}

    def errors(self, shot: dict[str, Any]) -> list[Any]:
        """The schema's errors for a shot (defaults applied), computed once per shape."""
        key = shape_key(shot, self._cat)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = list(validators()[1].iter_errors(shot))
        return found
