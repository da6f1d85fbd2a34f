"""The output folder's own files, damaged between runs (an editor, a sync tool, a bad disk).

- `manifest.json` is a view, rewritten by every run: garbage in it must not matter.
- `.reel/journal.sqlite` is the run's memory: when it is not a database any more, the rerun
  stops with a clear message (which file, what to do), exit 2, before spending anything.
"""

from __future__ import annotations

from pathlib import Path

from runner.sim import Simulator
from tests.reliability.conftest import assert_no_crash, run_reel

SHOTS = 3


def made(tmp_path: Path, sim: Simulator) -> Path:
    """A pipeline whose first run completed; returns the pipeline."""
    shots = "".join(
        f"  - id: s{i}\n    model: T2V-01\n    prompt: Shot {i} then damage\n" for i in range(SHOTS)
    )
    path = tmp_path / "p.yaml"
    path.write_text(f"version: 1\noutput: out\nshots:\n{shots}", encoding="utf-8")
    assert run_reel(sim, path).code == 0
    return path


def test_a_garbage_manifest_is_simply_rewritten(tmp_path: Path, sim: Simulator) -> None:
    path = made(tmp_path, sim)
    (tmp_path / "out" / "manifest.json").write_text("{garbage", encoding="utf-8")

    again = run_reel(sim, path)

    assert_no_crash(again)
    assert again.code == 0, again.text
    assert '"status": "completed"' in (tmp_path / "out" / "manifest.json").read_text("utf-8")
    assert len(sim.ledger()["creates"]) == SHOTS


def test_a_damaged_journal_stops_the_rerun_clearly_before_spending(
    tmp_path: Path, sim: Simulator
) -> None:
    path = made(tmp_path, sim)
    state = tmp_path / "out" / ".reel"
    for extra in state.glob("journal.sqlite-*"):  # the WAL and its index
        extra.unlink()
    (state / "journal.sqlite").write_bytes(b"this is not a database\n" * 100)
    requests = len(sim.ledger()["requests"])

    again = run_reel(sim, path)

    assert_no_crash(again)
    assert again.code == 2, again.text
    assert "journal.sqlite" in again.stderr, again.stderr
    assert len(sim.ledger()["requests"]) == requests  # not one more request
    assert all((tmp_path / "out" / f"s{i}.mp4").is_file() for i in range(SHOTS))
