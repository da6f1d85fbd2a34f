"""`reel schema [--manifest]`: print a JSON Schema shipped with Reel."""

from __future__ import annotations

from runner.errors import EXIT_OK, UsageError


def main(*, manifest: bool) -> int:
    """Print the pipeline's schema (or the manifest's, when Reel ships it)."""
    from runner.spec.packaged import schema_text

    name = "manifest.schema.json" if manifest else "pipeline.schema.json"
    text = schema_text(name)
    if text is None and not manifest:
        from runner.spec.schema_gen import render

        text = render()
    if text is None:
        raise UsageError("the manifest's schema is not available in this version of Reel yet")
    print(text, end="")
    return EXIT_OK
