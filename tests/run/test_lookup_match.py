"""Finding a job a lost create may have made: what fits (matches), and when it is looked for."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from runner.api.records import Video
from runner.run.lookup import LIST_LIMIT, LOOKUP_SKEW, LookupFailed, Wanted, _ordinal, wanted
from runner.sim import running_simulator
from tests.run.conftest import ToTheApi, creates_per_key, run_pipeline, sim_config, write_pipeline

SINCE = 1_700_000_000.0
FILES = frozenset({"user:1:-minimax:111-file:1"})
WANT = Wanted("111", "a lighthouse", "T2V-2.3", "768p-6sec", FILES, SINCE, aspect_ratio="16:9")
SAME = Video.from_json(
    {
        "videoId": "user:1234-minimax:111-video:1",
        "status": 11,
        "desc": "a lighthouse",
        "model": "T2V-2.3",
        "options": "768p-6sec",
    }
)
SAME = dataclasses.replace(SAME, file_ids=FILES, created=SINCE + 5, aspect_ratio="16:9")


def test_the_job_that_was_asked_for_matches() -> None:
    assert WANT.fits(SAME)
    assert WANT.fits(dataclasses.replace(SAME, created=None)), "no time shown: not excluded"
    unshown: dict[str, Any] = {
        "model": None, "options": None, "file_ids": frozenset(), "aspect_ratio": None
    }  # fmt: skip
    assert WANT.fits(dataclasses.replace(SAME, **unshown))


@pytest.mark.parametrize(
    ("differs", "video"),
    [
        ("prompt", dataclasses.replace(SAME, desc="a lighthouse at night")),
        ("model", dataclasses.replace(SAME, model="I2V-2.3")),
        ("options", dataclasses.replace(SAME, options="768p-10sec")),
        ("frames", dataclasses.replace(SAME, file_ids=frozenset({"user:1-minimax:111-file:2"}))),
        ("aspect ratio", dataclasses.replace(SAME, aspect_ratio="9:16")),
        ("made before the attempt", dataclasses.replace(SAME, created=SINCE - LOOKUP_SKEW - 1)),
    ],
)
def test_a_job_that_differs_is_never_adopted(differs: str, video: Video) -> None:
    assert not WANT.fits(video), differs


@pytest.mark.parametrize("unshown", ["model", "options", "aspect_ratio", "file_ids"])
def test_a_job_is_exact_only_when_the_listing_shows_all_that_was_sent(unshown: str) -> None:
    """Of several jobs that fit, the one the listing shows in full is adopted (`exact`)."""
    assert WANT.exact(SAME)
    blank: dict[str, Any] = {unshown: frozenset() if unshown == "file_ids" else None}
    vague = dataclasses.replace(SAME, **blank)
    assert WANT.fits(vague) and not WANT.exact(vague)


def test_what_was_not_sent_need_not_be_shown_but_unknown_frames_are_never_exact() -> None:
    sent_little = Wanted("111", "a lighthouse", None, None, frozenset(), SINCE)
    bare = dataclasses.replace(
        SAME, model=None, options=None, file_ids=frozenset(), aspect_ratio=None
    )
    assert sent_little.exact(bare)
    assert not dataclasses.replace(sent_little, file_ids=None).exact(bare)


def test_failed_lookups_are_counted_in_words_a_reader_expects() -> None:
    """ "lookup on 111: 2nd failure (...), retrying": the count as English ordinals."""
    said = {n: _ordinal(n) for n in (1, 2, 3, 4, 10, 11, 12, 13, 20, 21, 22, 23, 111, 121)}
    assert said == {
        1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 10: "10th", 11: "11th", 12: "12th", 13: "13th",
        20: "20th", 21: "21st", 22: "22nd", 23: "23rd", 111: "111th", 121: "121st",
    }  # fmt: skip


def test_a_job_without_a_prompt_is_found_for_a_shot_without_one() -> None:
    """Image-only shots send no prompt; the API lists their jobs without one (or empty)."""
    want = dataclasses.replace(WANT, prompt=None)
    assert want.fits(dataclasses.replace(SAME, desc=None))
    assert want.fits(dataclasses.replace(SAME, desc=""))
    assert not want.fits(SAME)


def test_the_time_window_tolerates_clock_skew_and_no_more() -> None:
    assert WANT.fits(dataclasses.replace(SAME, created=SINCE - LOOKUP_SKEW))
    assert not WANT.fits(dataclasses.replace(SAME, created=SINCE - LOOKUP_SKEW - 0.001))


class LateCreate(ToTheApi):
    """The first create's reply is lost (a read timeout), and the API makes the job only after
    the first lookup has listed the account's videos: as when a timed-out request is still
    on its way. Only a second lookup, a wait later, can find it."""

    def __init__(self) -> None:
        super().__init__()
        self.held: httpx.Request | None = None
        self.lookups_before_release = 0
        self.released = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/videos/create") and not self.released and self.held is None:
            self.held = request
            raise httpx.ReadTimeout("the reply was lost", request=request)
        # A lookup's listing (pages of LIST_LIMIT), not the account watcher's read of its jobs.
        lookup = request.url.params.get("limit") == str(LIST_LIMIT)
        if path.endswith("/videos/") and lookup and self.held is not None:
            listing = await self.inner.handle_async_request(request)
            body = await listing.aread()
            self.lookups_before_release += 1
            made = await self.inner.handle_async_request(self.held)
            await made.aread()
            self.held, self.released = None, True
            return httpx.Response(listing.status_code, headers=listing.headers, content=body)
        return await self.inner.handle_async_request(request)


def test_a_job_made_after_the_first_lookup_is_found_by_the_second_not_paid_twice(
    tmp_path: Path,
) -> None:
    body = "shots:\n" + "".join(f"  - id: s{i}\n    prompt: shot number {i}\n" for i in range(3))
    late = LateCreate()
    with running_simulator(sim_config()) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body), transport=late)
    assert late.released and late.lookups_before_release == 1
    assert run.result.outcome == "completed"
    counts = creates_per_key(run.ledger, run.result)
    assert counts == {"s0#1": 1, "s1#1": 1, "s2#1": 1}, "the late job was adopted, not resent"
    # Adopted in the journal too, before anything else: a crash now would not pay again.
    from runner.state.journal import Journal

    journal = Journal(run.output / ".reel")
    try:
        for shot in run.manifest["shots"]:
            record = journal.latest(shot["key"])
            assert record is not None and record.video_id == shot["videoId"], shot["key"]
    finally:
        journal.close()


class Recording(ToTheApi):
    """Passes every request on, noting the Content-Type of each upload."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/files/"):
            self.uploads.append(request.headers["content-type"])
        return await self.inner.handle_async_request(request)


