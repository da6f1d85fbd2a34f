"""`reel validate FILE...`: every problem of every file, as text lines or JSON, on stdout."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from runner.errors import EXIT_OK, EXIT_USAGE
from runner.spec.diagnostics import Diagnostic, has_errors


def _summary(checked: int, invalid: int, diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    files = f"{checked} file{'s' if checked != 1 else ''}"
    if not invalid:
        tail = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        return f"{files} valid{tail}"
    return (
        f"{invalid} of {files} invalid: {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


def main(files: list[str], fmt: str, overlay: str | None = None) -> int:
    """Validate each file; exit 0 when all are valid (warnings allowed), else 2."""
    from runner.spec.validate import load_pipeline

    everything: list[Diagnostic] = []
    invalid = 0
    for name in files:
        _, diagnostics = load_pipeline(Path(name), name, Path(overlay) if overlay else None)
        everything += diagnostics
        invalid += has_errors(diagnostics)
    if fmt == "json":
        print(json.dumps([asdict(d) for d in everything], indent=2, ensure_ascii=False))
    else:
        for d in everything:
            print(d.render())
        print(_summary(len(files), invalid, everything))
    return EXIT_USAGE if invalid else EXIT_OK
