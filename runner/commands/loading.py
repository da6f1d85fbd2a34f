"""The pipeline a command works on: loaded, its diagnostics shown, refused when invalid."""

from __future__ import annotations

import sys
from pathlib import Path

from runner.errors import UsageError
from runner.spec.diagnostics import has_errors
from runner.spec.pipeline import Pipeline


def valid_pipeline(file: str, refused: str, path: Path | None = None) -> Pipeline:
    """Load FILE and print its diagnostics (warnings too) to stderr; when it has errors, raise
    a UsageError (exit 2) saying `refused` ("nothing was run"): nothing is ever spent on it."""
    from runner.spec.validate import load_pipeline

    pipeline, diagnostics = load_pipeline(path or Path(file), file)
    for d in diagnostics:
        print(d.render(), file=sys.stderr)
    if pipeline is None or has_errors(diagnostics):
        raise UsageError(f"{file} is not valid: {refused}")
    return pipeline