def test_each_frame_is_uploaded_with_its_own_content_type(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 36), (1, 2, 3)).save(tmp_path / "c.jpg")
    body = (
        "shots:\n  - id: p\n    model: I2V-01\n    frames: {first: a.png}\n"
        "  - id: j\n    model: I2V-01\n    frames: {first: c.jpg}\n"
    )
    recording = Recording()
    with running_simulator(sim_config()) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, body), transport=recording)
    assert run.result.outcome == "completed"
    assert sorted(recording.uploads) == ["image/jpeg", "image/png"]


class BusyUploads(ToTheApi):
    """The first `failures` uploads answer 502 (nothing stored); the rest go through."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.left = failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/files/") and self.left > 0:
            self.left -= 1
            return httpx.Response(502, json={"error": "too busy", "code": 502})
        return await self.inner.handle_async_request(request)


def test_an_upload_is_resent_as_often_as_the_retry_policy_allows(tmp_path: Path) -> None:
    """Uploads cost nothing: TRANSPORT_TRIES failures in a row are resent; one more fails."""
    from runner.run.retry import TRANSPORT_TRIES

    body = "shots:\n  - id: p\n    model: I2V-01\n    frames: {first: a.png}\n"
    with running_simulator(sim_config()) as sim:
        run = run_pipeline(
            sim, write_pipeline(tmp_path, body), transport=BusyUploads(TRANSPORT_TRIES)
        )
    assert run.result.outcome == "completed"
    with running_simulator(sim_config()) as sim:
        path = write_pipeline(tmp_path / "more", body)
        run = run_pipeline(sim, path, transport=BusyUploads(TRANSPORT_TRIES + 1))
    assert run.status("p#1") == "failed" and "upload failed" in run.shot("p#1")["error"]


def test_a_rerun_looks_for_what_the_journal_says_was_sent(tmp_path: Path) -> None:
    from runner.spec.validate import load_pipeline
    from runner.state.plan import make_plan
    from runner.state.takestate import TakeState

    body = """\
shots:
  - id: a
    model: Veo-3.1
    prompt: p
    options: veo-1080p-8sec
    aspectRatio: "9:16"
    replyRef: mine-1
    frames: {first: a.png}
