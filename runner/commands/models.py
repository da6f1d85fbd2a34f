"""`reel models`: the catalogue as a table (or JSON): model, kind, options, frames, credits."""

from __future__ import annotations

import json
from typing import Any

from runner.commands.tables import frames_text
from runner.errors import EXIT_OK
from runner.spec.catalogue import Model


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


def main(*, as_json: bool, overlay: str | None = None) -> int:
    """Print the catalogue (with the overlay `overlay` merged in) as a table, or as JSON."""
    from runner.commands.loading import overlaid_catalogue

    cat = overlaid_catalogue(overlay)
    if as_json:
        print(json.dumps([model_json(m) for m in cat.models.values()], indent=2))
        return EXIT_OK
    from runner.commands.tables import print_models

    print_models(cat)
    return EXIT_OK
