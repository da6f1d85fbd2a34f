"""Every row of the refusal table, each against the simulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from runner.api.useapi import ClientConfig, MaybeQueued, UseApi
from runner.commands.run import RunOptions
from runner.errors import RunStopped
from runner.run.events import AccountChanged
from runner.sim import FaultRates, SimAccount, SimConfig, Simulator, running_simulator
from tests.run.conftest import ToTheApi, creates_per_key, run_pipeline, sim_config, write_pipeline

EIGHT = "shots:\n" + "".join(f"  - id: s{i}\n    prompt: shot number {i}\n" for i in range(8))
FIVE = "shots:\n" + "".join(f"  - id: s{i}\n    prompt: shot number {i}\n" for i in range(5))


def _no_duplicates(run: object) -> None:
    counts = creates_per_key(run.ledger, run.result)  # type: ignore[attr-defined]
    assert "?unknown" not in counts, "a job no shot-take knows about was created"
    assert set(counts.values()) <= {1}


def test_400_fails_the_shot_with_the_api_message_and_no_retry(
    sim: Simulator, tmp_path: Path
) -> None:
    body = """
    shots:
      - id: good
        prompt: fine
      - id: bad
        model: I2V-01
        prompt: a missing file
        frames: {first: "user:1234-minimax:111-file:999999"}
    """
    path = write_pipeline(tmp_path, body)
    run = run_pipeline(sim, path)
    assert run.status("good#1") == "completed"
    bad = run.shot("bad#1")
    assert bad["status"] == "failed" and "not found" in bad["error"]
    assert bad["attempts"] == 1 and bad["videoId"] is None
    assert [r["status"] for r in run.ledger["refusals"]] == [400]
    assert run.result.outcome == "incomplete"
    again = run_pipeline(sim, path)  # a rerun keeps it failed: only --retry-failed sends it
    assert again.status("bad#1") == "failed"
    assert [r["status"] for r in again.ledger["refusals"]] == [400]


def test_401_stops_the_run_without_showing_the_token(tmp_path: Path) -> None:
    config = SimConfig(accounts=(SimAccount("111"),), speed=600, token="user:77-realsecret12345")
    with running_simulator(config) as sim:
        wrong = Simulator(sim.root, "user:77-wrongtoken99999", sim.world)
        with pytest.raises(RunStopped) as caught:
            run_pipeline(wrong, write_pipeline(tmp_path, FIVE))
        assert sim.ledger()["creates"] == []
    assert "401" in str(caught.value)
    assert "wrongtoken" not in str(caught.value)


class RevokedAfterTwoCreates(ToTheApi):
    """The token is revoked while the run goes on: creates after the second answer 401 (a
    create another account's task had waiting may still go out, and meet the same 401)."""

    def __init__(self) -> None:
        super().__init__()
        self.creates = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create"):
            self.creates += 1
            if self.creates > 2:
                return httpx.Response(401, json={"error": "Unauthorized", "code": 401})
        return await self.inner.handle_async_request(request)


def test_a_token_rejected_on_a_create_stops_the_run_and_says_so(
    sim: Simulator, tmp_path: Path
) -> None:
    transport = RevokedAfterTwoCreates()
    run = run_pipeline(sim, write_pipeline(tmp_path, FIVE), transport=transport)
    assert (run.result.outcome, run.result.reason) == (
        "stopped",
        "the API token was rejected (401)",
    )
    assert len(run.ledger["creates"]) == 2
    kept = {s["videoId"] for s in run.manifest["shots"] if s["videoId"]}
    assert kept == {c["videoId"] for c in run.ledger["creates"]}, "a rerun follows both jobs"


def test_412_parks_the_account_and_places_its_shots_elsewhere(tmp_path: Path) -> None:
    accounts = (SimAccount("111", "free", 2, credits=50), SimAccount("222", "paid", 3))
    with running_simulator(sim_config(accounts)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, EIGHT))
    assert run.result.outcome == "completed"
    assert 412 in [r["status"] for r in run.ledger["refusals"]]
    assert sum(1 for c in run.ledger["creates"] if c["account"] == "111") == 2
    assert all(s["attempts"] == 1 for s in run.manifest["shots"]), "a 412 is not an attempt"
    _no_duplicates(run)


