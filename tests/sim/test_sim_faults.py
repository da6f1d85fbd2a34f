"""Every fault, each at rate 1 so that it surely happens, plus their reproducibility."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from runner.sim import SimAccount, SimConfig, Simulator, parse_faults, running_simulator
from tests.sim.helpers import client, create, wait_final

ACCOUNT = "7"


@contextmanager
def faulty(
    spec: str, speed: float = 20_000.0, seed: int = 0
) -> Iterator[tuple[Simulator, httpx.Client]]:
    config = SimConfig(
        accounts=(SimAccount(id=ACCOUNT, plan="paid", max_jobs=10),),
        speed=speed,
        faults=parse_faults(spec),
        seed=seed,
    )
    with running_simulator(config) as sim, client(sim) as http:
        yield sim, http


def _kinds(sim: Simulator) -> list[str]:
    return [f["kind"] for f in sim.ledger()["faults"]]


def test_spurious_429_queues_nothing() -> None:
    with faulty("429=1") as (sim, http):
        reply = create(http, prompt="a")
        assert reply.status_code == 429
        assert reply.json() == {"error": "YOU CAN QUEUE 5 JOBS AT ONCE", "code": 429}
        assert sim.ledger()["creates"] == []
        assert _kinds(sim) == ["429"]


@pytest.mark.parametrize("code", ["502", "504"])
def test_busy_but_queued_anyway_shows_in_the_list_only(code: str) -> None:
    with faulty(f"{code}q=1") as (sim, http):
        reply = create(http, prompt="queued anyway")
        assert reply.status_code == int(code)
        assert "too busy" in reply.json()["error"]
        assert "videoId" not in reply.json()
        [created] = sim.ledger()["creates"]
        assert created["queuedAnyway"] is True
        assert created["credits"] == 25
        listed = http.get(f"/videos/?account={ACCOUNT}").json()
        assert [v["videoId"] for v in listed] == [created["videoId"]]
        assert http.get("/scheduler").json() == []  # useapi does not track it
        assert wait_final(http, created["videoId"])["status"] == 2


@pytest.mark.parametrize("code", ["502", "504"])
def test_busy_refuses_any_call_and_queues_nothing(code: str) -> None:
    with faulty(f"{code}=1") as (sim, http):
        assert create(http, prompt="a").status_code == int(code)
        reply = http.get(f"/videos/?account={ACCOUNT}")
        assert reply.status_code == int(code)
        assert reply.json()["code"] == int(code)
        assert sim.ledger()["creates"] == []


def test_reset_before_processing_is_a_transport_error(caplog: pytest.LogCaptureFixture) -> None:
    with faulty("reset=1") as (sim, http):
        with pytest.raises(httpx.RemoteProtocolError):
            create(http, prompt="lost")
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/videos/?account={ACCOUNT}")
        assert sim.ledger()["creates"] == []
        assert _kinds(sim) == ["reset", "reset"]
        assert [r["status"] for r in sim.ledger()["requests"]] == [0, 0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_reset_after_processing_queues_the_job(caplog: pytest.LogCaptureFixture) -> None:
    with faulty("reset_after=1") as (sim, http):
        with pytest.raises(httpx.RemoteProtocolError):
            create(http, prompt="kept")
        [created] = sim.ledger()["creates"]
        assert created["queuedAnyway"] is False
        assert _kinds(sim) == ["reset_after"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_slow_reply_still_answers() -> None:
    with faulty("slow=1,slow_s=20", speed=200.0) as (sim, http):
        assert http.get(f"/videos/?account={ACCOUNT}").status_code == 200
        assert _kinds(sim) == ["slow"]


def test_truncated_download_breaks_mid_body(caplog: pytest.LogCaptureFixture) -> None:
    with faulty("truncate=1") as (sim, http):
        video = wait_final(http, create(http, prompt="cut").json()["videoId"])
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            httpx.get(video["downloadURL"])
        [download] = sim.ledger()["downloads"]
        assert download["truncated"] is True
        assert download["bytes"] > 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_moderation_at_submit_charges_nothing() -> None:
    with faulty("moderate=1") as (sim, http):
        reply = create(http, prompt="a")
        assert reply.status_code == 422
        assert sim.ledger()["creates"] == []


@pytest.mark.parametrize(("spec", "status"), [("moderate_late=1", 5), ("fail=1", 3)])
def test_render_outcome_faults(spec: str, status: int) -> None:
    with faulty(spec, speed=500.0) as (_, http):
        video = wait_final(http, create(http, prompt="a").json()["videoId"])
        assert video["status"] == status


def _fault_trail(seed: int) -> list[int]:
    with faulty("429=0.5,502=0.5", seed=seed) as (_, http):
        return [create(http, prompt=f"p{n % 4}").status_code for n in range(24)]


def test_faults_reproduce_with_the_same_seed() -> None:
    first = _fault_trail(3)
    assert first == _fault_trail(3)
    assert set(first) == {429, 502}
    assert first != _fault_trail(4)
