"""POST /videos/create checks every compatibility rule: one accepted and one refused body each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from tests.sim.helpers import client, upload

MAIN, OTHER = "111", "222"
REFS = [f"R{n}" for n in range(2, 15)]


@pytest.fixture(scope="module")
def rules_sim() -> Iterator[Simulator]:
    accounts = (SimAccount(id=MAIN, plan="paid", max_jobs=10), SimAccount(id=OTHER, plan="paid"))
    with running_simulator(SimConfig(accounts=accounts, speed=1_000_000.0)) as sim:
        yield sim


@pytest.fixture(scope="module")
def rules_http(rules_sim: Simulator) -> Iterator[httpx.Client]:
    with client(rules_sim) as http:
        yield http


@pytest.fixture(scope="module")
def files(rules_http: httpx.Client) -> dict[str, str]:
    found = {
        "A": upload(rules_http, MAIN, colour="red"),
        "B": upload(rules_http, MAIN, colour="blue"),
        "S16": upload(rules_http, MAIN, size=(1280, 720)),
        "S9": upload(rules_http, MAIN, size=(720, 1280)),
        "OTHER": upload(rules_http, OTHER),
    }
    for name in REFS:
        found[name] = upload(rules_http, MAIN, colour="green")
    return found


def _fill(body: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    """Replace $NAME placeholders by the uploaded file ids; add the account."""
    filled = {
        k: files[v[1:]] if isinstance(v, str) and v.startswith("$") else v for k, v in body.items()
    }
    return {"account": MAIN, "prompt": "a lighthouse at dusk", **filled}


S2V_ALL = {
    "model": "Veo-3.1-S2V",
    "options": "veo-720p-8sec",
    "fileID": "$A",
    **{f"fileID{n}": f"$R{n}" for n in range(2, 15)},
}

ACCEPTED: list[dict[str, Any]] = [
    {"model": "T2V-01"},
    {"model": "T2V-01-Director", "prompt": "[Pan left] a street"},
    {},  # model and options left to the API's defaults
    {"model": "T2V-2.3", "options": "768p-10sec"},
    {"model": "I2V-01", "fileID": "$A"},
    {"fileID": "$A"},  # defaults to I2V-01
    {"model": "I2V-01-live", "fileID": "$A"},
    {"model": "S2V-01", "fileID": "$A"},
    {"model": "02", "options": "512p-6sec", "fileID": "$A"},
    {"model": "02", "options": "1080p-6sec", "fileID": "$A", "end_frame_fileID": "$B"},
    {"model": "02", "options": "768p-6sec"},
    {"model": "I2V-2.3-Fast", "options": "1080p-6sec", "fileID": "$A"},
    {"model": "Veo-3.1", "options": "veo-4k-8sec", "fileID": "$A", "end_frame_fileID": "$B"},
    {"model": "Veo-3.1-Fast", "options": "veo-720p-8sec", "aspectRatio": "9:16"},
    S2V_ALL,
    {"model": "Veo-3.1-S2V-Fast", "options": "veo-1080p-8sec", "fileID": "$A", "fileID2": "$B"},
    {"model": "Sora-2", "options": "720p-12sec", "fileID": "$S16"},
    {"model": "Sora-2", "options": "720p-4sec", "fileID": "$S9", "aspectRatio": "9:16"},
    {"model": "Sora-2", "options": "720p-8sec"},
    {"prompt": "x" * 2000, "promptOptimization": True},
    {"replyUrl": "http://127.0.0.1:9/" + "u" * 1000, "replyRef": "r" * 1024},
    {"maxJobs": 1},
    {"maxJobs": 10},
]

REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"model": "T2V-99"}, "Unsupported model T2V-99"),
    ({"model": "T2V-01", "options": "768p-6sec"}, "does not support options"),
    ({"model": "T2V-2.3", "options": "512p-6sec"}, "does not support options 512p-6sec"),
    ({"model": "Veo-3.1", "options": "720p-8sec"}, "does not support options 720p-8sec"),
    ({"model": "I2V-01"}, "requires fileID"),
    ({"model": "I2V-2.3", "options": "768p-6sec"}, "requires fileID"),
    ({"model": "S2V-01"}, "requires fileID"),
    ({"model": "Veo-3.1-S2V", "options": "veo-720p-8sec"}, "requires fileID"),
    ({"model": "02", "options": "512p-6sec"}, "requires fileID"),
    ({"model": "T2V-2.3", "options": "768p-6sec", "fileID": "$A"}, "does not support fileID"),
    ({"model": "T2V-01", "fileID": "$A"}, "does not support fileID"),
    (
        {"model": "02", "options": "512p-10sec", "fileID": "$A", "end_frame_fileID": "$B"},
        "does not support end_frame_fileID",
    ),
    (
        {"model": "I2V-2.3", "options": "768p-6sec", "fileID": "$A", "end_frame_fileID": "$B"},
        "does not support end_frame_fileID",
    ),
    (
        {"model": "Sora-2", "options": "720p-4sec", "fileID": "$S16", "end_frame_fileID": "$B"},
        "does not support end_frame_fileID",
    ),
    (
        {"model": "Veo-3.1", "options": "veo-720p-8sec", "end_frame_fileID": "$B"},
        "end_frame_fileID requires fileID",
    ),
    (
        {"model": "Veo-3.1", "options": "veo-720p-8sec", "fileID": "$A", "end_frame_fileID": "$A"},
        "cannot be the same",
    ),
    ({"model": "S2V-01", "fileID": "$A", "fileID2": "$B"}, "does not support fileID2"),
    (
        {"model": "Veo-3.1", "options": "veo-720p-8sec", "fileID": "$A", "fileID2": "$B"},
        "does not support fileID2",
    ),
    (
        {
            "model": "Veo-3.1-S2V",
            "options": "veo-720p-8sec",
            "fileID": "$A",
            "fileID2": "$B",
            "fileID4": "$R4",
        },
        "fileID4 given without the ones before it",
    ),
    ({"model": "Veo-3.1-S2V", "options": "veo-720p-8sec", "fileID2": "$B"}, "requires fileID"),
    ({"model": "Sora-2", "options": "720p-4sec", "fileID": "$A"}, "exactly 1280x720"),
    (
        {"model": "Sora-2", "options": "720p-4sec", "fileID": "$S16", "aspectRatio": "9:16"},
        "exactly 720x1280",
    ),
    (
        {"model": "02", "options": "768p-6sec", "aspectRatio": "16:9"},
        "does not support aspectRatio",
    ),
    ({"model": "T2V-01", "aspectRatio": "9:16"}, "does not support aspectRatio"),
    (
        {"model": "Veo-3.1", "options": "veo-720p-8sec", "aspectRatio": "4:3"},
        "aspectRatio must be one of",
    ),
    ({"prompt": "x" * 2001}, "longer than 2000"),
    ({"replyUrl": "http://127.0.0.1:9/" + "u" * 1010}, "replyUrl is longer than 1024"),
    ({"replyRef": "r" * 1025}, "replyRef is longer than 1024"),
    ({"replyUrl": "ftp://example.org/x"}, "http(s) URL"),
    ({"maxJobs": 0}, "maxJobs must be an integer within 1...10"),
    ({"maxJobs": 11}, "maxJobs must be an integer"),
    ({"maxJobs": "3"}, "maxJobs must be an integer"),
    ({"maxJobs": True}, "maxJobs must be an integer"),
    ({"model": "I2V-01", "fileID": "$OTHER"}, "belongs to account 222"),
    ({"model": "I2V-01", "fileID": f"user:1234-minimax:{MAIN}-file:4000000000099999"}, "not found"),
    ({"model": "I2V-01", "fileID": f"user:1234-minimax:{MAIN}-file:77"}, "not found"),
    ({"model": "I2V-01", "fileID": f"user:999-minimax:{MAIN}-file:77"}, "not found"),
    ({"model": "I2V-01", "fileID": "user:1234-minimax:333-file:77"}, "not found"),
    ({"model": "I2V-01", "fileID": "file-77"}, "not a valid file id"),
    ({"account": "999"}, "Account 999 is not configured"),
    ({"endFrame": "$B"}, "Unsupported parameter: endFrame"),
    ({"prompt": 5}, "prompt must be a string"),
    ({"promptOptimization": "yes"}, "promptOptimization must be true or false"),
]


@pytest.mark.parametrize("body", ACCEPTED, ids=lambda b: str(b.get("model", "default")))
def test_accepted(rules_http: httpx.Client, files: dict[str, str], body: dict[str, Any]) -> None:
    reply = rules_http.post("/videos/create", json=_fill(body, files))
    assert reply.status_code == 200, reply.text
    assert reply.json()["videoId"].startswith(f"user:1234-minimax:{MAIN}-video:")


@pytest.mark.parametrize(("body", "error"), REFUSED, ids=[e for _, e in REFUSED])
def test_refused(
    rules_http: httpx.Client, files: dict[str, str], body: dict[str, Any], error: str
) -> None:
    reply = rules_http.post("/videos/create", json=_fill(body, files))
    assert reply.status_code == 400, reply.text
    assert error in reply.json()["error"]
    assert reply.json()["code"] == 400


def test_body_must_be_a_json_object(rules_http: httpx.Client) -> None:
    for content in (b"[1, 2]", b"{not json"):
        reply = rules_http.post(
            "/videos/create", content=content, headers={"Content-Type": "application/json"}
        )
        assert reply.status_code == 400
        assert reply.json()["code"] == 400


def test_multipart_form_is_read_like_json(rules_http: httpx.Client, files: dict[str, str]) -> None:
    form = {
        "account": MAIN,
        "model": "02",
        "options": "768p-6sec",
        "fileID": files["A"],
        "promptOptimization": "true",
        "maxJobs": "3",
        "prompt": "from a form",
    }
    reply = rules_http.post("/videos/create", files={k: (None, v) for k, v in form.items()})
    assert reply.status_code == 200, reply.text
    video = rules_http.get(f"/videos/{reply.json()['videoId']}").json()
    assert video["desc"] == "from a form"
    bad = rules_http.post("/videos/create", files={"maxJobs": (None, "many")})
    assert bad.status_code == 400
    assert "maxJobs" in bad.json()["error"]


def test_account_comes_from_the_file_when_not_named(
    rules_http: httpx.Client, files: dict[str, str]
) -> None:
    reply = rules_http.post("/videos/create", json={"model": "I2V-01", "fileID": files["OTHER"]})
    assert reply.status_code == 200, reply.text
    assert f"-minimax:{OTHER}-video:" in reply.json()["videoId"]


def test_portrait_first_frame_gives_portrait_video(
    rules_http: httpx.Client, files: dict[str, str]
) -> None:
    reply = rules_http.post(
        "/videos/create",
        json=_fill({"model": "I2V-2.3", "options": "1080p-6sec", "fileID": "$S9"}, files),
    )
    video = rules_http.get(f"/videos/{reply.json()['videoId']}").json()
    assert (video["width"], video["height"]) == (1080, 1920)


def test_credits_follow_the_catalogue(
    rules_sim: Simulator, rules_http: httpx.Client, files: dict[str, str]
) -> None:
    prices = [
        ({"model": "Veo-3.1", "options": "veo-4k-8sec"}, 180),
        ({"model": "Veo-3.1-Fast", "options": "veo-1080p-8sec"}, 60),
        ({"model": "Sora-2", "options": "720p-12sec"}, 120),
        ({"model": "02", "options": "512p-6sec", "fileID": "$A"}, 12),
        ({"model": "I2V-2.3-Fast", "options": "768p-10sec", "fileID": "$A"}, 30),
        ({"model": "T2V-01"}, 25),
    ]
    for body, credits in prices:
        reply = rules_http.post("/videos/create", json=_fill(body, files))
        video_id = reply.json()["videoId"]
        create = next(c for c in rules_sim.ledger()["creates"] if c["videoId"] == video_id)
        assert create["credits"] == credits, body


def test_earlier_uploads_when_asked() -> None:
    """With earlier_files, fileIDs from before the simulator started are taken as uploaded
    (size unknown, so Sora's exact size is not checked); ids of its own range still are not."""
    config = SimConfig(accounts=(SimAccount(id=MAIN, plan="paid"),), speed=1e6, earlier_files=True)
    with running_simulator(config) as sim, client(sim) as http:
        earlier = f"user:1234-minimax:{MAIN}-file:77"
        reply = http.post("/videos/create", json={"model": "I2V-01", "fileID": earlier})
        assert reply.status_code == 200, reply.text
        sora = {
            "model": "Sora-2",
            "options": "720p-4sec",
            "aspectRatio": "9:16",
            "fileID": f"user:1234-minimax:{MAIN}-file:78",
        }
        assert http.post("/videos/create", json=sora).status_code == 200
        never = {"model": "I2V-01", "fileID": f"user:1234-minimax:{MAIN}-file:4000000000099999"}
        assert "not found" in http.post("/videos/create", json=never).json()["error"]
        video = http.get(f"/videos/{reply.json()['videoId']}").json()
        assert httpx.get(video["originFiles"][0]["url"]).headers["content-type"] == "image/png"
