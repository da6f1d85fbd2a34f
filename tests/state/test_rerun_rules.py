"""Rows of the rerun table that need no API: an intact output, and jobs of another backend."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio

from runner.spec.validate import load_pipeline
from runner.state.journal import JobRecord, Journal
from runner.state.plan import ShotTake, make_plan, sha256_file
from runner.state.rerun import decide, decide_all, intact, lookup_credits
from tests.run.conftest import write_pipeline

API = "https://api.useapi.net/v1/minimax"


def _record(tmp_path: Path, content: bytes = b"the video") -> JobRecord:
    video = tmp_path / "a.mp4"
    video.write_bytes(content)
    return JobRecord(
        id=1, key="a#1", fingerprint="f", run_id="r", backend=API, account="111", prompt="p",
        model="T2V-01", intended=0.0, video_id="v", submitted=0.0, attempts=1,
        state="completed", credits=25, completed=1.0, error=None, output_path=str(video),
        output_bytes=len(content), output_sha256=sha256_file(video), width=None, height=None,
        request=None,
    )  # fmt: skip


def test_an_output_is_intact_only_with_its_recorded_size_and_sha256(tmp_path: Path) -> None:
    record = _record(tmp_path)
    assert intact(record)
    video = Path(str(record.output_path))
    video.write_bytes(b"the vid3o")  # same length, other bytes
    assert not intact(record)
    video.unlink()
    assert not intact(record)


def test_a_record_without_an_output_is_never_intact(tmp_path: Path) -> None:
    record = _record(tmp_path)
    assert not intact(dataclasses.replace(record, output_path=None))
    assert not intact(dataclasses.replace(record, output_sha256=None))
    assert not intact(dataclasses.replace(record, output_path=None, output_sha256=None))


def _unfinished_job(tmp_path: Path, backend: str) -> tuple[Journal, ShotTake]:
    pipe, _ = load_pipeline(write_pipeline(tmp_path, "shots:\n  - id: a\n    prompt: one\n"))
    assert pipe is not None
    take = make_plan(pipe).takes[0]
    journal = Journal(tmp_path / "out" / ".reel", backend)

    async def write() -> None:
        job = await journal.intend(
            key=take.key, fingerprint=take.fingerprint, run_id="r", account="111",
            prompt="one", model=take.shot.model,
        )  # fmt: skip
        await journal.set_video_id(job, "user:1-minimax:111-video:9", take.credits)

    anyio.run(write)
    return journal, take


def test_a_job_is_polled_again_on_its_own_backend(tmp_path: Path) -> None:
    journal, take = _unfinished_job(tmp_path, API)
    assert decide(journal, take, backend=API).action == "resume"
    journal.close()


def test_a_job_of_an_earlier_embedded_simulator_is_rendered_again(tmp_path: Path) -> None:
    journal, take = _unfinished_job(tmp_path, "embedded-simulator:1234")
    for backend in (None, API):  # the next run's embedded simulator, or the real API
        decision = decide(journal, take, backend=backend)
        assert (decision.action, decision.reason) == (
            "render",
            "its job was on an earlier embedded simulator",
        )
    journal.close()


def test_without_a_journal_everything_renders_as_new_or_forced(tmp_path: Path) -> None:
    body = "shots:\n  - id: a\n    prompt: one\n  - id: b\n    prompt: two\n"
    pipe, _ = load_pipeline(write_pipeline(tmp_path, body))
    assert pipe is not None
    takes = make_plan(pipe).takes
    decisions = decide_all(tmp_path / "out", takes, force=["b"], backend=None)
    assert [(d.action, d.reason) for d in decisions] == [
        ("render", "new"),
        ("render", "forced (--force)"),
    ]


def test_a_failed_shot_take_is_kept_unless_retry_failed_is_asked(tmp_path: Path) -> None:
    journal, take = _unfinished_job(tmp_path, API)

    async def fail() -> None:
        record = journal.latest(take.key)
        assert record is not None
        await journal.set_state(record.id, "failed", "the render failed")

    anyio.run(fail)
    journal.close()
    kept = decide_all(tmp_path / "out", [take], backend=API)
    assert [(d.action, d.reason) for d in kept] == [
        ("keep", "failed: the render failed (--retry-failed renders it)")
    ]
    again = decide_all(tmp_path / "out", [take], retry_failed=True, backend=API)
    assert [d.action for d in again] == ["render"]


def test_only_intents_without_a_job_id_may_cost_credits_when_resumed(tmp_path: Path) -> None:
    """A job id is polled (free); an intent is looked up, and renders if nothing is found."""
    journal, take = _unfinished_job(tmp_path / "job", API)
    polled = decide(journal, take, backend=API)
    journal.close()
    pipe, _ = load_pipeline(
        write_pipeline(tmp_path / "intent", "shots:\n  - id: a\n    prompt: one\n")
    )
    assert pipe is not None
    intent_take = make_plan(pipe).takes[0]
    intents = Journal(tmp_path / "intent" / "out" / ".reel", API)

    async def intend() -> None:
        await intents.intend(
            key=intent_take.key, fingerprint=intent_take.fingerprint, run_id="r",
            account="111", prompt="one", model=intent_take.shot.model,
        )  # fmt: skip

    anyio.run(intend)
    looked_up = decide(intents, intent_take, backend=API)
    intents.close()
    assert (polled.action, looked_up.action) == ("resume", "resume")
    assert lookup_credits([polled]) == 0
    assert lookup_credits([looked_up]) == intent_take.credits == 25


def test_a_create_lost_and_not_found_yet_is_looked_up_again_and_stays_possibly_charged(
    tmp_path: Path,
) -> None:
    pipe, _ = load_pipeline(write_pipeline(tmp_path, "shots:\n  - id: a\n    prompt: one\n"))
    assert pipe is not None
    take = make_plan(pipe).takes[0]
    journal = Journal(tmp_path / "out" / ".reel", API)

    async def lose() -> None:
        job = await journal.intend(
            key=take.key, fingerprint=take.fingerprint, run_id="r", account="111",
            prompt="one", model=take.shot.model,
        )  # fmt: skip
        await journal.set_unsure(job, take.credits, "not found after: ReadTimeout")

    anyio.run(lose)
    decision = decide(journal, take, backend=API)
    # It was sent: its job may show by now (a run killed while it waited for it ends here).
    assert (decision.action, decision.reason) == (
        "resume",
        "sent before, no reply: look the job up first",
    )
    assert journal.unsure_credits(take.key) == take.credits == 25
    journal.close()
