"""Earlier outputs a rerun replaces or no longer claims: never overwritten, never deleted.

When a new video is about to take the place of a file at `<output>/<shot-id>.mp4` (the shot
changed, was forced, or the user damaged the file), that file is first moved to
`<output>/.reel/superseded/<stem>.<fingerprint[:8]>.mp4` (the fingerprint of the job that made
it; the time when that is unknown), with `-2`, `-3`, … when a name is taken by other content, so
that versions never collide. The move is recorded first in `.reel/superseded.jsonl` (one JSON
object a line, fsync'd), then made: a kill between the two leaves the file where it was and the
next run moves it again under the same name.

Outputs of shot-takes that left the pipeline stay where they are; the manifest lists them as
orphaned, with the time a run first saw them so (`.reel/orphaned.json`).

Both lists use the manifest's shapes (`schema/manifest.schema.json`): paths are relative to the
output folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runner.state.journal import Journal
from runner.state.manifest import write_atomic
from runner.state.plan import ShotTake, sha256_file

SUPERSEDED_DIR = "superseded"
SUPERSEDED_LOG = "superseded.jsonl"
ORPHANED_FILE = "orphaned.json"


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _append(log: Path, entry: dict[str, Any]) -> None:
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _free_name(folder: Path, stem: str, tag: str, sha: str) -> Path:
    """`<stem>.<tag>.mp4`, or `-2`, `-3`, … when another file has that name."""
    n = 1
    while True:
        name = f"{stem}.{tag}.mp4" if n == 1 else f"{stem}.{tag}-{n}.mp4"
        candidate = folder / name
        if not candidate.exists() or sha256_file(candidate) == sha:
            return candidate
        n += 1


def _made_by(journal: Path, key: str, sha: str) -> str | None:
    """The fingerprint of the job of `key` whose output had this sha256, if one had."""
    with contextlib.closing(sqlite3.connect(journal, timeout=30)) as db:
        row = db.execute(
            "SELECT fingerprint FROM jobs WHERE key = ? AND output_sha256 = ?"
            " ORDER BY id DESC LIMIT 1",
            (key, sha),
        ).fetchone()
    return str(row[0]) if row else None


class History:
    """The superseded and orphaned outputs of one output folder."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.state = output / ".reel"
        self.folder = self.state / SUPERSEDED_DIR
        self._orphaned: list[dict[str, Any]] = []

    def tidy(self) -> None:
        """Remove what a killed run left half-written: `.manifest.json.<pid>.tmp` files and
        `.<name>.mp4.part` downloads (the output folder is locked: no run is writing them)."""
        for pattern in (".*.tmp", ".*.mp4.part"):
            for leftover in self.output.glob(pattern):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def superseded(self) -> list[dict[str, Any]]:
        """The manifest's `superseded` list: every recorded move whose file is in place."""
        entries: dict[str, dict[str, Any]] = {}
        try:
            lines = (self.state / SUPERSEDED_LOG).read_text("utf-8").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a kill: its move never happened
                continue
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("path"), str)
                and (self.output / entry["path"]).is_file()
            ):
                entries.setdefault(entry["path"], entry)
        return list(entries.values())

    def set_aside(
        self, take: ShotTake, target: Path, new_sha: str, journal: Journal, forced: bool
    ) -> dict[str, Any] | None:
        """Move what is at `target` out of the way of a new video (sha256 `new_sha`); the
        manifest entry, or None when there was nothing to move (or it is that same video)."""
        try:
            old_sha = sha256_file(target)
        except FileNotFoundError:
            return None
        if old_sha == new_sha:
            return None
        made_by = _made_by(journal.path, take.key, old_sha)
        if made_by is None:
            tag, reason = time.strftime("%Y%m%dT%H%M%S", time.gmtime()), "damaged or edited"
        else:
            tag = made_by[:8]
            reason = "forced (--force)" if forced or made_by == take.fingerprint else "changed"
        self.folder.mkdir(parents=True, exist_ok=True)
        dest = _free_name(self.folder, target.stem, tag, old_sha)
        entry = {
            "key": take.key,
            "id": take.shot.id,
            "take": take.take,
            "path": _rel(dest, self.output),
            "sha256": old_sha,
            "fingerprint": made_by,
            "supersededAt": iso(time.time()),
            "reason": reason,
        }
        _append(self.state / SUPERSEDED_LOG, entry)
        if dest.exists():  # the same content already set aside: keep one copy
            target.unlink()
        else:
            target.replace(dest)
        return entry

    def find_orphans(self, journal: Journal, keys: Iterable[str]) -> None:
        """Note the outputs of shot-takes no longer in the pipeline (their files stay)."""
        present = set(keys)
        path = self.state / ORPHANED_FILE
        try:
            seen: dict[str, str] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            seen = {}
        before = dict(seen)
        now = iso(time.time())
        orphans: list[dict[str, Any]] = []
        for key, record in sorted(journal.all_latest().items()):
            if key in present or record.output_path is None:
                continue
            file = Path(record.output_path)
            if not file.is_file():
                continue
            shot_id, _, take = key.rpartition("#")
            orphans.append(
                {
                    "key": key,
                    "id": shot_id,
                    "take": int(take) if take.isdigit() else 1,
                    "path": _rel(file, self.output),
                    "sha256": record.output_sha256,
                    "videoId": record.video_id,
                    "orphanedAt": seen.setdefault(key, now),
                }
            )
        kept = {o["key"]: o["orphanedAt"] for o in orphans}
        if kept != before:
            with contextlib.suppress(OSError):
                write_atomic(path, json.dumps(kept, indent=1) + "\n")
        self._orphaned = orphans

    def orphaned(self) -> list[dict[str, Any]]:
        return list(self._orphaned)
