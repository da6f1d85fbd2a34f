"""`<pipeline>.lock`: what a pipeline's runs produced, in a small file meant for git.

The journal in `<output>/.reel/` is the crash-safe record of one machine; the lock is the
shareable one. It sits beside the pipeline (`storyboard.yaml` → `storyboard.lock`) and holds,
per shot-take of the pipeline, its fingerprint and, once rendered, the job that made its video:
videoId, the API it lives on, account, model, options, credits, output file name, size, sha256
and when it completed. A teammate's clone (the lock, no output folder) downloads those videos
again, free, instead of paying for them (`runner.state.locked`).

Written so that git merges two teammates' locks without conflicts: JSON (which is also YAML),
entries sorted by key, one per shot-take of the pipeline (rendered or not, so that each has lines
of its own), one field per line, a blank line and the key between entries, the fingerprint first
and fields in a fixed order, nothing that changes from run to run outside an entry (no run id,
no time at the top), no token, no absolute path, nothing of the machine that wrote it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.errors import UsageError
from runner.state.journal import JobRecord, Journal
from runner.state.manifest import write_atomic
from runner.state.plan import ShotTake

LOCK_VERSION = 1
NOTE = (
    "{pipeline}'s lock, written by `reel run`: commit it with the pipeline. A clone downloads"
    " the videos it lists instead of paying for them again."
)
EMBEDDED = "embedded-simulator:"
"""Prefix of the journal's backend id for an embedded simulator (`runner.run.backend`)."""
EMBEDDED_LOCK = "embedded-simulator"
"""The lock's `backend` for a job of an embedded simulator (its jobs vanished with it)."""

_FIELDS = {
    # lock key → LockEntry attribute, in the order they are written
    "fingerprint": "fingerprint",
    "videoId": "video_id",
    "backend": "backend",
    "account": "account",
    "model": "model",
    "options": "options",
    "credits": "credits",
    "output": "output",
    "bytes": "size",
    "sha256": "sha256",
    "completed": "completed",
}


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One shot-take in the lock: its fingerprint and, once rendered, its job and video."""

    key: str
    fingerprint: str
    video_id: str | None = None
    backend: str | None = None
    """The API base URL the job lives on, or `embedded-simulator`."""
    account: str | None = None
    model: str | None = None
    options: str | None = None
    credits: int | None = None
    output: str | None = None
    """The video's file name in the output folder."""
    size: int | None = None
    sha256: str | None = None
    completed: str | None = None
    """When its job completed (UTC, ISO 8601)."""

    @property
    def rendered(self) -> bool:
        return self.video_id is not None and self.backend is not None

    def document(self) -> dict[str, Any]:
        """The entry's fields as written (those that are set, in the fixed order)."""
        values = {name: getattr(self, attr) for name, attr in _FIELDS.items()}
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock file as read."""

    path: Path
    entries: Mapping[str, LockEntry]

    def rendered(self, take: ShotTake) -> LockEntry | None:
        """The entry of a rendered video for exactly this shot-take (same fingerprint)."""
        entry = self.entries.get(take.key)
        if entry is None or entry.fingerprint != take.fingerprint or not entry.rendered:
            return None
        return entry

    def stale(self, take: ShotTake) -> bool:
        """The lock has a video for this shot-take, made before the shot changed."""
        entry = self.entries.get(take.key)
        return entry is not None and entry.rendered and entry.fingerprint != take.fingerprint


def lock_path(pipeline: Path) -> Path:
    """`storyboard.yaml` → `storyboard.lock`, beside it."""
    return pipeline.with_suffix(".lock")


def read_lock(path: Path) -> Lock | None:
    """The lock at `path`; None when there is none. A lock that cannot be read is the user's
    to fix (an unresolved merge, a hand edit): a UsageError saying so, before anything is sent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: the lock file cannot be read ({exc}); nothing was sent"
        ) from None
    if re.search(r"^(<{7}|={7}|>{7})( |$)", text, re.MULTILINE):
        raise UsageError(
            f"{path}: the lock file has unresolved git merge markers; resolve the conflict"
            " (keep one entry per shot-take) or delete the file, then run again; nothing was sent"
        )
    try:
        return Lock(path, _entries(json.loads(text)))
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"{path}: not a lock file of reel ({exc}); it is written by `reel run`: restore it"
            " from git or delete it, then run again; nothing was sent"
        ) from None


