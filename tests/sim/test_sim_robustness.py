"""Whatever a client sends, the simulator answers like the API: a JSON body with an error code,
never a 500 or a dropped connection (faults off)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from runner.sim.validate_body import KNOWN
from tests.sim.helpers import client, upload

ACCOUNT = "5"
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "T2V-01",
            "02",
            "Veo-3.1-S2V",
            "Sora-2",
            "768p-6sec",
            "veo-4k-8sec",
            "9:16",
            "16:9",
            "512p-10sec",
            "http://127.0.0.1:9/",
            ACCOUNT,
            "$FILE",
            "$PORTRAIT",
        ]
    ),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
)
BODIES = st.dictionaries(st.sampled_from(sorted(KNOWN | {"extra"})), VALUES, max_size=6)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def robust() -> Iterator[tuple[Simulator, httpx.Client, dict[str, str]]]:
    config = SimConfig(
        accounts=(SimAccount(id=ACCOUNT, plan="paid", max_jobs=10),), speed=1_000_000.0
    )
    with running_simulator(config) as sim, client(sim) as http:
        files = {"$FILE": upload(http, ACCOUNT), "$PORTRAIT": upload(http, ACCOUNT, (720, 1280))}
        yield sim, http, files


@SETTINGS
@given(body=BODIES)
def test_any_create_body_gets_an_api_answer(
    robust: tuple[Simulator, httpx.Client, dict[str, str]], body: dict[str, Any]
) -> None:
    _, http, files = robust
    body = {k: files.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    reply = http.post("/videos/create", json=body)
    assert reply.status_code in (200, 400, 429), reply.text
    answer = reply.json()
    if reply.status_code == 200:
        assert answer["videoId"].startswith(f"user:1234-minimax:{ACCOUNT}-video:")
    else:
        assert answer["code"] == reply.status_code
        assert isinstance(answer["error"], str)


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.text(alphabet="abcdefgiklmnorsuv/:-_?=&0123456789", max_size=40),
)
def test_any_path_gets_a_json_answer(
    robust: tuple[Simulator, httpx.Client, dict[str, str]], method: str, path: str
) -> None:
    _, http, _ = robust
    reply = http.request(method, "/" + path.lstrip("/"))
    assert reply.status_code < 500, reply.text
    if reply.headers.get("content-type", "").startswith("application/json"):
        body = reply.json()
        if reply.status_code >= 400:
            assert body["code"] == reply.status_code


def test_a_client_hanging_up_mid_body_is_recorded_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = SimConfig(accounts=(SimAccount(id=ACCOUNT, plan="paid", max_jobs=3),), speed=1000.0)
    with running_simulator(config) as sim:
        host, port = httpx.URL(sim.base_url).host, httpx.URL(sim.base_url).port
        head = (
            f"POST /v1/minimax/videos/create HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {sim.token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n"
        )
        with socket.create_connection((host, port)) as raw:
            raw.sendall(head.encode() + b'{"prompt": "cut o')
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            refusals = [r for r in sim.ledger()["refusals"] if r["status"] == 499]
            if refusals:
                break
            time.sleep(0.02)
    assert refusals and refusals[0]["path"] == "/v1/minimax/videos/create"
    assert sim.ledger()["creates"] == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
