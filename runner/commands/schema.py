"""`reel schema [--manifest] [--catalogue FILE]`: print a JSON Schema of Reel's files."""

from __future__ import annotations

from runner.errors import EXIT_OK, UsageError


def main(*, manifest: bool, overlay: str | None = None) -> int:
    """Print the pipeline's schema (or the manifest's, when Reel ships it); with an overlay,
    the pipeline's schema generated from the merged catalogue."""
    from runner.spec.packaged import schema_text

    if overlay is not None and not manifest:
        from runner.commands.loading import overlaid_catalogue
        from runner.spec.schema_gen import render

        print(render(overlaid_catalogue(overlay)), end="")
        return EXIT_OK
    name = "manifest.schema.json" if manifest else "pipeline.schema.json"
    text = schema_text(name)
    if text is None and not manifest:
        from runner.spec.schema_gen import render

        text = render()
    if text is None:
        raise UsageError("the manifest's schema is not available in this version of Reel yet")
    print(text, end="")
    return EXIT_OK