class NoCreditsForUploadsOn111(ToTheApi):
    """Account 111 refuses the image uploads with 412 (out of credits); the rest is the API."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/files/") and request.url.params.get("account") == "111":
            return httpx.Response(412, json={"error": "Not enough credits", "code": 412})
        return await self.inner.handle_async_request(request)


def test_412_on_an_upload_parks_the_account_as_out_of_credits(
    sim: Simulator, tmp_path: Path
) -> None:
    body = "shots:\n" + "".join(
        f"  - {{id: s{i}, model: I2V-01, prompt: shot {i}, frames: {{first: a.png}}}}\n"
        for i in range(4)
    )
    run = run_pipeline(sim, write_pipeline(tmp_path, body), transport=NoCreditsForUploadsOn111())
    assert run.result.outcome == "completed"
    parked = {e.account: e.parked for e in run.sink.events if isinstance(e, AccountChanged)}
    assert parked["111"] == "is out of credits (412)"
    assert {c["account"] for c in run.ledger["creates"]} == {"222"}


class UnreachableForEightCreates(ToTheApi):
    """The first eight creates cannot connect (nothing leaves); then the API answers."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/videos/create") and self.refused < 8:
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def test_a_create_that_could_not_connect_is_sent_again_up_to_eight_times(
    sim: Simulator, tmp_path: Path
) -> None:
    transport = UnreachableForEightCreates()
    run = run_pipeline(
        sim, write_pipeline(tmp_path, "shots:\n  - {id: a, prompt: one}\n"), transport=transport
    )
    assert transport.refused == 8
    assert run.result.outcome == "completed", run.shot("a#1")["error"]
    assert len(run.ledger["creates"]) == 1
    assert run.shot("a#1")["attempts"] == 1, "nothing left: not an attempt"


def test_412_on_every_account_stops_cleanly_and_says_why(tmp_path: Path) -> None:
    accounts = (SimAccount("111", "free", 2, credits=25),)
    with running_simulator(sim_config(accounts)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE))
    assert run.result.outcome == "incomplete"
    assert sorted(run.result.counts.items()) == [("completed", 1), ("skipped", 4)]
    assert "111 is out of credits (412)" in (run.result.reason or "")
    skipped = [s for s in run.manifest["shots"] if s["status"] == "skipped"]
    assert all("out of credits" in s["error"] for s in skipped)


def test_422_is_moderated_and_final(sim: Simulator, tmp_path: Path) -> None:
    body = "shots:\n  - id: m\n    prompt: please sim:moderate this\n  - id: ok\n    prompt: fine\n"
    run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.status("m#1") == "moderated"
    assert run.status("ok#1") == "completed"
    assert [r["status"] for r in run.ledger["refusals"]] == [422]


def test_429_waits_and_resends_without_counting_an_attempt(tmp_path: Path) -> None:
    with running_simulator(sim_config(faults=FaultRates(spurious_429=0.5), seed=3)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE))
    assert run.result.outcome == "completed"
    assert 429 in [r["status"] for r in run.ledger["refusals"]]
    assert all(s["attempts"] == 1 for s in run.manifest["shots"])
    _no_duplicates(run)


def test_596_parks_the_account_for_the_run(tmp_path: Path) -> None:
    faults = FaultRates(hold_after=(("111", 1),))
    with running_simulator(sim_config(faults=faults)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, EIGHT))
    assert run.result.outcome == "completed"
    assert 596 in [r["status"] for r in run.ledger["refusals"]]
    assert sum(1 for c in run.ledger["creates"] if c["account"] == "111") == 1
    _no_duplicates(run)


