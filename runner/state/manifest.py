"""`<output>/manifest.json`: what a run made, what it cost, and where each video is.

The document is described by `schema/manifest.schema.json` (JSON Schema draft 2020-12). It is
rewritten atomically (a temporary file in the same folder, fsync, `os.replace`) whenever the
run's state changes; `ManifestWriter` coalesces bursts of changes into one write, pausing in
proportion to how long a write takes, so that a 10,000-shot run does not spend its time
serialising. The journal, not the manifest, is the crash-safe record: the manifest is a view.

The top-level `superseded` and `orphaned` lists come from `runner.state.supersede`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from runner.spec import catalogue
from runner.spec.pipeline import CastMember, Shot
from runner.state.takestate import FrameState, TakeState

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
MIN_PAUSE = 0.5
"""Seconds between two manifest writes at least: a burst of changes makes one write."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    pipeline: Path
    output: Path
    run_id: str
    backend: str
    base_url: str
    started: float


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def earlier_entries(path: Path) -> dict[str, dict[str, Any]]:
    """The shot-take entries of the manifest an earlier run left, by key (none if unreadable:
    the journal, not the manifest, is the record a rerun relies on)."""
    try:
        document = json.loads(path.read_text("utf-8"))
        shots = document["shots"]
        return {s["key"]: s for s in shots if isinstance(s, dict) and "key" in s}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def carry_over(st: TakeState, earlier: dict[str, Any] | None) -> None:
    """Keep what the earlier manifest said of a shot-take (its frames and times: the journal
    holds no frames and no queued time) for a rerun that reuses, resumes or reports it again; a
    fresh render replaces them. Only for the same fingerprint: a changed shot is another video."""
    if earlier is None or earlier.get("fingerprint") != st.take.fingerprint:
        return
    frames = earlier.get("frames")
    if isinstance(frames, list):
        st.frames = [
            FrameState(str(f.get("role")), f.get("path"), f.get("sha256"), f.get("fileID"))
            for f in frames
            if isinstance(f, dict)
        ]
    times = earlier.get("times")
    if isinstance(times, dict):
        st.queued = _epoch(times.get("queued"))
        st.submitted = _epoch(times.get("submitted"))
        st.completed = _epoch(times.get("completed"))


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _frames(st: TakeState) -> list[dict[str, Any]]:
    """The frames sent; a frame of another shot says which (`continues`). A shot-take that
    continues from another and was not sent in this run lists the frames it was made from."""
    given = dict(st.take.shot.frames.all())
    listed = st.frames
    if not listed and any(f.upstream for f in given.values()):
        listed = [
            FrameState(
                role,
                str(f.path) if f.path else None,
                f.path.stem if f.upstream and f.path else None,  # named by its sha256
                f.file_id,
            )
            for role, f in given.items()
        ]
    out = []
    for f in listed:
        item: dict[str, Any] = {
            "role": f.role,
            "path": f.path,
            "sha256": f.sha256,
            "fileID": f.file_id,
        }
        up = given[f.role].upstream if f.role in given else None
        if up is not None:
            item["continues"] = {"shot": up.shot, "frame": up.moment}
        out.append(item)
    return out


def entry(st: TakeState, output_dir: Path) -> dict[str, Any]:
    """One shot-take's manifest entry."""
    shot = st.take.shot
    out = st.output
    return {
        "id": shot.id,
        "take": st.take.take,
        "key": st.key,
        "status": st.status,
        "reused": st.reused,
        "model": shot.model,
        "options": shot.options,
        "aspectRatio": shot.aspect_ratio,
        "prompt": shot.prompt,
        "fingerprint": st.take.fingerprint,
        "frames": _frames(st),
        "account": st.account,
        "videoId": st.video_id,
        "attempts": st.attempts,
        "times": {
            "queued": _iso(st.queued),
            "submitted": _iso(st.submitted),
            "completed": _iso(st.completed),
        },
        "creditsEstimated": st.take.credits,
        "credits": st.credits,
        "creditsUnsure": st.credits_unsure,
        "output": None
        if out is None
        else {
            "path": _rel(out.path, output_dir),
            "bytes": out.size,
            "sha256": out.sha256,
            "width": out.width,
            "height": out.height,
            "seconds": out.duration,
        },
        "error": st.error,
        **_story(shot),
    }


