"""The Python API and ledger shapes other parts of Reel code against (CONTEXT.md contracts)."""

from __future__ import annotations

import httpx
import pytest

from runner.sim import FaultRates, SimAccount, SimConfig, running_simulator
from tests.sim.helpers import LEDGER_KEYS, client, create, upload, wait_final


def test_python_api_and_every_ledger_entry_have_the_agreed_fields() -> None:
    config = SimConfig(
        accounts=(
            SimAccount(id="111", plan="free", max_jobs=2, credits=10_000),
            SimAccount(id="222", plan="paid", max_jobs=3),
        ),
        speed=20_000.0,
        faults=FaultRates(),
        seed=0,
        token=None,
    )
    with running_simulator(config) as sim, client(sim) as http:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.base_url.endswith("/v1/minimax")
        assert sim.token == "user:1234-simulatortoken0000"
        file_id = upload(http, "222")
        video_id = create(http, account="222", model="I2V-01", fileID=file_id).json()["videoId"]
        video = wait_final(http, video_id)
        httpx.get(video["downloadURL"])
        create(http, account="999")
        ledger = sim.ledger()
        assert httpx.get(sim.root + "/_sim/ledger").json() == ledger  # not in its own ledger

    assert set(ledger) >= LEDGER_KEYS
    assert set(ledger["requests"][0]) >= {"t", "method", "path", "status", "account"}
    [created] = ledger["creates"]
    assert set(created) >= {"t", "videoId", "account", "body", "credits", "queuedAnyway"}
    assert (created["account"], created["credits"], created["queuedAnyway"]) == ("222", 25, False)
    [refusal] = ledger["refusals"]
    assert set(refusal) >= {"t", "path", "status", "account", "error"}
    [job] = ledger["jobs"]
    assert set(job) >= {
        "videoId",
        "account",
        "model",
        "options",
        "createdAt",
        "startedAt",
        "finishedAt",
        "renderSeconds",
        "status",
    }
    assert (job["model"], job["options"], job["status"]) == ("I2V-01", None, 2)
    assert job["finishedAt"] - job["startedAt"] == pytest.approx(job["renderSeconds"], abs=1e-3)
    [download] = ledger["downloads"]
    assert set(download) >= {"t", "videoId", "bytes", "truncated"}
    [uploaded] = ledger["uploads"]
    assert set(uploaded) >= {"t", "account", "fileID", "sha256", "bytes"}
    assert ledger["peakJobs"] == {"111": 0, "222": 1}
    assert ledger["peakRendering"] == {"111": 0, "222": 1}
    assert ledger["accounts"]["111"] == {
        "plan": "free",
        "maxJobs": 2,
        "credits": 10_000,
        "onHold": False,
        "creates": 0,
    }
