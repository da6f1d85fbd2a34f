"""The world's clock arithmetic, with a hand-driven clock: queues, slots, exact start times."""

from __future__ import annotations

from runner.sim import SimAccount, SimConfig
from runner.sim.jobs import CreateRequest, base_render_seconds
from runner.sim.validate_body import check_create
from runner.sim.world import World
from runner.spec import catalogue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _request(world: World, account: str, body: dict[str, object]) -> CreateRequest:
    return check_create(
        {"account": account, **body},
        catalogue=world.catalogue,
        find_file=world.find_file,
        accounts=frozenset(world.accounts),
        pick_account=world.pick_account,
    )


def _world(plan: str) -> tuple[World, Clock]:
    clock = Clock()
    account = SimAccount(id="1", plan="free" if plan == "free" else "paid", max_jobs=5)
    return World(SimConfig(accounts=(account,), speed=1.0), clock=clock), clock


def test_free_account_renders_one_at_a_time_back_to_back() -> None:
    world, clock = _world("free")
    jobs = [
        world.create(_request(world, "1", {"prompt": f"p{n}"}), 25, tracked=True, key=f"k{n}")
        for n in range(3)
    ]
    assert [j.status() for j in jobs] == [1, 11, 11]
    clock.now += 10_000  # long after all three ended; nobody looked meanwhile
    world.advance()
    assert [j.status() for j in jobs] == [2, 2, 2]
    assert jobs[1].started_at == jobs[0].finished_at
    assert jobs[2].started_at == jobs[1].finished_at
    for job in jobs:
        assert job.finished_at == job.started_at + job.render_seconds  # type: ignore[operator]
    assert world.ledger_json()["peakRendering"] == {"1": 1}
    assert world.ledger_json()["peakJobs"] == {"1": 3}


def test_paid_account_renders_two_at_once() -> None:
    world, clock = _world("paid")
    jobs = [
        world.create(_request(world, "1", {"prompt": f"p{n}"}), 25, tracked=True, key=f"k{n}")
        for n in range(3)
    ]
    assert [j.status() for j in jobs] == [1, 1, 11]
    clock.now += min(j.render_seconds for j in jobs[:2]) + 0.001
    world.advance()
    assert jobs[2].status() == 1
    assert jobs[2].started_at == min(j.finished_at or 1e9 for j in jobs[:2])
    assert world.ledger_json()["peakRendering"] == {"1": 2}


def test_percent_grows_linearly_while_rendering() -> None:
    world, clock = _world("free")
    job = world.create(_request(world, "1", {"prompt": "p"}), 25, tracked=True, key="k")
    clock.now += job.render_seconds / 2
    world.advance()
    assert job.percent(world.now()) in (49, 50)
    assert "Generating" in job.message(world.now())


def test_render_times_feel_real() -> None:
    model = catalogue.load().model
    t768 = base_render_seconds(model("T2V-2.3"), "768p-6sec")
    assert 60 <= t768 <= 600  # minutes, not seconds
    assert base_render_seconds(model("T2V-2.3"), "1080p-6sec") > t768
    assert base_render_seconds(model("I2V-2.3-Fast"), "768p-6sec") < t768
    veo = base_render_seconds(model("Veo-3.1"), "veo-1080p-8sec")
    assert veo > base_render_seconds(model("T2V-2.3"), "1080p-6sec")
    assert base_render_seconds(model("Veo-3.1"), "veo-4k-8sec") > veo
    assert base_render_seconds(model("Veo-3.1-Fast"), "veo-1080p-8sec") < veo


def test_moderated_job_disappears_later() -> None:
    world, clock = _world("free")
    job = world.create(
        _request(world, "1", {"prompt": "sim:moderate-late"}), 25, tracked=True, key="k"
    )
    clock.now += job.render_seconds + 1
    assert world.find(job.video_id) is job
    assert job.status() == 5
    clock.now += 10_000
    assert world.find(job.video_id) is None
    assert world.listing("1", 30, None) == []
