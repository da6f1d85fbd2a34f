"""The pipeline a command works on: loaded, its diagnostics shown, refused when invalid."""

from __future__ import annotations

import sys
from pathlib import Path

from runner.errors import UsageError
from runner.spec.catalogue import Catalogue
from runner.spec.diagnostics import has_errors
from runner.spec.pipeline import Pipeline


def valid_pipeline(
    file: str, refused: str, path: Path | None = None, overlay: str | None = None
) -> Pipeline:
    """Load FILE and print its diagnostics (warnings too) to stderr; when it has errors, raise
    a UsageError (exit 2) saying `refused` ("nothing was run"): nothing is ever spent on it.
    `overlay`: a catalogue overlay file (`--catalogue`)."""
    from runner.spec.validate import load_pipeline

    pipeline, diagnostics = load_pipeline(
        path or Path(file), file, Path(overlay) if overlay else None
    )
    for d in diagnostics:
        print(d.render(), file=sys.stderr)
    if pipeline is None or has_errors(diagnostics):
        raise UsageError(f"{file} is not valid: {refused}")
    return pipeline


def overlaid_catalogue(overlay: str | None) -> Catalogue:
    """Reel's catalogue, with the overlay file merged in when one is given (its problems on
    stderr and exit 2 when it is not valid); made the one in use."""
    from runner.spec import catalogue
    from runner.spec.overlay import load_overlay

    if overlay is None:
        return catalogue.load()
    cat, problems = load_overlay(Path(overlay), overlay)
    for d in problems:
        print(d.render(), file=sys.stderr)
    if cat is None:
        raise UsageError(f"{overlay} is not a valid catalogue overlay")
    catalogue.use(cat, overlay)
    return cat
