"""The account watcher (`runner.run.watch`) against a scripted API: which requests it makes.

The scripted API renders on the test's own clock (anyio's), so a job's percent is exact and the
counts below are properties of the policy, not of the machine's speed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from runner.api import useapi
from runner.api.records import Video
from runner.run.retry import Timing
from runner.run.watch import Watches, until_final
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from runner.state.takestate import TakeState

ACCOUNT = "987654"
SCALE = 0.005
"""Real-API seconds x SCALE: a 100 s render takes 0.5 s here."""


def _takes(tmp_path: Path, n: int) -> list[TakeState]:
    shots = "".join(
        f"  - id: s{i}\n    model: T2V-2.3\n    options: 768p-6sec\n    prompt: Shot {i}\n"
        for i in range(n)
    )
    path = tmp_path / "p.yaml"
    path.write_text(f"version: 1\noutput: out\nshots:\n{shots}", encoding="utf-8")
    pipeline, diagnostics = load_pipeline(path)
    assert pipeline is not None, diagnostics
    return [TakeState(t) for t in make_plan(pipeline).takes]


def vid(n: int, account: str = ACCOUNT) -> str:
    return f"user:4321-minimax:{account}-video:{n}"


@dataclass
class Job:
    video_id: str
    start: float | None
    """When it starts rendering (None: waits until `after` ends)."""
    seconds: float
    after: Job | None = None
    removed: bool = False

    def began(self, now: float) -> float | None:
        if self.start is not None:
            return self.start
        if self.after is not None:
            ended = self.after.ended()
            return ended if ended is not None and ended <= now else None
        return None

    def ended(self) -> float | None:
        if self.start is not None:
            return self.start + self.seconds
        if self.after is not None and (prior := self.after.ended()) is not None:
            return prior + self.seconds
        return None

    def model(self, now: float, *, percent: bool) -> dict[str, Any]:
        began = self.began(now)
        if began is None:
            body: dict[str, Any] = {"status": 11, "statusFinal": False}
        elif now >= began + self.seconds:
            body = {"status": 2, "statusFinal": True, "videoURL": "https://cdn.test/v.mp4"}
        else:
            body = {"status": 1, "statusFinal": False}
            if percent:
                body["percent"] = int(100 * (now - began) / self.seconds)
        return {"videoId": self.video_id, **body}


class ScriptedApi:
    """GET /videos/{id} and GET /videos/?account= over a list of jobs, newest first."""

    def __init__(self, jobs: list[Job], foreign: int = 0, list_status: int = 200) -> None:
        self.jobs = jobs
        self.foreign = [vid(900_000 + i) for i in range(foreign)]
        self.list_status = list_status
        self.requests: Counter[str] = Counter()
        self.pages: list[str | None] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        now = anyio.current_time()
        path = request.url.path
        if path.endswith("/videos/"):
            self.requests["list"] += 1
            self.pages.append(request.url.params.get("lastVideoId"))
            if self.list_status != 200:
                return httpx.Response(self.list_status, json={"error": "no", "code": 400})
            # Other clients' newer videos first, then ours, newest first.
            items = [{"videoId": v, "status": 2, "statusFinal": True} for v in self.foreign]
            items += [j.model(now, percent=False) for j in reversed(self.jobs) if not j.removed]
            last = request.url.params.get("lastVideoId")
            if last is not None:
                ids = [i["videoId"] for i in items]
                items = items[ids.index(last) + 1 :]
            limit = int(request.url.params["limit"])
            return httpx.Response(200, json=items[:limit])
        self.requests["id"] += 1
        video_id = path.rsplit("/", 1)[-1]
        job = next(j for j in self.jobs if j.video_id == video_id)
        if job.removed:
            return httpx.Response(404, json={"error": "Not found.", "code": 404})
        return httpx.Response(200, content=json.dumps(job.model(now, percent=True)))


def watch_all(
    api: ScriptedApi,
    takes: list[TakeState],
    plan: Callable[[float], list[Job]] | None = None,
    timing: Timing | None = None,
) -> tuple[list[Video | None], list[str]]:
    """Register every job (from `plan(now)` if given) and wait for all of them."""
    results: list[Video | None] = [None] * len(takes)
    stopped: list[str] = []

    async def go() -> None:
        client = useapi.UseApi(
            useapi.ClientConfig("http://useapi.test/v1/minimax", "user:4321-abcdefghijklmnop"),
            transport=httpx.MockTransport(api.handler),
        )
        if plan is not None:
            api.jobs = plan(anyio.current_time())
        async with client, anyio.create_task_group() as outer:
            watches = Watches(
                client, timing or Timing(scale=SCALE), outer, lambda *_: None, stopped.append
            )

            async def one(i: int) -> None:
                takes[i].video_id = api.jobs[i].video_id
                results[i] = await until_final(watches, takes[i], ACCOUNT, 0.0)

            async with anyio.create_task_group() as tg:
                for i in range(len(takes)):
                    tg.start_soon(one, i)
            outer.cancel_scope.cancel()

    anyio.run(go)
    return results, stopped


def test_one_read_of_the_list_answers_every_finished_job_of_the_account(tmp_path: Path) -> None:
    takes = _takes(tmp_path, 3)
    api = ScriptedApi([Job(vid(i), start=-100.0, seconds=1.0) for i in range(3)])
    results, _ = watch_all(api, takes)
    assert all(r is not None and r.completed for r in results)
    assert api.requests == Counter({"list": 1})


def test_a_rendering_job_costs_one_percent_sample_and_one_read_after_its_finish(
    tmp_path: Path,
) -> None:
    # Two jobs render at once, a third waits for the first's slot (a paid account's day).
    takes = _takes(tmp_path, 3)

    def plan(now: float) -> list[Job]:
        first = Job(vid(1), start=now, seconds=100 * SCALE)
        second = Job(vid(2), start=now, seconds=150 * SCALE)
        third = Job(vid(3), start=None, seconds=100 * SCALE, after=first)
        return [first, second, third]

    api = ScriptedApi([])
    results, _ = watch_all(api, takes, plan)
    assert all(r is not None and r.completed for r in results)
    # By id: the first jobs of a kind are sampled twice (no earlier render to go by: a rough
    # rate, then a precise one); the third, once, at 60 % of the render the first one took.
    assert 3 <= api.requests["id"] <= 6, api.requests
    # The list: a first look, then one read just after each finish (the first's also shows the
    # waiting job took its slot); the waiting job costs no read of its own.
    assert api.requests["list"] == 4, api.requests


def test_a_job_beyond_the_first_page_is_found_by_paging_back(tmp_path: Path) -> None:
    takes = _takes(tmp_path, 1)
    api = ScriptedApi([Job(vid(1), start=-100.0, seconds=1.0)], foreign=12)
    results, _ = watch_all(api, takes)
    assert results[0] is not None and results[0].completed
    assert api.requests == Counter({"list": 3})
    # Each further page starts after the last video of the one before.
    assert api.pages == [None, vid(900_004), vid(900_009)]


def test_a_job_missing_from_the_list_is_read_by_id_and_a_404_is_moderation(
    tmp_path: Path,
) -> None:
    takes = _takes(tmp_path, 1)
    api = ScriptedApi([Job(vid(1), start=-100.0, seconds=1.0, removed=True)])
    results, _ = watch_all(api, takes)
    assert results == [None]
    assert takes[0].status == "moderated" and "404" in (takes[0].error or "")
    assert api.requests == Counter({"list": 1, "id": 1})


def test_a_refused_list_falls_back_to_reading_each_job_by_id(tmp_path: Path) -> None:
    takes = _takes(tmp_path, 2)
    api = ScriptedApi([Job(vid(i), start=-100.0, seconds=1.0) for i in range(2)], list_status=400)
    results, _ = watch_all(api, takes)
    assert all(r is not None and r.completed for r in results)
    assert api.requests == Counter({"list": 1, "id": 2})


def test_a_rejected_token_stops_the_run(tmp_path: Path) -> None:
    takes = _takes(tmp_path, 1)
    api = ScriptedApi([Job(vid(1), start=-100.0, seconds=1.0)], list_status=401)

    async def go() -> list[str]:
        stopped: list[str] = []
        client = useapi.UseApi(
            useapi.ClientConfig("http://useapi.test/v1/minimax", "user:4321-abcdefghijklmnop"),
            transport=httpx.MockTransport(api.handler),
        )
        async with client, anyio.create_task_group() as tg:
            watches = Watches(client, Timing(scale=SCALE), tg, lambda *_: None, stopped.append)
            takes[0].video_id = vid(1)
            with anyio.move_on_after(1):
                await until_final(watches, takes[0], ACCOUNT, 0.0)
            tg.cancel_scope.cancel()
        return stopped

    assert anyio.run(go) == ["the API token was rejected (401)"]


@pytest.mark.parametrize("interval", [0.01])
def test_a_fixed_poll_interval_reads_the_list_at_that_interval(
    tmp_path: Path, interval: float
) -> None:
    takes = _takes(tmp_path, 1)

    def plan(now: float) -> list[Job]:
        return [Job(vid(1), start=now, seconds=0.1)]

    api = ScriptedApi([])
    results, _ = watch_all(api, takes, plan, Timing(scale=SCALE, poll_interval=interval))
    assert results[0] is not None and results[0].completed
    assert api.requests["id"] == 0
    assert 5 <= api.requests["list"] <= 12, api.requests


def test_a_job_that_never_ends_is_given_up_after_the_deadline_and_kept(tmp_path: Path) -> None:
    """Every loop that waits on the API has a limit: a job still queued after six (scaled)
    hours ends this run's wait as failed, saying so; its id stays for a rerun."""
    takes = _takes(tmp_path, 1)
    api = ScriptedApi([Job(vid(1), start=None, seconds=1.0)])  # queued for ever
    timing = Timing(scale=0.00005)  # six hours: 1.08 s here
    results, stopped = watch_all(api, takes, timing=timing)
    assert results == [None] and stopped == []
    assert takes[0].status == "failed" and takes[0].video_id == vid(1)
    assert takes[0].error == (
        "not finished after 6 h (last seen queued); its job id is kept: a rerun follows it again"
    )
