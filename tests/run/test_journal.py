"""Crash safety: what the journal holds decides what a rerun does, and nothing is made twice."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import anyio
import httpx
import pytest

from runner.api.useapi import ClientConfig, UseApi
from runner.sim import Simulator
from runner.spec.validate import load_pipeline
from runner.state.journal import Journal
from runner.state.plan import make_plan
from tests.run.conftest import ToTheApi, creates_per_key, run_pipeline, write_pipeline

ONE = 'accounts: {"111": {maxJobs: 2}}\nshots:\n  - id: a\n    prompt: the one shot\n'


def _intend(path: Path, backend: str) -> tuple[Journal, int]:
    pipe, _ = load_pipeline(path)
    assert pipe is not None
    take = make_plan(pipe).takes[0]
    journal = Journal(pipe.output / ".reel", backend)

    async def intend() -> int:
        return await journal.intend(
            key=take.key,
            fingerprint=take.fingerprint,
            run_id="crashed",
            account="111",
            prompt=take.shot.prompt,
            model=take.shot.model,
        )

    return journal, anyio.run(intend)


def test_an_intent_whose_job_exists_is_adopted_not_sent_again(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE)
    journal, _job = _intend(path, sim.base_url)
    journal.close()

    async def create_as_the_crashed_run_did() -> str:
        async with UseApi(ClientConfig(sim.base_url, sim.token)) as client:
            body = {"account": "111", "model": "T2V-01", "prompt": "the one shot", "maxJobs": 2}
            return (await client.create(body)).video_id

    made = anyio.run(create_as_the_crashed_run_did)
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert len(run.ledger["creates"]) == 1
    assert run.shot("a#1")["videoId"] == made


def test_an_intent_whose_job_never_came_is_sent_after_looking(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE)
    _intend(path, sim.base_url)[0].close()
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert len(run.ledger["creates"]) == 1
    paths = [r["path"] for r in run.ledger["requests"]]
    assert paths.index("/v1/minimax/videos/") < paths.index("/v1/minimax/videos/create")


def test_a_damaged_output_is_downloaded_again_without_a_new_job(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE)
    first = run_pipeline(sim, path)
    (first.output / "a.mp4").write_bytes(b"damaged")
    second = run_pipeline(sim, path)
    assert second.result.outcome == "completed"
    assert len(second.ledger["creates"]) == 1
    assert second.shot("a#1")["output"]["sha256"] == first.shot("a#1")["output"]["sha256"]


class RefuseFirstConnects(ToTheApi):
    """Fails the first creates before anything is sent, then lets everything through."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.left = failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create") and self.left > 0:
            self.left -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def test_transport_errors_before_sending_are_retried_with_backoff(
    sim: Simulator, tmp_path: Path
) -> None:
    run = run_pipeline(sim, write_pipeline(tmp_path, ONE), transport=RefuseFirstConnects(3))
    assert run.result.outcome == "completed"
    assert run.shot("a#1")["attempts"] == 1
    assert set(creates_per_key(run.ledger, run.result).values()) == {1}


def test_journal_survives_reopening_and_keeps_the_upload_cache(tmp_path: Path) -> None:
    journal = Journal(tmp_path)

    async def write() -> int:
        job = await journal.intend(
            key="a#1", fingerprint="f", run_id="r", account="1", prompt="p", model="m"
        )
        await journal.set_video_id(job, "vid", 25)
        await journal.remember_upload("1", "abc", "file-1")
        return job

    job = anyio.run(write)
    journal.close()
    again = Journal(tmp_path)
    record = again.latest("a#1", "f")
    assert record is not None and record.video_id == "vid" and record.state == "created"
    assert record.credits == 25 and record.intended <= time.time()
    assert again.cached_file_id("1", "abc") == "file-1" and again.cached_file_id("2", "abc") is None
    assert again.known_video_ids() == {"vid"}
    assert again.all_latest()["a#1"].id == job
    again.close()


def test_concurrent_writes_share_commits_and_each_reports_its_own_error(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    ids: list[int] = []
    errors: list[Exception] = []

    async def one(i: int) -> None:
        job = await journal.intend(
            key=f"k#{i}", fingerprint="f", run_id="r", account="1", prompt=None, model="m"
        )
        ids.append(job)
        try:
            await journal.set_video_id(job, "same-id" if i < 2 else f"v{i}", 1)
        except sqlite3.IntegrityError as exc:
            errors.append(exc)

    async def many() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(one, i)

    anyio.run(many)
    assert len(set(ids)) == 50
    assert len(errors) == 1, "the second use of one video id fails alone"
    assert journal.commits < 50 + 50
    assert len(journal.known_video_ids()) == 49
    journal.close()


def test_a_damaged_journal_is_a_clear_error(tmp_path: Path) -> None:
    from runner.state.journal import JournalDamaged

    (tmp_path / "journal.sqlite").write_bytes(b"this is not a database\n" * 100)
    with pytest.raises(JournalDamaged, match=r"journal\.sqlite cannot be read"):
        Journal(tmp_path)


def test_one_run_at_a_time_per_output_folder(tmp_path: Path) -> None:
    from runner.commands.run import output_lock, prepare_output
    from runner.errors import UsageError

    prepare_output(tmp_path)
    with (
        output_lock(tmp_path),
        pytest.raises(UsageError, match="another reel run is using"),
        output_lock(tmp_path),
    ):
        pass
    with output_lock(tmp_path):
        pass  # released: the next run may go


class LostReplyThenRefusedLookup(ToTheApi):
    """Creates answer 502 (not forwarded) and listing the account's videos answers 596."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            return httpx.Response(502, json={"error": "too busy", "code": 502})
        if request.url.path.endswith("/videos/"):
            return httpx.Response(596, json={"error": "Unusual account activities", "code": 596})
        return await self.inner.handle_async_request(request)


def test_a_refused_lookup_fails_the_shot_and_leaves_the_intent_for_a_rerun(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE)
    first = run_pipeline(sim, path, transport=LostReplyThenRefusedLookup())
    shot = first.shot("a#1")
    assert shot["status"] == "failed" and "could not look up" in shot["error"]
    journal = Journal(first.output / ".reel", sim.base_url)
    record = journal.latest("a#1")
    assert record is not None and record.state == "intended"
    journal.close()

    second = run_pipeline(sim, path)
    assert second.result.outcome == "completed"
    assert len(second.ledger["creates"]) == 1


def test_a_journal_that_cannot_be_written_stops_the_run_keeping_the_job_id(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = Journal._commit

    def full_disk(self: Journal, batch: list) -> None:  # type: ignore[type-arg]
        if any("SET video_id" in w.sql for w in batch):
            for w in batch:
                w.error = sqlite3.OperationalError("database or disk is full")
            return
        real_commit(self, batch)

    monkeypatch.setattr(Journal, "_commit", full_disk)
    run = run_pipeline(sim, write_pipeline(tmp_path, ONE))
    assert run.result.outcome == "stopped"
    assert "database or disk is full" in (run.result.reason or "")
    shot = run.shot("a#1")
    assert shot["status"] == "running" and shot["videoId"] == run.ledger["creates"][0]["videoId"]
