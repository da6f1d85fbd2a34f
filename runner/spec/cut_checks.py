"""The rules of `cut:` a JSON Schema cannot express: an even canvas, a music file that exists.

Each finding is a `Finding` relative to the file's root; `runner.spec.validate` locates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.spec.checks import Finding

MIN_SIDE = 16


def check_cut(raw: Any, base: Path) -> list[Finding]:
    """Problems of the pipeline's `cut:` mapping (already of the schema's shape, or reported)."""
    if not isinstance(raw, dict):
        return []
    out: list[Finding] = []
    size = raw.get("size")
    if isinstance(size, str) and "x" in size:
        sides = [int(n) for n in size.split("x") if n.isdigit()]
        if len(sides) == 2 and any(n % 2 or n < MIN_SIDE for n in sides):
            even = "x".join(str(max(MIN_SIDE, n + n % 2)) for n in sides)
            out.append(
                Finding(
                    ("cut", "size"),
                    "error",
                    "cut",
                    f"the cut's size {size} must have even sides of at least {MIN_SIDE} "
                    f"pixels (H.264 needs them); use {even}",
                )
            )
    music = raw.get("music")
    if isinstance(music, str) and music:
        path = base / music
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            out.append(
                Finding(
                    ("cut", "music"),
                    "error",
                    "cut",
                    f"{music} {what} (looked for {path}); give an audio file relative to the "
                    "pipeline file",
                )
            )
    return out
