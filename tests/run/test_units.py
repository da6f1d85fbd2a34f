"""Placement and timing policies in isolation (no HTTP)."""

from __future__ import annotations

import anyio

from runner.run.placement import AccountSlots, Placement
from runner.run.retry import Timing


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


def test_fixed_poll_interval_and_retry_wait_are_taken_as_given() -> None:
    timing = Timing(scale=0.001, poll_interval=0.5, retry_wait=2.0)
    assert timing.poll_min == timing.poll_max == 0.5
    assert timing.first_poll == 0.002  # the first read of a new job still comes soon (2 s)
    assert all(2.0 <= timing.busy_wait() <= 6.0 for _ in range(50))
    scaled = Timing(scale=0.001)
    assert all(0.01 <= scaled.busy_wait() <= 0.03 for _ in range(50))


def test_a_link_of_a_chain_is_served_before_earlier_waiters() -> None:
    order: list[str] = []

    async def go() -> None:
        placement = Placement([AccountSlots("a", 1)])
        assert await placement.acquire(None) == "a"

        async def wait(name: str, first: bool) -> None:
            await placement.acquire(None, first=first)
            order.append(name)

        async with anyio.create_task_group() as tg:
            for name, first in (("alone-1", False), ("alone-2", False), ("link", True)):
                tg.start_soon(wait, name, first)
                await anyio.wait_all_tasks_blocked()
            for _ in range(3):
                placement.release("a")
                await anyio.wait_all_tasks_blocked()

    anyio.run(go)
    assert order == ["link", "alone-1", "alone-2"]


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


def test_a_slot_others_free_goes_to_a_waiter() -> None:
    async def go() -> tuple[list[str | None], int]:
        placement = Placement([AccountSlots("a", 2, others=2)])
        got: list[str | None] = []

        async def wait() -> None:
            got.append(await placement.acquire(None))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(wait)
                await anyio.wait_all_tasks_blocked()
                assert got == []  # others hold both slots
                placement.set_others({"a": 1, "elsewhere": 3})
        return got, placement.accounts["a"].free

    assert anyio.run(go) == (["a"], 0)
