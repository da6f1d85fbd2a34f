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

from runner.state.takestate import TakeState

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


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


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
        "frames": [
            {"role": f.role, "path": f.path, "sha256": f.sha256, "fileID": f.file_id}
            for f in st.frames
        ],
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
    }


def build(
    info: RunInfo,
    states: list[TakeState],
    ended: float | None,
    superseded: list[dict[str, Any]] | None = None,
    orphaned: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole manifest document (`superseded` and `orphaned`: see `runner.state.supersede`)."""
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
        "started": _iso(info.started),
        "ended": _iso(ended),
        "shots": [entry(st, info.output) for st in states],
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
    }


def dumps(document: dict[str, Any]) -> str:
    """JSON with one top-level key, and one shot-take, per line: readable in a diff and fast
    (json's C encoder only runs without `indent`)."""
    lines = []
    for key, value in document.items():
        if key == "shots" and value:
            inner = ",\n    ".join(json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f'  "shots": [\n    {inner}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


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
    ) -> None:
        self.path = path
        self._document = document
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
            write_atomic(self.path, dumps(self._document()))
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
