"""Every endpoint over real HTTP: tokens, accounts, files, videos, scheduler, cancel."""

from __future__ import annotations

import re
import threading

import httpx
import pytest

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from tests.sim.conftest import FREE, PAID
from tests.sim.helpers import LEDGER_KEYS, client, create, image_bytes, wait_final

ENDPOINTS = [
    ("GET", "/accounts"),
    ("GET", f"/accounts/{FREE}"),
    ("POST", f"/files/?account={FREE}"),
    ("POST", "/videos/create"),
    ("GET", f"/videos/user:1234-minimax:{FREE}-video:1"),
    ("GET", f"/videos/?account={FREE}"),
    ("GET", "/scheduler"),
    ("GET", "/scheduler/available"),
    ("POST", "/videos/cancel"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("auth", [None, "Bearer wrong", "user:1234-simulatortoken0000"])
def test_every_endpoint_wants_the_bearer_token(
    fast_sim: Simulator, method: str, path: str, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {}
    reply = httpx.request(method, fast_sim.base_url + path, headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {"error": "Unauthorized", "code": 401}


def test_accounts_lists_each_configured_account(http: httpx.Client) -> None:
    accounts = http.get("/accounts").json()
    assert set(accounts) == {FREE, PAID}
    assert accounts[FREE]["account"] == FREE
    assert accounts[FREE]["maxJobs"] == 2
    assert accounts[PAID]["maxJobs"] == 3
    assert accounts[PAID]["supportVideo"] is True


def test_one_account_and_an_unknown_one(http: httpx.Client) -> None:
    assert http.get(f"/accounts/{PAID}").json()["maxJobs"] == 3
    reply = http.get("/accounts/999")
    assert reply.status_code == 404
    assert reply.json()["code"] == 404


@pytest.mark.parametrize(
    ("fmt", "kind"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/jpeg")]
)
def test_upload_takes_raw_png_jpeg_and_webp_as_jpeg(
    http: httpx.Client, fmt: str, kind: str
) -> None:
    data = image_bytes((40, 30), fmt)
    reply = http.post(f"/files/?account={FREE}", content=data, headers={"Content-Type": kind})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["fileID"].startswith(f"user:1234-minimax:{FREE}-file:")
    assert httpx.get(body["ossPath"]).content == data  # public URL, no token


@pytest.mark.parametrize(
    ("query", "kind", "data", "error"),
    [
        (f"?account={FREE}", "image/gif", image_bytes(fmt="GIF"), "Content-Type"),
        (f"?account={FREE}", "image/png", b"not an image at all", "not a valid image/png"),
        (f"?account={FREE}", "image/png", image_bytes(fmt="JPEG"), "JPEG image, not image/png"),
        (f"?account={FREE}", "image/png", b"", "empty"),
        ("", "image/png", image_bytes(), "account is required"),
        ("?account=999", "image/png", image_bytes(), "Account 999 is not configured"),
    ],
)
def test_upload_refusals(
    http: httpx.Client, query: str, kind: str, data: bytes, error: str
) -> None:
    reply = http.post(f"/files/{query}", content=data, headers={"Content-Type": kind})
    assert reply.status_code == 400
    assert error in reply.json()["error"]
    assert reply.json()["code"] == 400


def test_upload_needs_no_account_when_there_is_one() -> None:
    config = SimConfig(accounts=(SimAccount(id="5"),), speed=1000)
    with running_simulator(config) as sim, client(sim) as http:
        assert upload_without_account(http).startswith("user:1234-minimax:5-file:")


def upload_without_account(http: httpx.Client) -> str:
    reply = http.post("/files/", content=image_bytes(), headers={"Content-Type": "image/png"})
    assert reply.status_code == 200, reply.text
    file_id: str = reply.json()["fileID"]
    return file_id


def test_create_then_get_then_list(http: httpx.Client) -> None:
    reply = create(
        http, account=PAID, model="T2V-2.3", options="768p-6sec", prompt="a cat", replyRef="shot-1"
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["videoId"] == f"user:1234-minimax:{PAID}-video:{body['id']}"
    assert body["task"]["videoIDs"] == [body["id"]]
    assert body["replyRef"] == "shot-1"
    video = wait_final(http, body["videoId"])
    assert video["status"] == 2
    assert video["statusLabel"] == "completed"
    assert video["desc"] == "a cat"
    assert (video["width"], video["height"]) == (1366, 768)
    assert video["downloadURL"].endswith(".mp4")  # paid account
    assert video["videoURL"].endswith(".mp4")
    assert video["replyRef"] == "shot-1"
    listed = http.get(f"/videos/?account={PAID}&limit=5").json()
    assert listed[0]["videoId"] == body["videoId"]
    assert "percent" not in listed[0]


def test_free_account_has_no_download_url(http: httpx.Client) -> None:
    body = create(http, account=FREE, prompt="a dog").json()
    video = wait_final(http, body["videoId"])
    assert video["status"] == 2
    assert video["model"] == "T2V-01"
    assert "downloadURL" not in video
    assert httpx.get(video["videoURL"]).status_code == 200
    assert httpx.get(video["videoURL"].replace("-wm.mp4", ".mp4")).status_code == 404


def test_list_is_newest_first_and_pages_with_last_video_id(http: httpx.Client) -> None:
    ids = [create(http, account=PAID, prompt=f"page {n}").json()["videoId"] for n in range(3)]
    for video_id in ids:
        wait_final(http, video_id)
    first = http.get(f"/videos/?account={PAID}&limit=2").json()
    assert [v["videoId"] for v in first] == [ids[2], ids[1]]
    rest = http.get(f"/videos/?account={PAID}&limit=1&lastVideoId={ids[1]}").json()
    assert [v["videoId"] for v in rest] == [ids[0]]
    assert http.get("/videos/?limit=0").status_code == 400
    assert http.get("/videos/?account=999").status_code == 400


def test_unknown_video_is_404(http: httpx.Client) -> None:
    reply = http.get(f"/videos/user:1234-minimax:{FREE}-video:42")
    assert reply.status_code == 404
    assert reply.json() == {"error": "Not found.", "code": 404}


def test_scheduler_and_available_show_running_jobs(slow_http: httpx.Client) -> None:
    one = create(slow_http, account=FREE, prompt="long", replyRef="r1").json()["videoId"]
    two = create(slow_http, account=FREE, prompt="longer").json()["videoId"]
    running = slow_http.get("/scheduler").json()
    assert [j["videoId"] for j in running] == [one, two]
    assert running[0]["replyRef"] == "r1"
    assert re.fullmatch(r"\d\d:\d\d", running[0]["elapsed"])
    available = slow_http.get("/scheduler/available").json()
    assert [j["videoId"] for j in available["executing"]] == [one, two]
    rows = {row["account"]: row for row in available["available"]}
    # The default listing leaves the full account out (tests/sim/test_docs_conformance.py
    # covers the other reading).
    assert FREE not in rows
    assert rows[PAID] == {"account": PAID, "maxJobs": 3, "executing": 0, "available": 3}


def test_cancel_ends_a_job_and_frees_its_slot(slow_http: httpx.Client) -> None:
    one = create(slow_http, account=FREE, prompt="first").json()["videoId"]
    two = create(slow_http, account=FREE, prompt="second").json()["videoId"]
    assert slow_http.get(f"/videos/{two}").json()["status"] == 11
    reply = slow_http.post("/videos/cancel", json={"videoId": one})
    assert reply.status_code == 200
    assert reply.json() == {"videoId": one, "cancelled": True}
    cancelled = slow_http.get(f"/videos/{one}").json()
    assert cancelled["statusFinal"] is True
    assert cancelled["statusLabel"] == "cancelled"
    assert slow_http.get(f"/videos/{two}").json()["status"] == 1  # took the freed slot
    assert slow_http.post("/videos/cancel", json={"videoId": one}).status_code == 400
    assert slow_http.post("/videos/cancel", json={}).status_code == 400
    missing = f"user:1234-minimax:{FREE}-video:9"
    assert slow_http.post("/videos/cancel", json={"videoId": missing}).status_code == 404


def test_unknown_path_is_a_json_404(http: httpx.Client) -> None:
    reply = http.get("/nothing/here")
    assert reply.status_code == 404
    assert reply.json()["code"] == 404


def test_ledger_is_served_without_token_and_matches_in_process(fast_sim: Simulator) -> None:
    served = httpx.get(fast_sim.base_url.replace("/v1/minimax", "/_sim/ledger")).json()
    assert set(served) >= LEDGER_KEYS
    assert served["accounts"][FREE]["plan"] == "free"
    assert set(fast_sim.ledger()["accounts"]) == set(served["accounts"])


def test_simulator_stops_cleanly_without_leaking_threads() -> None:
    before = {t.name for t in threading.enumerate()}
    with running_simulator(SimConfig(speed=1000)) as sim, client(sim) as http:
        create(http, account="222222", prompt="in flight at shutdown", replyUrl=sim.root)
        assert http.get("/accounts").status_code == 200
    after = {t.name for t in threading.enumerate()}
    assert after <= before


def test_a_percent_encoded_colon_finds_nothing(http: httpx.Client) -> None:
    video_id = create(http, account=PAID, prompt="raw colons").json()["videoId"]
    assert http.get(f"/videos/{video_id}").status_code == 200
    encoded = video_id.replace(":", "%3A")
    assert http.get(f"/videos/{encoded}").status_code == 404
