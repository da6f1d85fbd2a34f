"""Media of completed jobs: playable H.264 MP4s of the right shape and length, JPEG covers."""

from __future__ import annotations

import io

import av
import httpx
import pytest
from PIL import Image, ImageStat

from runner.sim import Simulator
from tests.sim.conftest import FREE, PAID
from tests.sim.helpers import create, upload, wait_final


def _probe(data: bytes) -> tuple[str, int, int, float, Image.Image]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        first = next(container.decode(stream)).to_image()
        duration = float(container.duration) / 1_000_000
        return stream.codec_context.name, stream.width, stream.height, duration, first


@pytest.mark.parametrize(
    ("body", "size", "seconds"),
    [
        # A quarter of the reported size (the tests' and `reel run`'s media scale).
        ({"model": "Veo-3.1", "options": "veo-1080p-8sec", "aspectRatio": "9:16"}, (270, 480), 8),
        ({"model": "Sora-2", "options": "720p-12sec"}, (320, 180), 12),
        ({"model": "T2V-2.3", "options": "768p-10sec"}, (342, 192), 10),
        ({"model": "T2V-01"}, (320, 180), 6),
    ],
)
def test_mp4_has_the_shots_aspect_and_duration(
    http: httpx.Client, body: dict[str, str], size: tuple[int, int], seconds: int
) -> None:
    video_id = create(http, account=PAID, prompt="a harbour at night", **body).json()["videoId"]
    video = wait_final(http, video_id)
    reply = httpx.get(video["downloadURL"])  # no token: public CDN-style URL
    assert reply.headers["content-type"] == "video/mp4"
    codec, width, height, duration, _ = _probe(reply.content)
    assert codec == "h264"
    assert (width, height) == size
    assert duration == pytest.approx(seconds, abs=0.3)


def test_cover_is_a_jpeg_of_the_same_shape(http: httpx.Client) -> None:
    body = {"model": "Veo-3.1-Fast", "options": "veo-720p-8sec", "aspectRatio": "9:16"}
    video = wait_final(http, create(http, account=PAID, prompt="cover", **body).json()["videoId"])
    reply = httpx.get(video["coverURL"])
    assert reply.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(reply.content)) as image:
        assert (image.format, image.size) == ("JPEG", (180, 320))


def test_first_frame_shows_in_the_picture(http: httpx.Client) -> None:
    blue = upload(http, FREE, size=(160, 90), colour="blue")
    with_frame = create(http, account=FREE, model="I2V-01", fileID=blue, prompt="same").json()
    without = create(http, account=FREE, model="T2V-01", prompt="same").json()
    pictures = []
    for reply in (with_frame, without):
        video = wait_final(http, reply["videoId"])
        pictures.append(_probe(httpx.get(video["videoURL"]).content)[4])
    blue_mean = ImageStat.Stat(pictures[0]).mean
    plain_mean = ImageStat.Stat(pictures[1]).mean
    assert blue_mean[2] > plain_mean[2] or blue_mean[2] > 150
    assert blue_mean[2] > blue_mean[0]


def test_same_video_downloads_the_same_bytes(http: httpx.Client) -> None:
    video = wait_final(http, create(http, account=PAID, prompt="twice").json()["videoId"])
    assert httpx.get(video["downloadURL"]).content == httpx.get(video["downloadURL"]).content


def test_two_takes_of_one_shot_are_different_videos(http: httpx.Client) -> None:
    bodies = [create(http, account=PAID, prompt="one shot, two takes").json() for _ in range(2)]
    videos = [httpx.get(wait_final(http, b["videoId"])["downloadURL"]).content for b in bodies]
    assert videos[0] != videos[1]
    assert all(_probe(v)[0] == "h264" for v in videos)


