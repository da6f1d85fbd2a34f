"""`reel models`: the catalogue as a table (or JSON): model, kind, options, frames, credits."""

from __future__ import annotations

import json
from typing import Any

from runner.catalogue import Model
from runner.errors import EXIT_OK


def frames_text(m: Model) -> str:
    """What images a model takes, e.g. `first optional, last (768p/1080p)`."""
    parts = []
    if m.first != "none":
        parts.append(f"first {m.first}")
    if m.allows_last:
        ok = [o.resolution for o in m.options if o.allows_last]
        partial = len(ok) < len(m.options)
        parts.append(f"last ({'/'.join(dict.fromkeys(ok))})" if partial else "last")
    lo, hi = m.references
    if hi:
        parts.append(f"{lo} reference" if lo == hi == 1 else f"{lo}-{hi} references")
    if m.first_sizes:
        parts.append(" or ".join(f"{w}x{h}" for w, h in m.first_sizes.values()))
    return ", ".join(parts) or "none (text only)"


def model_json(m: Model) -> dict[str, Any]:
    """One model as `reel models --json` prints it."""
    return {
        "model": m.name,
        "family": m.family_label,
        "kind": m.kind,
        "note": m.note,
        "options": [
            {"name": o.name, "credits": o.credits, "seconds": o.seconds, "resolution": o.resolution}
            for o in m.options
        ],
        "defaultOption": m.default_option,
        "credits": m.credits,
        "first": m.first,
        "last": m.allows_last,
        "references": list(m.references),
        "aspectRatio": m.aspect_ratio,
        "director": m.director,
        "frames": frames_text(m),
    }


def main(*, as_json: bool) -> int:
    """Print the catalogue as a table, or as JSON."""
    from runner import catalogue

    cat = catalogue.load()
    if as_json:
        print(json.dumps([model_json(m) for m in cat.models.values()], indent=2))
        return EXIT_OK
    from runner.commands.tables import print_models

    print_models(cat)
    return EXIT_OK
