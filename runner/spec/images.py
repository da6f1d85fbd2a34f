"""Local images: what a file is by its content (PNG, JPEG or WebP), its size in pixels and bytes.

The API takes PNG and JPEG uploads (WebP goes up as image/jpeg), so a file is judged by its
first bytes, never by its name: a `.png` that is really a GIF is caught here, not after a
paid render failed.
"""

from __future__ import annotations

import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/jpeg"}
"""Pillow's format name → the Content-Type the upload uses."""

_MAGIC = (
    (b"GIF8", "a GIF"),
    (b"%PDF", "a PDF"),
    (b"BM", "a BMP"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """A readable PNG, JPEG or WebP file."""

    format: str
    width: int
    height: int
    bytes: int

    @property
    def content_type(self) -> str:
        """The Content-Type the upload uses."""
        return FORMATS[self.format]


@dataclass(frozen=True, slots=True)
class ImageProblem:
    """Why a file cannot be used as a frame (the message says what to do)."""

    message: str


def _what_is(head: bytes) -> str:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:1] in (b"{", b"<") or all(32 <= b < 127 or b in (9, 10, 13) for b in head[:64]):
        return "text" if head else "empty"
    return "not an image Pillow can read"


def _open(path: Path) -> tuple[int, bytes, str, int, int] | ImageProblem:
    """(bytes, first bytes, Pillow's format or "", width, height) of a regular file."""
    from PIL import Image

    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            # A folder is a common slip; a FIFO or device would block the read below.
            is_dir = stat.S_ISDIR(status.st_mode)
            return ImageProblem("is a folder, not an image" if is_dir else "is not a regular file")
        with path.open("rb") as f:
            head = f.read(64)
            f.seek(0)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with Image.open(f) as img:
                        return status.st_size, head, img.format or "", *img.size
            except Exception:  # noqa: BLE001 - Pillow raises many types on a corrupt file
                return status.st_size, head, "", 0, 0
    except FileNotFoundError:
        return ImageProblem("no such file")
    except ValueError:
        return ImageProblem("is not a usable file name")
    except OSError as exc:
        return ImageProblem(f"cannot read it: {exc.strerror or exc}")


def inspect(path: Path) -> ImageInfo | ImageProblem:
    """Sniff a local image by content; never raises for a bad or missing file."""
    opened = _open(path)
    if isinstance(opened, ImageProblem):
        return opened
    size, head, fmt, width, height = opened
    if fmt not in FORMATS:
        found = f"a {fmt}" if fmt else _what_is(head)
        return ImageProblem(f"is not a PNG, JPEG or WebP image (its content is {found})")
    return ImageInfo(format=fmt, width=width, height=height, bytes=size)
