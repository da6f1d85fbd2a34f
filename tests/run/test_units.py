"""Placement and polling policies in isolation (no HTTP)."""

from __future__ import annotations

import anyio

from runner.api.records import Video
from runner.run.placement import AccountSlots, Placement
from runner.run.retry import Progress, Timing


def _video(status: int, percent: int | None = None) -> Video:
    return Video.from_json({"videoId": "v", "status": status, "percent": percent})


def test_placement_gives_the_most_free_account_and_respects_limits() -> None:
    async def go() -> list[str | None]:
        placement = Placement([AccountSlots("a", 1), AccountSlots("b", 3, others=1)])
        got = [await placement.acquire(None) for _ in range(3)]
        assert placement.accounts["a"].free == 0 and placement.accounts["b"].free == 0
        return got

    assert anyio.run(go) == ["b", "a", "b"]


def test_pinned_waiters_wait_for_their_account_and_others_do_not_block() -> None:
    order: list[str] = []

    async def go() -> None:
        placement = Placement([AccountSlots("a", 1), AccountSlots("b", 1)])
        assert await placement.acquire("a") == "a"

        async def pinned() -> None:
            order.append(f"pinned:{await placement.acquire('a')}")

        async def free() -> None:
            order.append(f"free:{await placement.acquire(None)}")

        async with anyio.create_task_group() as tg:
            tg.start_soon(pinned)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(free)
            await anyio.wait_all_tasks_blocked()
            assert order == ["free:b"]
            placement.release("a")

    anyio.run(go)
    assert order == ["free:b", "pinned:a"]


def test_parking_the_last_account_answers_every_waiter_with_none() -> None:
    async def go() -> tuple[str | None, str | None, str]:
        placement = Placement([AccountSlots("a", 1)])
        await placement.acquire(None)
        results: list[str | None] = []

        async def wait(pin: str | None) -> None:
            results.append(await placement.acquire(pin))

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait, None)
            tg.start_soon(wait, "a")
            await anyio.wait_all_tasks_blocked()
            placement.park("a", "is on hold (596)")
        return results[0], results[1], placement.why_not(None)

    first, second, why = anyio.run(go)
    assert first is None and second is None
    assert why == "no account can take work: a is on hold (596)"


def test_polling_waits_long_for_queued_jobs_and_lands_just_after_the_estimated_finish() -> None:
    timing = Timing(scale=1.0)
    progress = Progress(timing)
    assert progress.next_delay(_video(11), now=0.0) == 60.0
    assert progress.next_delay(_video(1, 10), now=10.0) == 10.0
    delay = progress.next_delay(_video(1, 20), now=20.0)  # 1 % a second: 80 s to go, capped
    assert delay == 30.0
    delay = progress.next_delay(_video(1, 90), now=90.0)
    assert 10.0 < delay <= 11.5, "just after the estimated finish at 100 s"


def test_fixed_poll_interval_and_retry_wait_are_taken_as_given() -> None:
    timing = Timing(scale=0.001, poll_interval=0.5, retry_wait=2.0)
    assert Progress(timing).next_delay(_video(1, 50), now=1.0) == 0.5
    assert all(2.0 <= timing.busy_wait() <= 6.0 for _ in range(50))
    scaled = Timing(scale=0.001)
    assert all(0.01 <= scaled.busy_wait() <= 0.03 for _ in range(50))


def test_without_percent_polls_back_off_to_the_longest_interval() -> None:
    progress = Progress(Timing(scale=1.0))
    delays = [progress.next_delay(_video(1), now=float(i)) for i in range(6)]
    assert delays[0] == 10.0 and delays == sorted(delays) and delays[-1] == 30.0


def test_a_resumed_job_holds_its_slot_until_it_ends() -> None:
    placement = Placement([AccountSlots("a", 2)])
    placement.occupy("a")
    assert placement.accounts["a"].free == 1
    placement.occupy("elsewhere")  # a job on an account this run does not use: nothing to count
    assert placement.accounts["a"].free == 1
    placement.release("a")
    assert placement.accounts["a"].free == 2


def test_why_a_pinned_shot_cannot_be_placed() -> None:
    placement = Placement([AccountSlots("a", 1), AccountSlots("b", 1)])
    placement.park("a", "is out of credits (412)")
    assert placement.why_not("a") == "account a is out of credits (412)"
    assert placement.why_not("c") == "account c is not one of this run's accounts"
    assert not placement.can_ever("a") and not placement.can_ever("c")
    assert placement.can_ever("b") and placement.can_ever(None)


def test_an_account_keeps_the_first_reason_it_was_parked_for() -> None:
    placement = Placement([AccountSlots("a", 1), AccountSlots("b", 1)])
    placement.park("a", "is on hold (596)")
    placement.park("a", "is out of credits (412)")
    placement.park("c", "is on hold (596)")  # not an account of this run: nothing to park
    placement.park("b", "is out of credits (412)")
    assert placement.why_not(None) == (
        "no account can take work: a is on hold (596); b is out of credits (412)"
    )
    assert Placement([]).why_not(None) == "no account can render videos"