class Entries:
    """The shot-take entries of one run's manifest, each built and JSON-encoded again only when
    its shot-take changed since the manifest was last written (a 10,000-shot run rewrites its
    manifest many times while only some of its shot-takes move)."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self._by_state: dict[int, _Entry] = {}
        self._by_entry: dict[int, _Entry] = {}

    def entry(self, st: TakeState) -> dict[str, Any]:
        # Everything of `st` that `entry` reads and that can change during a run (its take,
        # and so its shot, is fixed).
        now = (
            st.status,
            st.reused,
            tuple((f.role, f.path, f.sha256, f.file_id) for f in st.frames),
            st.account,
            st.video_id,
            st.attempts,
            st.queued,
            st.submitted,
            st.completed,
            st.credits,
            st.credits_unsure,
            st.output,
            st.error,
        )
        known = self._by_state.get(id(st))
        if known is not None and known.state is st and known.signature == now:
            return known.value
        made = _Entry(st, now, entry(st, self.output_dir))
        if known is not None:
            self._by_entry.pop(id(known.value), None)
        self._by_state[id(st)] = self._by_entry[id(made.value)] = made
        return made.value

    def text(self, value: dict[str, Any]) -> str:
        """`value` as JSON, encoded once for an entry that `entry` gave and has not changed."""
        known = self._by_entry.get(id(value))
        if known is None or known.value is not value:
            return _encode(value)
        if known.text is None:
            known.text = _encode(value)
        return known.text


@dataclass(slots=True)
class _Entry:
    state: TakeState
    signature: tuple[Any, ...]
    value: dict[str, Any]
    text: str | None = None


def _story(shot: Shot) -> dict[str, Any]:
    """What vars, looks, the cast and a matrix made of the shot (only what applies)."""
    out: dict[str, Any] = {}
    if shot.look is not None:
        out["look"] = shot.look
    if shot.cast:
        out["cast"] = [m.name for m in shot.cast]
    if any(p.source is not None for p in shot.prompt_parts):
        out["promptParts"] = [{"text": p.text, "from": p.source} for p in shot.prompt_parts]
    if shot.variant_of is not None:
        out["variantOf"] = shot.variant_of
        out["matrix"] = dict(shot.matrix)
    return out


def _cast(states: list[TakeState]) -> list[dict[str, Any]]:
    """The cast members the run's shots use, in order of first use."""
    members: dict[str, CastMember] = {}
    for st in states:
        for member in st.take.shot.cast:
            members.setdefault(member.name, member)
    return [
        {
            "name": m.name,
            "description": m.description,
            "references": [
                {"path": None if f.path is None else str(f.path), "fileID": f.file_id}
                for f in m.references
            ],
        }
        for m in members.values()
    ]


def build(
    info: RunInfo,
    states: list[TakeState],
    ended: float | None,
    superseded: list[dict[str, Any]] | None = None,
    orphaned: list[dict[str, Any]] | None = None,
    entries: Entries | None = None,
) -> dict[str, Any]:
    """The whole manifest document (`superseded` and `orphaned`: see `runner.state.supersede`;
    `entries`: the run's entries as last written, reused where nothing changed)."""
    est_model: Counter[str] = Counter()
    spent_model: Counter[str] = Counter()
    spent_account: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for st in states:
        est_model[st.take.shot.model] += st.take.credits
        spent_model[st.take.shot.model] += st.credits
        if st.account is not None and st.credits:
            spent_account[st.account] += st.credits
        counts[st.status] += 1
    return {
        "version": MANIFEST_VERSION,
        "pipeline": str(info.pipeline),
        "runId": info.run_id,
        "backend": {"kind": info.backend, "baseUrl": info.base_url},
        "catalogue": catalogue.overlay_source(),
        "started": _iso(info.started),
        "ended": _iso(ended),
        "shots": [
            entry(st, info.output) if entries is None else entries.entry(st) for st in states
        ],
        "counts": dict(counts),
        "totals": {
            "creditsEstimated": sum(est_model.values()),
            "creditsSpent": sum(spent_model.values()),
            "creditsUnsure": sum(st.credits_unsure for st in states),
            "estimatedByModel": dict(est_model),
            "spentByModel": {k: v for k, v in spent_model.items() if v},
            "spentByAccount": dict(spent_account),
        },
        "superseded": superseded or [],
        "orphaned": orphaned or [],
        **({"cast": cast} if (cast := _cast(states)) else {}),
    }


def dumps(document: dict[str, Any], entries: Entries | None = None) -> str:
    """JSON with one top-level key, and one shot-take, per line: readable in a diff and fast
    (json's C encoder only runs without `indent`; `entries` keeps the text of entries that did
    not change)."""
    encode = entries.text if entries is not None else _encode
    lines = []
    for key, value in document.items():
        if key == "shots" and value:
            inner = ",\n    ".join(encode(v) for v in value)
            lines.append(f'  "shots": [\n    {inner}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _encode(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old or the new file, never a mix."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        temp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


class ManifestWriter:
    """Rewrites the manifest after changes, coalescing bursts of them."""

    def __init__(
        self,
        path: Path,
        document: Callable[[], dict[str, Any]],
        on_error: Callable[[str], None] = lambda _m: None,
        entries: Entries | None = None,
    ) -> None:
        self.path = path
        self._document = document
        self._entries = entries
        """What `document` builds its entries with, so that their text is reused too."""
        self._dirty = anyio.Event()
        self.on_error = on_error
        """Told, once per failure, when the manifest cannot be written (a full disk)."""
        self.writes = 0
        self.failed: str | None = None

    def changed(self) -> None:
        self._dirty.set()

    def write(self) -> None:
        """Write now; a failure keeps the previous manifest and is reported, not raised."""
        try:
            write_atomic(self.path, dumps(self._document(), self._entries))
        except OSError as exc:
            self.failed = f"cannot write {self.path}: {exc.strerror or exc}"
            self.on_error(self.failed)
            return
        self.writes += 1
        self.failed = None

    async def run(self) -> None:
        """Write after each burst of changes until cancelled."""
        while True:
            await self._dirty.wait()
            self._dirty = anyio.Event()
            began = time.perf_counter()
            self.write()
            # Spend at most ~1/20 of the time writing the manifest on big runs.
            await anyio.sleep(max(MIN_PAUSE, 20 * (time.perf_counter() - began)))