"""
    pipe, _ = load_pipeline(write_pipeline(tmp_path, body))
    assert pipe is not None
    st = TakeState(make_plan(pipe).takes[0])
    sent = {
        "prompt": "q",
        "model": "Veo-3.1-Fast",
        "options": "veo-720p-8sec",
        "aspectRatio": "16:9",
        "fileIDs": ["user:1-minimax:111-file:7"],
    }  # fmt: skip: what an earlier version of the pipeline sent
    want = wanted(st, "111", SINCE, stored=json.dumps(sent))
    said = (want.prompt, want.model, want.options, want.aspect_ratio, want.reply_ref)
    assert said == ("q", "Veo-3.1-Fast", "veo-720p-8sec", "16:9", "mine-1")
    assert want.file_ids == frozenset(sent["fileIDs"]) and want.since == SINCE
    older = {k: v for k, v in sent.items() if k != "fileIDs"}  # a request kept without them
    assert wanted(st, "111", SINCE, stored=json.dumps(older)).file_ids is None
    for unreadable in ("not json", "[]"):  # then the shot says what was sent, frames unknown
        vague = wanted(st, "111", SINCE, stored=unreadable)
        shown = (vague.prompt, vague.model, vague.options, vague.aspect_ratio, vague.reply_ref)
        assert shown == ("p", "Veo-3.1", "veo-1080p-8sec", "9:16", "mine-1")
        assert vague.file_ids is None


class _Api:
    """An account's listing (one page) and useapi's scheduler, as `lookup` reads them."""

    def __init__(self, listed: list[Video], scheduled: tuple[object, ...] = ()) -> None:
        self.listed, self.scheduled = listed, scheduled

    async def videos(self, account: str, limit: int, last_video_id: str | None) -> list[Video]:
        return self.listed if last_video_id is None else []

    async def scheduler(self) -> list[object]:
        return list(self.scheduled)


def _look(want: Wanted, listed: list[Video], scheduled: tuple[object, ...] = ()) -> str | None:
    from types import SimpleNamespace

    from runner.run.lookup import lookup

    ctx = SimpleNamespace(client=_Api(listed, scheduled), claimed={"user:1234-minimax:111-video:9"})
    return anyio.run(lookup, ctx, want)  # type: ignore[arg-type]


def _job(n: int, **shown: Any) -> Video:
    return dataclasses.replace(SAME, video_id=f"user:1234-minimax:111-video:{n}", **shown)


def test_jobs_the_listing_cannot_tell_apart_are_never_guessed_between() -> None:
    vague = [_job(n, file_ids=frozenset()) for n in (5, 4, 3, 2, 1)]  # newest first
    assert _look(WANT, vague[-1:]) == "user:1234-minimax:111-video:1", "a lone vague job"
    with pytest.raises(LookupFailed) as caught:
        _look(WANT, vague)
    assert str(caught.value) == (
        "5 jobs on 111 could be this one and the listing cannot tell them apart"
        " (user:1234-minimax:111-video:1, user:1234-minimax:111-video:2,"
        " user:1234-minimax:111-video:3, user:1234-minimax:111-video:4); nothing was resent"
    )
    assert _look(WANT, [*vague, _job(6)]) == "user:1234-minimax:111-video:6", "the exact one"
    with pytest.raises(LookupFailed, match=r"^2 jobs on 111 could be this one"):
        _look(WANT, vague[-2:])


def test_a_job_the_listing_lacks_is_found_by_its_reply_ref_on_its_account_only() -> None:
    from types import SimpleNamespace

    want = dataclasses.replace(WANT, reply_ref="mine-1")

    def job(n: int, ref: str = "mine-1", account: str = "111") -> object:
        return SimpleNamespace(
            reply_ref=ref, account=account, video_id=f"user:1234-minimax:{account}-video:{n}"
        )

    assert _look(want, [], (job(7, ref="other"), job(8, account="222"), job(9))) is None
    assert _look(want, [], (job(8, account="222"), job(10))) == "user:1234-minimax:111-video:10"
    assert _look(WANT, [], (job(10),)) is None, "no replyRef sent: the scheduler is not asked"


class _Flooded:
    """An account whose listing never ends: every page full of recent jobs of someone else."""

    def __init__(self) -> None:
        self.pages = 0

    async def videos(self, account: str, limit: int, last_video_id: str | None) -> list[Video]:
        start = self.pages * limit
        self.pages += 1
        return [_job(start + n + 100, desc="a colleague's shot") for n in range(limit)]

    async def scheduler(self) -> list[object]:
        return []


def test_a_listing_flooded_past_what_a_lookup_reads_stops_it_saying_what_to_check() -> None:
    from types import SimpleNamespace

    from runner.run.lookup import MAX_PAGES, lookup

    api = _Flooded()
    ctx = SimpleNamespace(client=api, claimed=set())
    with pytest.raises(LookupFailed) as caught:
        anyio.run(lookup, ctx, WANT)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"111 lists more than {MAX_PAGES * LIST_LIMIT} videos since the create was sent; check"
        " that account's videos before running again (nothing was resent)"
    )
    assert api.pages == MAX_PAGES == 50