@pytest.mark.parametrize(
    "faults",
    [
        FaultRates(busy_queued_502=0.4),
        FaultRates(busy_queued_504=0.4),
        FaultRates(busy_502=0.2, busy_504=0.2),
        FaultRates(reset_before=0.3),
        FaultRates(reset_after=0.3),
    ],
    ids=["502-queued", "504-queued", "502-504", "reset-before", "reset-after"],
)
def test_maybe_queued_creates_are_looked_up_never_doubled(
    tmp_path: Path, faults: FaultRates
) -> None:
    with running_simulator(sim_config(faults=faults, seed=5)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE))
    assert run.result.outcome == "completed"
    _no_duplicates(run)
    assert len(run.ledger["creates"]) == 5


def test_two_takes_with_the_same_prompt_never_share_a_job(tmp_path: Path) -> None:
    body = "shots:\n  - id: same\n    prompt: identical prompt\n    takes: 6\n"
    faults = FaultRates(busy_queued_502=0.5, reset_after=0.2)
    with running_simulator(sim_config(faults=faults, seed=11)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.result.outcome == "completed"
    assert len({s["videoId"] for s in run.manifest["shots"]}) == 6
    _no_duplicates(run)


def test_truncated_downloads_are_retried(tmp_path: Path) -> None:
    with running_simulator(sim_config(faults=FaultRates(truncate=0.3), seed=2)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE))
    assert run.result.outcome == "completed"
    assert any(d["truncated"] for d in run.ledger["downloads"])
    for shot in run.manifest["shots"]:
        assert (run.output / shot["output"]["path"]).stat().st_size == shot["output"]["bytes"]


def test_render_failures_and_late_moderation_are_values(sim: Simulator, tmp_path: Path) -> None:
    body = """
    shots:
      - id: late
        prompt: sim:moderate-late please
      - id: broken
        prompt: sim:fail please
      - id: fine
        prompt: all good
    """
    run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.status("late#1") == "moderated"
    assert run.status("broken#1") == "failed"
    assert run.status("fine#1") == "completed"
    assert run.result.outcome == "incomplete"
    assert not (run.output / "late.mp4").exists()


def test_slow_replies_time_out_and_are_looked_up(tmp_path: Path) -> None:
    faults = FaultRates(slow=0.2, slow_seconds=600)  # 1 s at speed 600, past the timeout
    with running_simulator(sim_config(faults=faults, seed=4)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE), timeout=0.5)
    # A shot-take whose create timed out twice and whose job no lookup found stops there (one
    # blind resend at most) and says what to check, as does one whose lookups kept timing out
    # (its intent kept for a rerun); every other completes, none twice.
    for shot in run.manifest["shots"]:
        assert shot["status"] == "completed" or (
            shot["status"] == "failed"
            and ("check that account's videos" in shot["error"] or "looks again" in shot["error"])
        ), shot
    assert run.status("s1#1") == "completed"
    charged = sum(c["credits"] for c in run.ledger["creates"])
    totals = run.manifest["totals"]
    assert totals["creditsSpent"] <= charged <= totals["creditsSpent"] + totals["creditsUnsure"]
    _no_duplicates(run)
    slow = [f for f in run.ledger["faults"] if f["kind"] == "slow"]
    # The n-th create's dice are fixed by the seed: seed 4 makes one of the first five slow.
    assert any(f["path"].endswith("/videos/create") for f in slow)
    lookups = [r for r in run.ledger["requests"] if r["path"].endswith("/videos/")]
    resent = sum(s["attempts"] for s in run.manifest["shots"]) - 5
    assert resent >= 1, "a create whose reply did not come in time was given up and resent"
    assert len(lookups) >= 2 * resent, "each resend came after two lookups that missed"