def test_every_take_of_one_shot_is_its_own_video(http: httpx.Client) -> None:
    """However many takes (up to a shot's 10): jobs of the same request are different files
    that look different, and each still plays."""
    videos, pictures = [], []
    for _ in range(10):
        body = create(http, account=PAID, prompt="one shot, ten takes").json()
        video = wait_final(http, body["videoId"])
        assert "downloadURL" in video, video
        data = httpx.get(video["downloadURL"]).content
        videos.append(data)
        with av.open(io.BytesIO(data)) as container:
            frames = list(container.decode(container.streams.video[0]))
            pictures.append(frames[len(frames) // 3].to_image().tobytes())
    assert len(set(videos)) == 10
    assert len(set(pictures)) == 10


def test_media_of_unfinished_or_unknown_jobs_is_404(
    slow_http: httpx.Client, slow_sim: object
) -> None:
    video_id = create(slow_http, account=PAID, prompt="not yet").json()["videoId"]
    number = video_id.rsplit(":", 1)[1]
    root = str(slow_http.base_url).split("/v1/")[0]
    assert httpx.get(f"{root}/cdn/video/{number}.mp4").status_code == 404
    assert httpx.get(f"{root}/cdn/cover/{number}.jpg").status_code == 404
    assert httpx.get(f"{root}/cdn/video/123-wm.mp4").status_code == 404


def test_range_requests_resume_a_download(http: httpx.Client) -> None:
    video = wait_final(http, create(http, account=PAID, prompt="ranges").json()["videoId"])
    whole = httpx.get(video["downloadURL"]).content
    tail = httpx.get(video["downloadURL"], headers={"Range": "bytes=100-"})
    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    assert whole[:100] + tail.content == whole
    bad = httpx.get(video["downloadURL"], headers={"Range": f"bytes={len(whole)}-"})
    assert bad.status_code == 416


def test_video_fades_from_first_to_last_frame(http: httpx.Client) -> None:
    red = upload(http, PAID, size=(160, 90), colour="red")
    blue = upload(http, PAID, size=(160, 90), colour="blue")
    body = {"model": "Veo-3.1", "options": "veo-720p-8sec", "fileID": red, "end_frame_fileID": blue}
    video = wait_final(http, create(http, account=PAID, prompt="fade", **body).json()["videoId"])
    with av.open(io.BytesIO(httpx.get(video["downloadURL"]).content)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    start, end = ImageStat.Stat(frames[0]).mean, ImageStat.Stat(frames[-1]).mean
    assert start[0] > start[2]  # mostly red
    assert end[2] > end[0]  # mostly blue


def test_downloads_note_whether_a_token_was_sent(fast_sim: Simulator, http: httpx.Client) -> None:
    video = wait_final(http, create(http, account=PAID, prompt="leak?").json()["videoId"])
    httpx.get(video["downloadURL"])
    http.get(video["downloadURL"])  # the API client carries the token: a leak
    mine = [d for d in fast_sim.ledger()["downloads"] if d["videoId"] == video["videoId"]]
    assert [d["withToken"] for d in mine] == [False, True]


def test_video_begins_on_its_first_frame_and_ends_on_its_last(http: httpx.Client) -> None:
    red = upload(http, PAID, size=(160, 90), colour="red")
    blue = upload(http, PAID, size=(160, 90), colour="blue")
    body = {"model": "Veo-3.1", "options": "veo-720p-8sec", "fileID": red, "end_frame_fileID": blue}
    video = wait_final(http, create(http, account=PAID, prompt="exact", **body).json()["videoId"])
    with av.open(io.BytesIO(httpx.get(video["downloadURL"]).content)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    # Exactly the images (no caption, no dot, no blend), within the codec's error.
    for frame, colour in ((frames[0], (255, 0, 0)), (frames[-1], (0, 0, 255))):
        stat = ImageStat.Stat(frame)
        assert all(abs(m - c) < 40 for m, c in zip(stat.mean, colour, strict=True)), stat.mean
        assert max(stat.stddev) < 8, stat.stddev
    assert max(ImageStat.Stat(frames[1]).stddev) > 8  # the frames between carry the caption
