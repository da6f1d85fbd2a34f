"""Small, safe pieces of the review page's HTML: escaped text, relative links, times, lengths.

Every string from a pipeline or a manifest goes through `esc` (prompts may hold `<script>`), and
every link through `href`, which accepts only a path inside the output folder and writes it
percent-encoded, so the page never points outside the folder it lives in.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote


def esc(text: object) -> str:
    """Text made safe for HTML content and quoted attribute values."""
    return html.escape(str(text), quote=True)


def inside(output_dir: Path, rel: str | None) -> str | None:
    """`rel` as a clean relative POSIX path when it names a file inside the output folder."""
    if not rel or "\\" in rel or "\x00" in rel:
        return None
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path.as_posix() if (output_dir / path).is_file() else None


def href(rel: str) -> str:
    """A relative path as an escaped attribute value (`./` keeps `a:b.mp4` from being a scheme)."""
    return esc("./" + quote(rel, safe="/"))


def when(t: datetime | None) -> str:
    if t is None:
        return "—"
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def span(seconds: float | None) -> str:
    """A length of time as people say it: 0.7 s, 42 s, 3 min 05 s, 2 h 14 min."""
    if seconds is None or seconds < 0:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def now() -> datetime:
    return datetime.now(UTC)
