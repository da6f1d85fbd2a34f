"""The lookup after a lost create: it adopts the job that create made, and only that one.

A run is "killed" in-process by a transport that lets the first create reach the simulator and
then raises (nothing after it runs, as after a kill -9); the journal keeps its intents.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import anyio
import httpx
import pytest

from runner.api.useapi import Busy, ClientConfig, UseApi
from runner.commands.run import RunOptions
from runner.sim import Simulator, running_simulator
from runner.spec.validate import load_pipeline
from runner.state.journal import Journal
from runner.state.plan import make_plan
from tests.run.conftest import ToTheApi, run_pipeline, sim_config, write_pipeline

ONE_SHOT = 'accounts: {"111": {maxJobs: 2}}\nshots:\n  - {id: a, prompt: p}\n'
"""One shot on one account: the lost-create tests' pipeline."""
FLOOD = 110
"""Jobs a colleague makes between the kill and the rerun: more than one page of the listing."""


class Killed(Exception):
    """Stands for a kill -9 while a create is in flight."""


class KillAfterFirstCreate(ToTheApi):
    """Forwards everything; once the first create has reached the server, waits a moment (so
    that other shot-takes write their intents) and "kills" the run."""

    def __init__(self) -> None:
        super().__init__()
        self.dead = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.dead:
            raise Killed  # a killed process sends nothing more
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/videos/create"):
            await response.aread()
            await anyio.sleep(0.3)
            self.dead = True
            raise Killed
        return response


def _crash(
    sim: Simulator,
    path: Path,
    transport: httpx.AsyncBaseTransport | None = None,
    options: RunOptions | None = None,
    timeout: float | None = None,
) -> None:
    """A run "killed" by `transport` (default: once its first create reached the server)."""
    with pytest.raises(BaseException) as caught:
        run_pipeline(
            sim, path, options, timeout=timeout, transport=transport or KillAfterFirstCreate()
        )
    assert (
        caught.group_contains(Killed)
        if isinstance(caught.value, BaseExceptionGroup)
        else (isinstance(caught.value, Killed))
    )


def _frames_of(sim: Simulator, video_id: str) -> set[str]:
    async def get() -> set[str]:
        async with UseApi(ClientConfig(sim.base_url, sim.token)) as client:
            return set((await client.video(video_id)).file_ids)

    return anyio.run(get)


PAIR = """\
accounts: {"111": {maxJobs: 2}}
shots:
  - {id: a, model: I2V-01, prompt: the same words, frames: {first: a.png}}
  - {id: b, model: I2V-01, prompt: the same words, frames: {first: b.png}}
"""
PAIR_SWAPPED = """\
accounts: {"111": {maxJobs: 2}}
shots:
  - {id: b, model: I2V-01, prompt: the same words, frames: {first: b.png}}
  - {id: a, model: I2V-01, prompt: the same words, frames: {first: a.png}}
"""


def test_a_rerun_never_adopts_the_job_of_a_shot_that_differs_only_in_frames(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, PAIR)
    _crash(sim, path)
    (landed,) = sim.ledger()["creates"]
    # The rerun looks up in the other order (same shots, so the same fingerprints): the shot
    # whose create never went out looks first, and must not take the other's job.
    write_pipeline(tmp_path, PAIR_SWAPPED)
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert len(run.ledger["creates"]) == 2, "one job per shot: the landed one adopted, not resent"
    by_shot = {s["key"]: s["videoId"] for s in run.manifest["shots"]}
    assert landed["videoId"] in by_shot.values()
    uploads = {u["fileID"]: u for u in run.ledger["uploads"]}
    for key, video_id in by_shot.items():
        frames = _frames_of(sim, video_id)
        assert len(frames) == 1
        sent = uploads[next(iter(frames))]
        image = (tmp_path / ("a.png" if key == "a#1" else "b.png")).read_bytes()
        assert sent["sha256"] == hashlib.sha256(image).hexdigest(), key


def test_a_rerun_pages_back_past_a_colleagues_flood_to_find_its_job(tmp_path: Path) -> None:
    with running_simulator(sim_config(speed=6000.0)) as sim:
        _flooded_rerun(sim, tmp_path)


def _flood(sim: Simulator, jobs: int, first: int = 0) -> None:
    """A colleague's jobs on account 222, one after another."""

    async def flood() -> None:
        async with UseApi(ClientConfig(sim.base_url, sim.token)) as client:
            for i in range(first, first + jobs):
                body = {"account": "222", "model": "T2V-01", "prompt": f"colleague {i}"}
                while True:
                    try:
                        await client.create({**body, "maxJobs": 3})
                        break
                    except Busy:  # the colleague's own slots are full: wait for one
                        await anyio.sleep(0.01)

    anyio.run(flood)


