"""Reel on both readings of GET /scheduler/available: full accounts listed, or left out.

The docs show only accounts with room and useapi's own batch script assumes a full account is
left out; the simulator can answer either way (`SimConfig.listing`). On both, an account
absent from the list is full, not gone: Reel never puts more than its maxJobs on it, and uses
it again once the jobs others run there end.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from runner.api.records import Available, SchedulerJob
from runner.run.others import count_others
from runner.run.placement import AccountSlots
from runner.sim import SimAccount, SimConfig, running_simulator
from runner.sim.config import Listing
from tests.run.conftest import SPEED, run_pipeline, write_pipeline

READINGS: tuple[Listing, ...] = ("with-room", "all")


def _occupy(base_url: str, token: str, account: str, count: int) -> list[str]:
    """Jobs that someone else (another client with the same token) runs on `account`."""
    ids = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for n in range(count):
            reply = http.post(
                "/videos/create",
                json={"prompt": f"someone else's video {n}", "account": account},
            )
            assert reply.status_code == 200, reply.text
            ids.append(reply.json()["videoId"])
        listed = http.get("/scheduler/available").json()["available"]
    assert all(row["available"] == 0 for row in listed if row["account"] == account)
    return ids


@pytest.mark.timeout(60)  # before the fix it waited forever
@pytest.mark.parametrize("listing", READINGS)
def test_a_full_account_is_waited_for_not_dropped(listing: Listing, tmp_path: Path) -> None:
    accounts = (SimAccount("111", "free", 1), SimAccount("222", "paid", 2))
    config = SimConfig(accounts=accounts, speed=SPEED, listing=listing)
    with running_simulator(config) as sim:
        theirs = _occupy(sim.base_url, sim.token, "111", 1)
        path = write_pipeline(
            tmp_path,
            """
            shots:
              - {id: pinned, prompt: "waits for its own account", account: "111"}
              - {id: free1, prompt: "goes anywhere 1"}
              - {id: free2, prompt: "goes anywhere 2"}
            """,
        )
        run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert run.shot("pinned#1")["account"] == "111"
    # The pinned shot was created only after the other client's job had ended.
    jobs = {j["videoId"]: j for j in run.ledger["jobs"]}
    pinned = jobs[run.shot("pinned#1")["videoId"]]
    assert pinned["createdAt"] >= jobs[theirs[0]]["finishedAt"]
    assert run.ledger["peakJobs"]["111"] <= 1


def _job(account: str, n: int) -> SchedulerJob:
    return SchedulerJob(f"user:1-minimax:{account}-video:{n}", None, None)


def test_others_are_the_listed_jobs_that_are_not_ours_on_either_reading() -> None:
    slots = [AccountSlots("111", 2), AccountSlots("222", 3)]
    jobs = [_job("111", 1), _job("111", 2), _job("222", 3)]
    listed_all = [Available("111", 2, 2, 0), Available("222", 3, 1, 2)]
    with_room = [Available("222", 3, 1, 2)]
    for available in (listed_all, with_room):
        counts = count_others(slots, available, jobs, ours={_job("222", 3).video_id})
        assert counts == {"111": 2, "222": 0}


def test_an_account_left_out_of_a_list_without_jobs_is_full_not_gone() -> None:
    slots = [AccountSlots("111", 2, ours=1), AccountSlots("222", 3)]
    counts = count_others(slots, [Available("222", 3, 1, 2)], [], ours=set())
    assert counts == {"111": 1, "222": 1}  # 111: its free slot is someone else's
    assert count_others(slots, [], [], ours=set()) == {"111": 0, "222": 0}