def test_a_call_slower_than_the_request_timeout_is_given_up(tmp_path: Path) -> None:
    """The per-request timeout is the client's, not httpx's default (5 s) or none."""
    # Every call answers after 1.5 s, useapi's own /accounts included.
    faults = FaultRates(slow=1.0, slow_seconds=600 * 1.5, own_endpoints=True)

    async def call(sim: Simulator) -> BaseException | None:
        config = ClientConfig(sim.base_url, sim.token, timeout=0.3)
        async with UseApi(config) as client:
            try:
                await client.accounts()
            except MaybeQueued as exc:
                return exc
        return None

    with running_simulator(sim_config(faults=faults)) as sim:
        caught = anyio.run(call, sim)
    assert isinstance(caught, MaybeQueued) and "Timeout" in str(caught)


def test_a_video_removed_after_moderation_404_is_moderated(sim: Simulator, tmp_path: Path) -> None:
    body = "shots:\n  - id: late\n    prompt: sim:moderate-late please\n"
    # Poll only after the job has ended and the simulator has removed it (120 s / 600).
    run = run_pipeline(sim, write_pipeline(tmp_path, body), RunOptions(poll_interval=0.8))
    late = run.shot("late#1")
    assert late["status"] == "moderated" and "404" in late["error"]
    assert late["videoId"] is not None


def test_reply_url_and_ref_pass_through(sim: Simulator, tmp_path: Path) -> None:
    body = (
        "shots:\n  - id: a\n    prompt: one\n    replyUrl: https://example.com/hook\n"
        "    replyRef: my-ref-1\n"
    )
    run = run_pipeline(sim, write_pipeline(tmp_path, body))
    sent = run.ledger["creates"][0]["body"]
    assert sent["replyUrl"] == "https://example.com/hook" and sent["replyRef"] == "my-ref-1"


def test_a_lookup_never_adopts_the_job_of_a_shot_with_other_options(tmp_path: Path) -> None:
    body = "shots:\n" + "".join(
        f"  - id: s{i}\n    model: T2V-2.3\n    options: {opt}\n    prompt: the same words\n"
        for i, opt in enumerate(["768p-6sec", "768p-10sec", "1080p-6sec"] * 2)
    )
    faults = FaultRates(busy_queued_502=0.5, reset_after=0.2)
    with running_simulator(sim_config(faults=faults, seed=13)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert run.result.outcome == "completed"
    _no_duplicates(run)
    options_of = {c["videoId"]: c["body"]["options"] for c in run.ledger["creates"]}
    for shot in run.manifest["shots"]:
        assert options_of[shot["videoId"]] == shot["options"]


def test_without_a_usable_account_the_run_stops_and_says_why(tmp_path: Path) -> None:
    faults = FaultRates(hold_after=((None, 0),))  # every account on hold from the start
    with running_simulator(sim_config(faults=faults)) as sim, pytest.raises(RunStopped) as caught:
        run_pipeline(sim, write_pipeline(tmp_path, FIVE))
    assert "no account can render videos" in str(caught.value)


def test_no_create_is_sent_after_a_401_on_the_same_account(tmp_path: Path) -> None:
    """One account, room for five jobs: the other shot-takes wait for its create lock while the
    third create is answered 401. The run stops there; not one of them sends afterwards (each
    ends skipped, "not sent", and counts nothing as possibly charged)."""
    transport = RevokedAfterTwoCreates()
    accounts = (SimAccount("111", "paid", 5),)
    with running_simulator(sim_config(accounts)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, FIVE), transport=transport)
    assert run.result.reason == "the API token was rejected (401)"
    assert transport.creates == 3, "nothing was sent after the 401"
    unsent = [s for s in run.manifest["shots"] if s["status"] == "skipped"]
    assert len(unsent) == 2
    assert all(s["error"] == "not sent: the API token was rejected (401)" for s in unsent)
    assert all(s["creditsUnsure"] == 0 for s in run.manifest["shots"])
