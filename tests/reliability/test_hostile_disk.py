"""A disk that fills up in the middle of `reel run`: a clear stop, and nothing already made lost.

The disk is simulated portably: once three videos are in the output folder, every write to a
file in that folder through Python's file objects fails with ENOSPC ("No space left on
device"), as a full disk answers. (SQLite's journal writes through its own C code and keeps
working: a disk with a little room left for small writes.)

What a user must get: exit 1 (the run had to stop; what was made is kept), a message naming the
problem, no traceback; the videos already downloaded intact and named by a valid manifest; and
once space is freed, a rerun that finishes the rest without paying for any job twice.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
from pathlib import Path
from typing import IO, Any

import jsonschema
import pytest

from runner.sim import Simulator
from tests.reliability.conftest import assert_no_crash, run_reel

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schema" / "manifest.schema.json").read_text("utf-8")
)
SHOTS = 6
VIDEOS_THAT_FIT = 3
_real_open = pathlib.Path.open


class _NoSpace:
    """A file object whose writes fail as on a full disk."""

    def __init__(self, f: IO[Any]) -> None:
        self._f = f

    def write(self, _data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _NoSpace:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, folder: Path, videos: int) -> None:
    """From the moment `videos` .mp4 files are in `folder`, writes to files in it fail."""

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        f = _real_open(self, mode, *args, **kwargs)
        writing = any(c in mode for c in "wax+")
        inside = Path(os.path.abspath(self)).is_relative_to(folder)
        if writing and inside and len(list(folder.glob("*.mp4"))) >= videos:
            return _NoSpace(f)
        return f

    monkeypatch.setattr(pathlib.Path, "open", open_)


def write_pipeline(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shots = "".join(
        f"  - id: s{i}\n    model: T2V-01\n    prompt: Shot {i} of a full disk\n"
        for i in range(SHOTS)
    )
    path = folder / "p.yaml"
    path.write_text(f"version: 1\noutput: out\nshots:\n{shots}", encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(output: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((output / "manifest.json").read_text("utf-8"))
    jsonschema.validate(data, SCHEMA)
    return data


def completed_intact(output: Path, data: dict[str, Any]) -> dict[str, str]:
    """Completed entries of the manifest, each checked against its file: {id: sha256}."""
    found = {}
    for shot in data["shots"]:
        if shot["status"] == "completed":
            path = output / shot["output"]["path"]
            assert path.is_file(), shot
            assert sha(path) == shot["output"]["sha256"], shot
            found[shot["id"]] = shot["output"]["sha256"]
    return found


def test_a_full_disk_stops_the_run_clearly_and_loses_nothing(
    tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_pipeline(tmp_path / "project")
    output = tmp_path / "project" / "out"
    with monkeypatch.context() as patch:
        fill_disk_after(patch, output, VIDEOS_THAT_FIT)
        full = run_reel(sim, path)

    assert_no_crash(full)
    assert full.code == 1, full.text
    assert "no space left on device" in full.stderr.lower(), full.stderr
    made = {p.name: sha(p) for p in output.glob("*.mp4") if p.name != "cut.mp4"}  # shots only
    assert len(made) >= VIDEOS_THAT_FIT
    completed_intact(output, manifest(output))  # the manifest on disk is whole and true

    again = run_reel(sim, path)  # space freed: the rerun finishes what is left

    assert_no_crash(again)
    assert again.code == 0, again.text
    final = completed_intact(output, manifest(output))
    assert len(final) == SHOTS
    for name, digest in made.items():
        assert final[name.removesuffix(".mp4")] == digest  # kept, not made again
    creates = sim.ledger()["creates"]
    assert len(creates) == SHOTS  # no job paid twice
    assert len({c["body"]["prompt"] for c in creates}) == SHOTS