MINE = 'accounts: {"222": {maxJobs: 3}}\nshots:\n  - {id: a, prompt: mine}\n'


def _flooded_rerun(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, MINE)
    _crash(sim, path)
    (landed,) = sim.ledger()["creates"]
    _flood(sim, FLOOD)
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert run.shot("a#1")["videoId"] == landed["videoId"]
    assert len(run.ledger["creates"]) == FLOOD + 1, "the lost create was found, not paid again"


def test_a_job_on_the_first_page_of_a_long_listing_is_found_not_paid_again(
    tmp_path: Path,
) -> None:
    """Jobs made just before the lost create fill the listing past its first page: the job is
    on the first page, and the lookup reads on (the listing is still recent) without losing it."""
    with running_simulator(sim_config(speed=6000.0)) as sim:
        path = write_pipeline(tmp_path, MINE)
        _flood(sim, FLOOD)
        _crash(sim, path)
        landed = sim.ledger()["creates"][-1]
        _flood(sim, 5, first=FLOOD)
        run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert run.shot("a#1")["videoId"] == landed["videoId"]
    assert len(run.ledger["creates"]) == FLOOD + 5 + 1, "the lost create was found, not paid again"


class QueuedButNeverListed(ToTheApi):
    """Every create reaches the API (a job is made and charged) but answers 502, and the
    account's listing never shows the job: it was moderated and removed after rendering."""

    def __init__(self) -> None:
        super().__init__()
        self.listings = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            await (await self.inner.handle_async_request(request)).aread()
            return httpx.Response(502, json={"error": "too busy", "code": 502})
        if request.url.path.endswith("/videos/"):
            self.listings += 1
            return httpx.Response(200, json=[])
        return await self.inner.handle_async_request(request)


