"""Pictures for the review page, made inside the output folder so that it can be zipped whole.

Poster frames come from each MP4 (PyAV), thumbnails from each shot's frames (Pillow; the images
usually live beside the pipeline, outside the output folder). Both go to `<output>/.reel/report/`
named by the sha256 of their source, so a rewrite of the page makes only what is new; what no
longer appears on the page is removed. A video's duration is cached beside its poster, in
`index.json`, so that rewriting the page of a big run does not open every video again. A run
makes each video's poster as it downloads it (`runner.state.posters`) and gives its duration in
the manifest: the page at the end of a run opens no video it has a poster and a length for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, UnidentifiedImageError

from runner.state.manifest import write_atomic
from runner.state.plan import sha256_file
from runner.state.posters import REPORT_ASSETS, first_frame, save_jpeg, save_poster, seconds

ASSETS_DIR = REPORT_ASSETS
THUMB_SIZE = 200
_NAME = re.compile(r"^[0-9a-f]{64}\.jpg$")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the page shows of a video file: its poster (relative path) and length."""

    poster: str | None
    seconds: float | None
    readable: bool = True
    """False when PyAV cannot read the file: the page offers a link, not a player."""


def probe_and_poster(video: Path, target: Path | None) -> float | None:
    """The video's duration in seconds; also writes a JPEG poster frame to `target`."""
    with av.open(str(video)) as container:
        if not container.streams.video:
            return None
        length = seconds(container)
        if target is None:
            return length
        # The first frame: generated clips do not fade in, and it costs one decode (about a
        # millisecond), where seeking to a later frame decodes every frame before it.
        frame = first_frame(container)
        if frame is not None:
            save_poster(frame, target)
    return length


class Assets:
    """Makes and remembers the page's pictures for one output folder."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.folder = output_dir / ASSETS_DIR
        self._index_path = self.folder / "index.json"
        self._seconds: dict[str, float | None] = self._read_index()
        self._used: set[Path] = set()

    def _read_index(self) -> dict[str, float | None]:
        try:
            raw = json.loads(self._index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            k: float(v) if isinstance(v, int | float) else None
            for k, v in raw.items()
            if isinstance(k, str)
        }

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.output_dir).as_posix()

    def video(self, rel_path: str, sha256: str | None, seconds: float | None = None) -> VideoInfo:
        """Poster and duration of a video in the output folder (None when unreadable);
        `seconds`: its duration as the manifest gives it, if it does."""
        path = self.output_dir / rel_path
        try:
            key = sha256 if sha256 and re.fullmatch(r"[0-9a-f]{64}", sha256) else None
            key = key or sha256_file(path)
            poster = self.folder / "posters" / f"{key}.jpg"
            known = key in self._seconds or seconds is not None
            if known and poster.is_file():
                seconds = self._seconds.get(key, seconds)
                self._seconds[key] = seconds
            else:
                seconds = probe_and_poster(path, poster)
                self._seconds[key] = seconds
        except (OSError, av.error.FFmpegError):
            return VideoInfo(None, None, readable=False)
        if not poster.is_file():
            return VideoInfo(None, seconds)
        self._used.add(poster)
        return VideoInfo(self._rel(poster), seconds)

    def thumbnail(self, source: Path, sha256: str | None) -> str | None:
        """A small JPEG of a frame image (relative path), or None when it cannot be read."""
        key = sha256 if sha256 and re.fullmatch(r"[0-9a-f]{64}", sha256) else None
        target = self.folder / "frames" / f"{key}.jpg" if key else None
        if target is None or not target.is_file():
            try:
                key = key or sha256_file(source)
                target = self.folder / "frames" / f"{key}.jpg"
                if not target.is_file():
                    with Image.open(source) as image:
                        image.load()
                        save_jpeg(image, target, THUMB_SIZE)
            except (OSError, UnidentifiedImageError, ValueError):
                return None
        self._used.add(target)
        return self._rel(target)

    def finish(self) -> None:
        """Save the duration index; remove pictures that the page no longer shows."""
        for sub in ("posters", "frames"):
            for path in (self.folder / sub).glob("*.jpg"):
                if _NAME.match(path.name) and path not in self._used:
                    path.unlink(missing_ok=True)
        used = {p.stem for p in self._used}
        index = {k: v for k, v in self._seconds.items() if k in used}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self._index_path, json.dumps(index, indent=1, sort_keys=True) + "\n")
