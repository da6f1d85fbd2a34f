"""The simulator against the docs: every endpoint Reel uses answers in the documented shape.

Each test names its source: the seed (the create page, `shared/seed/000_…`), or a useapi.net doc
page as `shared/useapi-notes.md` gathers them. What the docs leave open is pinned to the
simulator's choice (README, "Simulator": documented vs inferred), and where two readings are
possible (GET /scheduler/available), both are served and checked.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest

from runner.sim import FaultRates, SimAccount, SimConfig, Simulator, running_simulator
from runner.sim.config import Listing
from tests.sim.helpers import client, create, image_bytes, upload, wait_final, wait_for

FREE, PAID = "111", "222"
ACCOUNTS = (SimAccount(FREE, "free", 2), SimAccount(PAID, "paid", 3))
VIDEO_ID = re.compile(r"^user:1234-minimax:(\d+)-video:(\d+)$")
FILE_ID = re.compile(r"^user:1234-minimax:(\d+)-file:(\d+)$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# get-minimax-videos-videoId: the video model (all fields optional in the docs; these are sent).
VIDEO_KEYS = {
    "id",
    "desc",
    "status",
    "statusLabel",
    "statusFinal",
    "message",
    "percent",
    "width",
    "height",
    "originFiles",
    "canAppeal",
    "canRetry",
    "videoId",
}
# get-minimax-accounts-account: the account model and its jwt, secrets elided.
ACCOUNT_KEYS = {"account", "jwt", "maxJobs", "supportVideo", "supportChat", "supportAudio"}
JWT_KEYS = {"token", "user", "exp", "iat", "host", "searchParams", "iat_Issued", "exp_Expire"}
JWT_USER_KEYS = {"deviceID", "id", "isAnonymous", "name", "avatar"}


def _sim(**config: Any) -> Any:
    return running_simulator(SimConfig(**{"accounts": ACCOUNTS, "speed": 20_000.0, **config}))


@pytest.fixture(scope="module")
def fast() -> Iterator[tuple[Simulator, httpx.Client]]:
    with _sim(listing="with-room") as sim, client(sim) as http:
        yield sim, http


def _error_shape(reply: httpx.Response, status: int) -> None:
    """Every error body: `{"error": "<message>", "code": <http>}` (all doc pages)."""
    assert reply.status_code == status
    body = reply.json()
    assert isinstance(body["error"], str) and body["error"]
    assert body["code"] == status


# --- accounts (get-minimax-accounts, get-minimax-accounts-account) ------------------------------


def test_accounts_are_keyed_by_id_with_the_documented_fields(
    fast: tuple[Simulator, httpx.Client],
) -> None:
    sim, http = fast
    reply = http.get("/accounts")
    body = reply.json()
    assert set(body) == {FREE, PAID}
    for account, view in body.items():
        assert set(view) >= ACCOUNT_KEYS | {"supportMusic"}
        assert view["account"] == account
        assert view["supportVideo"] is True
        assert set(view["jwt"]) >= JWT_KEYS
        assert set(view["jwt"]["user"]) >= JWT_USER_KEYS
        assert "…secured…" in view["jwt"]["token"]  # elided, as the docs show it
        assert ISO.match(view["jwt"]["iat_Issued"]) and ISO.match(view["jwt"]["exp_Expire"])
        assert view["jwt"]["exp"] > view["jwt"]["iat"]
    assert sim.token not in reply.text
    assert http.get(f"/accounts/{PAID}").json() == body[PAID]
    _error_shape(http.get("/accounts/999"), 404)


def test_a_wrong_token_is_401_unauthorized(fast: tuple[Simulator, httpx.Client]) -> None:
    sim, _ = fast
    reply = httpx.get(sim.base_url + "/accounts", headers={"Authorization": "Bearer user:1-x"})
    _error_shape(reply, 401)
    assert reply.json()["error"] == "Unauthorized"


# --- files (post-minimax-files) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/jpeg")]
)
def test_png_jpeg_and_webp_sent_as_jpeg_are_uploaded(
    fast: tuple[Simulator, httpx.Client], fmt: str, content_type: str
) -> None:
    _, http = fast
    reply = http.post(
        f"/files/?account={FREE}",
        content=image_bytes(fmt=fmt),
        headers={"Content-Type": content_type},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) == {"ossPath", "fileID"}
    assert FILE_ID.match(body["fileID"]).group(1) == FREE  # type: ignore[union-attr]
    assert httpx.get(body["ossPath"]).content == image_bytes(fmt=fmt)


def test_other_content_types_and_a_missing_account_are_400(
    fast: tuple[Simulator, httpx.Client],
) -> None:
    _, http = fast
    png = image_bytes()
    # Inferred: the docs' table has image/png and image/jpeg only (webp goes as image/jpeg).
    _error_shape(
        http.post(f"/files/?account={FREE}", content=png, headers={"Content-Type": "image/webp"}),
        400,
    )
    # Documented: `account` is required when more than one account is configured.
    _error_shape(http.post("/files/", content=png, headers={"Content-Type": "image/png"}), 400)


# --- create and the video model (the seed; get-minimax-videos-videoId) --------------------------


def test_create_answers_a_video_id_of_the_account(fast: tuple[Simulator, httpx.Client]) -> None:
    _, http = fast
    reply = create(http, account=PAID, prompt="shape", replyRef="r")
    assert reply.status_code == 200
    found = VIDEO_ID.match(reply.json()["videoId"])
    assert found is not None and found.group(1) == PAID
    _error_shape(create(http, account=PAID, model="T2V-01", options="768p-6sec", prompt="x"), 400)


def test_the_video_model_has_the_documented_fields(fast: tuple[Simulator, httpx.Client]) -> None:
    _, http = fast
    first = upload(http, PAID)
    video_id = create(http, account=PAID, model="I2V-01", fileID=first, prompt="m").json()[
        "videoId"
    ]
    video = wait_final(http, video_id)
    assert set(video) >= VIDEO_KEYS
    assert (video["status"], video["statusLabel"], video["statusFinal"]) == (2, "completed", True)
    assert video["desc"] == "m" and video["videoId"] == video_id and video["percent"] == 100
    assert video["originFiles"][0]["id"] == first and video["originFiles"][0]["type"] == "image"
    assert {"coverURL", "videoURL", "downloadURL"} <= set(video)  # downloadURL: paid accounts
    free = wait_final(http, create(http, account=FREE, prompt="free").json()["videoId"])
    assert "videoURL" in free and "downloadURL" not in free


def test_an_encoded_colon_in_an_id_finds_nothing(fast: tuple[Simulator, httpx.Client]) -> None:
    _, http = fast
    video_id = create(http, account=PAID, prompt="raw ids").json()["videoId"]
    assert http.get(f"/videos/{video_id}").status_code == 200
    reply = http.get(f"/videos/{video_id.replace(':', '%3A')}")
    _error_shape(reply, 404)
    assert reply.json()["error"] == "Not found."


# --- listing videos (get-minimax-videos) --------------------------------------------------------


def test_listing_needs_the_account_when_several_are_configured(
    fast: tuple[Simulator, httpx.Client],
) -> None:
    _, http = fast
    _error_shape(http.get("/videos/"), 400)
    listed = http.get(f"/videos/?account={PAID}&limit=3").json()
    assert isinstance(listed, list) and listed
    assert all(
        "percent" not in v and v["videoId"].split("-")[1] == f"minimax:{PAID}" for v in listed
    )
    with _sim(accounts=(SimAccount(FREE),)) as one, client(one) as http_one:
        create(http_one, prompt="only account")
        assert len(http_one.get("/videos/").json()) == 1  # optional with one account


# --- the scheduler (get-minimax-scheduler, get-minimax-scheduler-available) ---------------------


@pytest.mark.parametrize("listing", ["with-room", "all"])
def test_available_lists_full_accounts_by_the_chosen_reading(listing: Listing) -> None:
    with _sim(speed=1.0, listing=listing) as sim, client(sim) as http:
        jobs = [create(http, account=FREE, prompt=f"fill {n}").json()["videoId"] for n in range(2)]
        body = http.get("/scheduler/available").json()
        assert set(body) == {"executing", "available"}
        assert [j["videoId"] for j in body["executing"]] == jobs
        for job in body["executing"]:
            assert ISO.match(job["started"]) and re.fullmatch(r"\d\d:\d\d", job["elapsed"])
        rows = {row["account"]: row for row in body["available"]}
        paid = {"account": PAID, "maxJobs": 3, "executing": 0, "available": 3}
        assert rows[PAID] == paid
        if listing == "with-room":
            assert FREE not in rows  # as useapi's own script assumes
        else:
            assert rows[FREE] == {"account": FREE, "maxJobs": 2, "executing": 2, "available": 0}
        scheduler = http.get("/scheduler").json()
        assert [j["videoId"] for j in scheduler] == jobs


# --- statuses (get-minimax-videos-videoId: the status table) ------------------------------------


def _statuses(http: httpx.Client, video_id: str) -> list[tuple[int, str, bool]]:
    seen: list[tuple[int, str, bool]] = []

    def final() -> bool:
        reply = http.get(f"/videos/{video_id}")
        if reply.status_code == 404:
            return True
        video = reply.json()
        step = (video["status"], video["statusLabel"], video["statusFinal"])
        if not seen or seen[-1] != step:
            seen.append(step)
        return bool(video["statusFinal"])

    wait_for(final, timeout=30.0, every=0.005)
    return seen


def test_the_docs_other_codes_for_queued_processing_and_moderated() -> None:
    faults = FaultRates(documented_codes=1.0)
    with _sim(speed=600.0, faults=faults, accounts=(SimAccount(FREE),)) as sim, client(sim) as h:
        ids = [create(h, prompt=p).json()["videoId"] for p in ("a", "b sim:moderate-late")]
        waiting = h.get(f"/videos/{ids[1]}").json()  # a free account renders one at a time
        done, moderated = _statuses(h, ids[0]), _statuses(h, ids[1])
    assert (waiting["status"], waiting["statusLabel"], waiting["statusFinal"]) == (
        0,
        "pending",
        False,
    )
    assert (12, "processing", False) in done
    assert done[-1] == (2, "completed", True)
    assert moderated[-1][0] in (7, 14) and moderated[-1][1:] == ("moderated", True)


def test_an_unknown_status_is_not_final() -> None:
    faults = FaultRates(unknown_codes=1.0)
    with _sim(speed=600.0, faults=faults, accounts=(SimAccount(FREE),)) as sim, client(sim) as h:
        seen = _statuses(h, create(h, prompt="odd").json()["videoId"])
    assert (99, "unknown", False) in seen
    assert seen[-1] == (2, "completed", True)


# --- faults: documented behaviour vs a hostile network ------------------------------------------


def test_busy_answers_meet_minimax_calls_but_not_useapis_own_by_default() -> None:
    busy = FaultRates(busy_502=1.0)
    with _sim(faults=busy) as sim, client(sim) as http:
        for path in ("/accounts", f"/accounts/{FREE}", "/scheduler", "/scheduler/available"):
            assert http.get(path).status_code == 200, path
        _error_shape(http.get(f"/videos/?account={FREE}"), 502)
    hostile = FaultRates(busy_502=1.0, own_endpoints=True)
    with _sim(faults=hostile) as sim, client(sim) as http:
        for path in ("/accounts", "/scheduler", "/scheduler/available"):
            _error_shape(http.get(path), 502)


# --- media: the reported size, sound for Veo ----------------------------------------------------


def _probe(data: bytes) -> tuple[tuple[int, int], list[str], float | None]:
    """(width, height) of the video, the audio codecs, and the decoded audio's seconds."""
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        size = (video.codec_context.width, video.codec_context.height)
        codecs = [s.codec_context.name for s in container.streams.audio]
        if not codecs:
            return size, codecs, None
        audio = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(audio))
        return size, codecs, samples / audio.codec_context.sample_rate


