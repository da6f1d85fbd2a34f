"""Catalogue overlays: models and options the API gained after this release, or new prices.

A pipeline's `catalogue:` (a YAML or JSON file, relative to the pipeline) or `--catalogue FILE`
gives part of a catalogue in the shape of `runner/spec/catalogue.json`; it is merged onto
Reel's own, model by model and option by option, and the result is checked against
`schema/catalogue.schema.json`, each problem located in the overlay file. Everything that reads
`catalogue.load()` (validation, the schema, `reel models`, plan prices, the review page) then
sees the merged catalogue; the run side hands it to the simulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner.spec import catalogue
from runner.spec.catalogue import Catalogue
from runner.spec.diagnostics import Diagnostic
from runner.spec.keypath import KeyPath, render
from runner.spec.loader import load_file
from runner.spec.packaged import schema_text

RULE = "catalogue"


def merge(base: Any, overlay: Any) -> Any:
    """`overlay` onto `base`: mappings key by key (recursively), anything else replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return overlay


def _validator() -> Any:
    import jsonschema

    text = schema_text("catalogue.schema.json")
    assert text is not None, "schema/catalogue.schema.json is shipped with Reel"
    return jsonschema.Draft7Validator(json.loads(text))


def load_overlay(path: Path, display: str) -> tuple[Catalogue | None, list[Diagnostic]]:
    """Reel's catalogue with the overlay file merged in, or None and what is wrong with it."""
    loaded = load_file(path, display)
    if loaded.diagnostics:
        return None, list(loaded.diagnostics)
    data = loaded.data
    marks = loaded.marks

    def problem(where: KeyPath, message: str) -> Diagnostic:
        line, col = marks.locate(where)
        return Diagnostic(display, line, col, render(where), "error", RULE, message)

    if not isinstance(data, dict):
        return None, [problem((), "a catalogue is a mapping, e.g. `models: {NAME: {...}}`")]
    merged = merge(catalogue.raw_catalogue(), data)
    out = [
        problem(tuple(e.absolute_path), e.message)
        for e in sorted(_validator().iter_errors(merged), key=lambda e: list(e.absolute_path))
    ]
    if not out:
        out = _consistency(merged, data, problem)
    if out:
        return None, out
    return catalogue.parse(merged), []


def _consistency(merged: dict[str, Any], data: dict[str, Any], problem: Any) -> list[Diagnostic]:
    """What the catalogue's schema cannot say: names that must point at each other."""
    out = []
    families = merged.get("families", {})
    for name in data.get("models") or {}:
        full = merged["models"][name]
        if full["family"] not in families:
            known = ", ".join(families)
            out.append(
                problem(
                    ("models", name, "family"),
                    f"no family {full['family']!r}; add it under `families:` or use one of {known}",
                )
            )
        options = full.get("options") or {}
        default = full.get("defaultOption")
        if options and default not in options:
            out.append(
                problem(
                    ("models", name, "defaultOption"),
                    f"defaultOption {default!r} is not one of {name}'s options "
                    f"({', '.join(options)})",
                )
            )
    return out
