"""The API client in isolation (httpx.MockTransport): typed replies and typed refusals."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import httpx
import pytest

from runner.api import useapi
from runner.api.records import Video
from runner.run.download import media_client

TOKEN = "user:4321-abcdefghijklmnop"
VIDEO = "user:4321-minimax:987654-video:112233"


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> useapi.UseApi:
    return useapi.UseApi(
        useapi.ClientConfig("http://useapi.test/v1/minimax", TOKEN),
        transport=httpx.MockTransport(handler),
    )


def _call(handler: Callable[[httpx.Request], httpx.Response], fn: str, *args: object) -> object:
    async def go() -> object:
        async with _client(handler) as client:
            return await getattr(client, fn)(*args)

    return anyio.run(go)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, useapi.BadRequest),
        (401, useapi.Unauthorized),
        (404, useapi.NotFound),
        (412, useapi.OutOfCredits),
        (422, useapi.Moderated),
        (429, useapi.Busy),
        (502, useapi.MaybeQueued),
        (504, useapi.MaybeQueued),
        (596, useapi.OnHold),
        (500, useapi.ServerError),
        (418, useapi.ApiError),
    ],
)
def test_each_status_becomes_its_refusal(status: int, kind: type[useapi.ApiError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": f"nope {TOKEN}", "code": status})

    with pytest.raises(kind) as caught:
        _call(handler, "create", {"prompt": "x"})
    assert type(caught.value) is kind, "exactly this class, not a subclass with another policy"
    assert caught.value.status == status
    assert TOKEN not in str(caught.value) and "nope" in str(caught.value)


def test_a_refusal_without_a_json_body_still_has_a_message() -> None:
    with pytest.raises(useapi.OnHold) as caught:
        _call(lambda r: httpx.Response(596, text="<html>hold</html>"), "create", {})
    assert caught.value.error


def test_connect_errors_are_safe_to_resend_but_read_errors_may_have_queued() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("dropped", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(useapi.TransportFailed):
        _call(refused, "create", {})
    with pytest.raises(useapi.MaybeQueued):
        _call(dropped, "create", {})
    with pytest.raises(useapi.MaybeQueued):
        _call(slow, "create", {})


def test_ids_go_into_the_path_raw_and_the_token_is_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"videoId": VIDEO, "status": 1, "percent": 40})

    video = _call(handler, "video", VIDEO)
    assert isinstance(video, Video) and video.percent == 40 and not video.final
    assert seen[0].url.raw_path == f"/v1/minimax/videos/{VIDEO}".encode()
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_replies_tolerate_missing_and_extra_fields() -> None:
    body = {
        "status": "2",
        "statusFinal": True,
        "percent": None,
        "surprise": [1],
        "videoURL": "http://cdn.test/v.mp4",
        "width": "1280",
    }
    video = Video.from_json(body)
    assert video.completed and video.final and video.media_url == "http://cdn.test/v.mp4"
    assert video.width == 1280 and video.height is None
    empty = Video.from_json({})
    assert empty.status is None and not empty.final and empty.media_url is None

    accounts = _call(
        lambda r: httpx.Response(
            200,
            json={"1": {"maxJobs": 3, "supportVideo": True}, "2": {"error": "bad"}, "3": "junk"},
        ),
        "accounts",
    )
    assert [(a.id, a.max_jobs, a.error) for a in accounts] == [  # type: ignore[attr-defined]
        ("1", 3, None),
        ("2", 1, "bad"),
        ("3", 1, None),
    ]


def test_create_without_a_video_id_may_have_queued() -> None:
    with pytest.raises(useapi.MaybeQueued):
        _call(lambda r: httpx.Response(200, json={"id": "1"}), "create", {})


def test_media_client_never_sends_the_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x")

    async def go() -> None:
        async with _client(handler), media_client(httpx.MockTransport(handler)) as media:
            await media.get("http://cdn.test/v.mp4")

    anyio.run(go)
    assert "Authorization" not in seen[0].headers