def test_a_lost_create_that_never_shows_is_resent_once_and_counted_as_maybe_charged(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    transport = QueuedButNeverListed()
    run = run_pipeline(sim, path, transport=transport)
    charged = sum(c["credits"] for c in run.ledger["creates"])
    assert len(run.ledger["creates"]) == 2, "one blind resend, then stop"
    # Two lookups after each: a create answered (502) is not waited for as an unanswered one is.
    assert transport.listings == 2 * 2
    shot = run.shot("a#1")
    assert shot["status"] == "failed"
    assert "check that account's videos and credits" in shot["error"]
    assert shot["error"].startswith("2 creates went out without an answer (")
    assert "too busy" in shot["error"] and "no job for them shows on 111;" in shot["error"]
    assert "up to 50 credits" in shot["error"]
    assert shot["credits"] + shot["creditsUnsure"] == charged == 50
    totals = run.manifest["totals"]
    assert totals["creditsSpent"] + totals["creditsUnsure"] == charged
    # `reel plan` says so too, before anything more is sent.
    from runner.commands.tables import rerun_line
    from runner.spec.validate import load_pipeline
    from runner.state.plan import make_plan
    from runner.state.plan_view import rerun_json
    from runner.state.rerun import decide_all

    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    decisions = decide_all(run.output, make_plan(pipeline).takes, backend=sim.base_url)
    assert rerun_json(decisions)["creditsUnsure"] == shot["creditsUnsure"] > 0
    assert f"up to {shot['creditsUnsure']} credits possibly charged already" in rerun_line(
        decisions
    )
    # A rerun sends nothing more: it reports the failure and what may have been spent.
    again = run_pipeline(sim, path, transport=QueuedButNeverListed())
    assert len(again.ledger["creates"]) == 2
    assert again.shot("a#1")["status"] == "failed"
    said = f"{shot['error']} (earlier run; --retry-failed renders it again)"
    assert again.shot("a#1")["error"] == said, "the rerun says why, from the journal"
    assert again.manifest["totals"]["creditsUnsure"] == charged
    assert again.manifest["totals"]["creditsSpent"] == 0


class UnansweredThenListedLate(ToTheApi):
    """Every create reaches the API (a job is made) but its answer never comes (a read
    timeout); the account's listing shows nothing to the lookups that decide a resend, and
    shows the jobs only afterwards, as when the server processed the creates late."""

    HIDDEN_LISTINGS = 2 * 2
    """Two lookups for each of the two lost creates: all miss."""

    def __init__(self) -> None:
        super().__init__()
        self.listings = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            await (await self.inner.handle_async_request(request)).aread()
            raise httpx.ReadTimeout("no answer", request=request)
        if request.url.path.endswith("/videos/"):
            self.listings += 1
            if self.listings <= self.HIDDEN_LISTINGS:
                return httpx.Response(200, json=[])
        return await self.inner.handle_async_request(request)


def test_a_job_listed_only_after_every_create_went_unanswered_is_adopted_not_given_up(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    run = run_pipeline(sim, path, timeout=0.5, transport=UnansweredThenListedLate())
    creates = run.ledger["creates"]
    assert len(creates) == 2, "one blind resend, then only lookups"
    shot = run.shot("a#1")
    assert shot["status"] == "completed", shot
    assert shot["videoId"] in {c["videoId"] for c in creates}
    # The other create was charged too and no job of it was adopted: it stays possibly spent.
    assert shot["creditsUnsure"] == creates[0]["credits"] == 25
    assert run.manifest["totals"]["creditsUnsure"] == 25
    journal = Journal(run.output / ".reel")
    try:
        record = journal.latest("a#1")
        assert record is not None and record.video_id == shot["videoId"], "journalled at once"
    finally:
        journal.close()


class UnansweredThenKilledWhileSettling(UnansweredThenListedLate):
    """As `UnansweredThenListedLate`, and the run is killed at its first lookup after the four
    that decided the resend: while it waits for the lost creates' jobs before giving up (Ctrl-C
    is likely there: the wait is twice the request timeout, and nothing shows)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/") and self.listings == self.HIDDEN_LISTINGS:
            raise Killed
        return await super().handle_async_request(request)


def _settle_then_crash(sim: Simulator, path: Path) -> None:
    _crash(sim, path, UnansweredThenKilledWhileSettling(), timeout=0.5)
    assert len(sim.ledger()["creates"]) == 2, "a create and its one blind resend, both lost"


def test_a_rerun_after_a_kill_while_settling_adopts_the_late_job_and_sends_nothing(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    _settle_then_crash(sim, path)
    again = run_pipeline(sim, path)  # the server has processed both creates by now
    creates = again.ledger["creates"]
    assert len(creates) == 2, "the rerun looked for the lost creates' jobs: no third create"
    shot = again.shot("a#1")
    assert shot["status"] == "completed", shot
    assert shot["videoId"] in {c["videoId"] for c in creates}
    # The other lost create was charged too and is not this shot's video: possibly spent.
    assert shot["creditsUnsure"] == 25 and again.manifest["totals"]["creditsSpent"] == 25


def test_a_rerun_after_a_kill_while_settling_never_resends_creates_that_never_show(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    _settle_then_crash(sim, path)
    # `reel plan` says what the rerun will do: look first (it was sent: not "not sent before").
    from runner.spec.validate import load_pipeline
    from runner.state.plan import make_plan
    from runner.state.rerun import decide_all

    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    (decision,) = decide_all(pipeline.output, make_plan(pipeline).takes, backend=sim.base_url)
    assert (decision.action, decision.reason) == (
        "resume",
        "sent before, no reply: look the job up first",
    )
    assert decision.unsure == 50, "both lost creates may have been charged"
    # So does `reel status`.
    from click.testing import CliRunner

    from runner.cli import main as reel

    said = CliRunner().invoke(reel, ["status", str(path)])
    assert said.exit_code == 0, said.output
    assert (
        "a#1: running: sent to 111, its answer lost and no job found yet: a rerun looks it up"
        " (25 credits possibly charged)"
    ) in said.output
    assert "possibly charged already: 50 credits" in said.output
    said = CliRunner().invoke(reel, ["status", str(path), "--json"])
    assert json.loads(said.output)["creditsUnsure"] == 50
    # Both jobs were moderated and removed after rendering: no listing ever shows them.
    again = run_pipeline(sim, path, transport=QueuedButNeverListed())
    assert len(again.ledger["creates"]) == 2, "two creates lost: the run stops, as unkilled"
    shot = again.shot("a#1")
    assert shot["status"] == "failed", shot
    assert shot["error"].startswith("2 creates went out without an answer (")
    assert "check that account's videos and credits before running again" in shot["error"]
    assert shot["creditsUnsure"] == 50 and shot["credits"] == 0
    # And the run after that reports it from the journal, still sending nothing.
    third = run_pipeline(sim, path, transport=QueuedButNeverListed())
    assert len(third.ledger["creates"]) == 2
    assert third.shot("a#1")["status"] == "failed"
    assert third.shot("a#1")["error"].endswith("(earlier run; --retry-failed renders it again)")


class NeverListedKillAfterFirstCreate(KillAfterFirstCreate):
    """A kill -9 once the first create reached the server, whose job the account's listing
    never shows (moderated and removed after rendering)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/") and not self.dead:
            return httpx.Response(200, json=[])
        return await super().handle_async_request(request)


def test_a_shot_killed_twice_while_its_create_was_in_flight_is_not_sent_a_third_time(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    for _kill in range(2):  # the first run, then a rerun that looks, finds nothing and resends
        _crash(sim, path, NeverListedKillAfterFirstCreate())
    assert len(sim.ledger()["creates"]) == 2
    last = run_pipeline(sim, path, transport=QueuedButNeverListed())
    assert len(last.ledger["creates"]) == 2, "two creates went out unanswered: no third"
    shot = last.shot("a#1")
    assert shot["status"] == "failed"
    assert shot["error"].startswith("2 creates went out without an answer (not found on rerun)")
    assert shot["creditsUnsure"] == 50


def test_creates_never_sent_do_not_count_as_lost_on_a_rerun(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    pipeline = load_pipeline(path)[0]
    assert pipeline is not None
    take = make_plan(pipeline).takes[0]
    (pipeline.output / ".reel").mkdir(parents=True)
    journal = Journal(pipeline.output / ".reel", sim.base_url)

    async def never_sent() -> None:  # as a run leaves a 429, or a create that could not connect
        for _ in range(2):
            job = await journal.intend(
                key=take.key, fingerprint=take.fingerprint, run_id="r", account="111",
                prompt="p", model=take.shot.model,
            )  # fmt: skip
            await journal.set_state(job, "abandoned", "ConnectError: refused")

    anyio.run(never_sent)
    journal.close()
    run = run_pipeline(sim, path)
    assert run.shot("a#1")["status"] == "completed", "sent at once: nothing went out before"
    assert len(run.ledger["creates"]) == 1
    assert run.shot("a#1")["creditsUnsure"] == 0


class ListedOnceACreateWasSent(ToTheApi):
    """The account's listing is empty until this run has sent a create: the job of an earlier
    run's create never shows (moderated and removed), this run's own jobs do."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            self.sent = True
        elif request.url.path.endswith("/videos/") and not self.sent:
            return httpx.Response(200, json=[])
        return await self.inner.handle_async_request(request)


def test_a_retry_after_a_stop_counts_only_its_own_lost_creates(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    stopped = run_pipeline(sim, path, transport=QueuedButNeverListed())
    assert stopped.shot("a#1")["status"] == "failed" and len(stopped.ledger["creates"]) == 2
    # The user checked the account and retries; that run is killed with its create in flight.
    _crash(sim, path, NeverListedKillAfterFirstCreate(), RunOptions(retry_failed=True))
    # One create lost since the retry: the rerun looks, finds nothing, and sends once more.
    again = run_pipeline(sim, path, transport=ListedOnceACreateWasSent())
    assert again.shot("a#1")["status"] == "completed", again.shot("a#1")
    assert len(again.ledger["creates"]) == 4
    assert again.shot("a#1")["creditsUnsure"] == 75, "three creates may have been charged"


def test_retry_failed_sends_again_after_two_creates_lost_in_a_killed_run(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    _settle_then_crash(sim, path)
    # Their jobs never show; the user checked the account and asks for the shot again.
    options = RunOptions(retry_failed=True)
    retried = run_pipeline(sim, path, options, transport=ListedOnceACreateWasSent())
    assert retried.shot("a#1")["status"] == "completed", retried.shot("a#1")
    assert len(retried.ledger["creates"]) == 3


class FirstCreateOnlyReachesTheServer(UnansweredThenKilledWhileSettling):
    """As its parent, but the resend never reaches the server (its connection dropped before
    it was read): only the first create made a job."""

    def __init__(self) -> None:
        super().__init__()
        self.creates = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            self.creates += 1
            if self.creates > 1:
                raise httpx.ReadTimeout("no answer", request=request)
        return await super().handle_async_request(request)


def test_a_rerun_looks_for_the_job_of_the_first_lost_create_too(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, ONE_SHOT)
    _crash(sim, path, FirstCreateOnlyReachesTheServer(), timeout=0.5)
    (made,) = sim.ledger()["creates"]
    again = run_pipeline(sim, path)
    assert again.shot("a#1")["status"] == "completed", again.shot("a#1")
    assert again.shot("a#1")["videoId"] == made["videoId"]
    assert len(again.ledger["creates"]) == 1