def _entries(document: object) -> dict[str, LockEntry]:
    if not isinstance(document, dict) or document.get("version") != LOCK_VERSION:
        raise ValueError(f'expected "version": {LOCK_VERSION} and "takes"')
    takes = document.get("takes") or {}
    if not isinstance(takes, dict):
        raise TypeError("`takes` must be a mapping of shot-take keys")
    entries = {}
    for key, values in takes.items():
        if not isinstance(values, dict) or not isinstance(values.get("fingerprint"), str):
            raise TypeError(f"entry {key!r} needs a fingerprint")
        unknown = set(values) - set(_FIELDS)
        if unknown:
            raise ValueError(f"entry {key!r} has unknown fields {', '.join(sorted(unknown))}")
        kwargs = {_FIELDS[name]: value for name, value in values.items()}
        for attr in ("credits", "size"):
            if kwargs.get(attr) is not None and not isinstance(kwargs[attr], int):
                raise TypeError(f"entry {key!r}: {attr} must be a whole number")
        entries[str(key)] = LockEntry(key=str(key), **{k: _text(k, v) for k, v in kwargs.items()})
    return entries


def _text(attr: str, value: object) -> Any:
    """Strings stay strings; numbers only where numbers belong."""
    if value is None or attr in ("credits", "size"):
        return value
    return str(value)


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entry_from_record(take: ShotTake, record: JobRecord, output: Path) -> LockEntry:
    backend = EMBEDDED_LOCK if record.backend.startswith(EMBEDDED) else record.backend
    name = take.output_name
    if record.output_path is not None:
        path = Path(record.output_path)
        name = path.relative_to(output).as_posix() if path.is_relative_to(output) else path.name
    return LockEntry(
        key=take.key,
        fingerprint=take.fingerprint,
        video_id=record.video_id,
        backend=backend,
        account=record.account,
        model=take.shot.model,
        options=take.shot.options,
        credits=record.credits,
        output=name,
        size=record.output_bytes,
        sha256=record.output_sha256,
        completed=_iso(record.completed),
    )


def entries_after_run(
    takes: Iterable[ShotTake], journal: Journal, earlier: Lock | None, output: Path
) -> list[LockEntry]:
    """The lock's entries after a run, one per shot-take of the pipeline, sorted by key: the
    journal's completed job of that fingerprint; else the earlier lock's rendered entry of that
    fingerprint (a teammate's video not fetched here); else the fingerprint alone."""
    entries = []
    newest = journal.all_latest()  # one query; a key's newest row is nearly always the current
    for take in takes:
        record = newest.get(take.key)
        if record is not None and record.fingerprint != take.fingerprint:
            record = journal.latest(take.key, take.fingerprint)
        kept = earlier.rendered(take) if earlier is not None else None
        if (
            record is not None
            and record.state == "completed"
            and record.video_id is not None
            and record.output_sha256 is not None
        ):
            entries.append(_entry_from_record(take, record, output))
        elif kept is not None:
            entries.append(kept)
        else:
            entries.append(LockEntry(take.key, take.fingerprint))
    return sorted(entries, key=lambda e: e.key)


def dumps(entries: Iterable[LockEntry], pipeline_name: str) -> str:
    """The lock's text: the same entries always give the same bytes. JSON (so also YAML),
    one field per line, a blank line between entries (json's own `indent` would cost seconds
    on 10,000 shot-takes; this costs milliseconds)."""
    blocks = []
    for entry in entries:
        lines = [f"      {json.dumps(k)}: {_value(v)}" for k, v in entry.document().items()]
        blocks.append(f"    {json.dumps(entry.key)}: {{\n" + ",\n".join(lines) + "\n    }")
    head = (
        "{\n"
        f'  "lock": {json.dumps(NOTE.format(pipeline=pipeline_name), ensure_ascii=False)},\n'
        f'  "version": {LOCK_VERSION},\n'
    )
    if not blocks:
        return head + '  "takes": {}\n}\n'
    return head + '  "takes": {\n\n' + ",\n\n".join(blocks) + "\n\n  }\n}\n"


def _value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_lock(path: Path, entries: Iterable[LockEntry], pipeline_name: str) -> None:
    """Write the lock atomically (readers see the old file or the new one)."""
    write_atomic(path, dumps(entries, pipeline_name))
