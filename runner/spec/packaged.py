"""Data files shipped with Reel: the JSON Schemas.

A wheel carries schema/ as `runner/schema_files/` (pyproject's force-include); an editable
install or a source checkout reads the repository's schema/ folder instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def schema_text(name: str) -> str | None:
    """The text of a schema file (e.g. "pipeline.schema.json"), or None if it is not shipped."""
    packaged = resources.files("runner").joinpath("schema_files", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parents[2] / "schema" / name
    if source.is_file():
        return source.read_text(encoding="utf-8")
    return None