def _media(http: httpx.Client, **body: Any) -> tuple[dict[str, Any], bytes]:
    video = wait_final(http, create(http, account=PAID, **body).json()["videoId"])
    return video, httpx.get(video["downloadURL"]).content


def test_served_videos_have_the_reported_size_unless_scaled() -> None:
    body = {"model": "T2V-01", "prompt": "full size"}
    with _sim(media_scale=1.0) as sim, client(sim) as http:
        video, data = _media(http, **body)
        assert (video["width"], video["height"]) == (1280, 720)
        assert _probe(data)[0] == (1280, 720)
    with _sim(media_scale=0.25) as sim, client(sim) as http:
        video, data = _media(http, **body)
        assert (video["width"], video["height"]) == (1280, 720)  # reported: the real size
        assert _probe(data)[0] == (320, 180)


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"model": "Veo-3.1", "options": "veo-720p-8sec"}, 8),
        ({"model": "Veo-3.1-Fast", "options": "veo-720p-8sec"}, 8),
    ],
)
def test_veo_videos_carry_an_aac_track_of_their_length(
    fast: tuple[Simulator, httpx.Client], body: dict[str, str], seconds: int
) -> None:
    _, http = fast
    _, data = _media(http, prompt="a choir in a cathedral", **body)
    _size, codecs, heard = _probe(data)
    assert codecs == ["aac"]
    assert heard == pytest.approx(seconds, abs=0.1)


@pytest.mark.parametrize(
    "body",
    [{"model": "T2V-2.3", "options": "768p-6sec"}, {"model": "Sora-2"}, {"model": "T2V-01"}],
)
def test_models_without_native_audio_have_no_audio_track(
    fast: tuple[Simulator, httpx.Client], body: dict[str, str]
) -> None:
    _, http = fast
    assert _probe(_media(http, prompt="silent", **body)[1])[1] == []


def test_the_sound_follows_the_prompt(fast: tuple[Simulator, httpx.Client]) -> None:
    _, http = fast
    veo = {"model": "Veo-3.1-Fast", "options": "veo-720p-8sec"}
    one, two = (_media(http, prompt=p, **veo)[1] for p in ("thunder", "birdsong"))

    def sound(data: bytes) -> bytes:
        with av.open(io.BytesIO(data)) as container:
            return b"".join(bytes(p) for p in container.demux(audio=0))

    assert sound(one) != sound(two)
