"""The simulator's options: --accounts and --faults parsing, config checks, seeded dice."""

from __future__ import annotations

import re

import pytest

from runner.errors import UsageError
from runner.sim import FaultRates, SimAccount, SimConfig, parse_accounts, parse_faults
from runner.sim.config import PLENTY
from runner.sim.faults import Dice, create_fault


def test_accounts_spec_reads_plan_max_jobs_and_credits() -> None:
    accounts = parse_accounts("111:free:2, 222:paid:3:500")
    assert accounts == (
        SimAccount(id="111", plan="free", max_jobs=2, credits=PLENTY),
        SimAccount(id="222", plan="paid", max_jobs=3, credits=500),
    )
    assert [a.render_slots for a in accounts] == [1, 2]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("111:free", "is not ID:PLAN:MAXJOBS[:CREDITS]"),
        ("111:gold:2", "plan must be 'free' or 'paid'"),
        ("111:free:two", "MAXJOBS must be a whole number"),
        ("111:free:2:lots", "CREDITS must be a whole number"),
        ("111:free:11", "not within 1..10"),
        ("11 1:free:2", "letters, digits and _ only"),
        ("", "at least one"),
    ],
)
def test_bad_accounts_spec_is_a_usage_error(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_accounts(spec)


def test_config_refuses_duplicate_accounts_and_bad_speed() -> None:
    with pytest.raises(UsageError, match="unique"):
        SimConfig(accounts=(SimAccount(id="1"), SimAccount(id="1")))
    with pytest.raises(UsageError, match="speed"):
        SimConfig(speed=0)


def test_faults_spec_sets_each_rate() -> None:
    rates = parse_faults(
        "429=0.2,502q=0.05,504q=0.01,502=0.05,504=0.02,reset=0.02,reset_after=0.03,slow=0.01,"
        "slow_s=5,truncate=0.02,moderate=0.01,moderate_late=0.1,fail=0.2,hold=111@5+7"
    )
    assert rates == FaultRates(
        spurious_429=0.2,
        busy_queued_502=0.05,
        busy_queued_504=0.01,
        busy_502=0.05,
        busy_504=0.02,
        reset_before=0.02,
        reset_after=0.03,
        slow=0.01,
        slow_seconds=5.0,
        truncate=0.02,
        moderate_submit=0.01,
        moderate_render=0.1,
        render_fail=0.2,
        hold_after=(("111", 5), (None, 7)),
    )
    assert rates.hold_limit("111") == 5
    assert rates.hold_limit("222") == 7
    assert parse_faults(None) == FaultRates()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus=0.1", "unknown fault 'bogus'"),
        ("429", "not KEY=VALUE"),
        ("429=lots", "not a number"),
        ("429=1.5", "not within 0..1"),
        ("429=0.6,502=0.6", "exceed 1"),
        ("moderate_late=0.6,fail=0.6", "exceed 1"),
        ("hold=111@x", "hold=ACCOUNT@N"),
    ],
)
def test_bad_faults_spec_is_a_usage_error(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_faults(spec)


def test_dice_reproduce_per_key_whatever_the_interleaving() -> None:
    one, two = Dice(7), Dice(7)
    first = [one.draw("create", "a"), one.draw("create", "b"), one.draw("create", "a")]
    second = [two.draw("create", "b"), two.draw("create", "a"), two.draw("create", "a")]
    assert first[0] == second[1]
    assert first[2] == second[2]
    assert first[1] == second[0]
    assert Dice(8).draw("create", "a") != first[0]


def test_create_fault_slices_one_draw() -> None:
    rates = FaultRates(spurious_429=0.25, busy_queued_502=0.25, reset_after=0.25)
    assert create_fault(rates, 0.1) == "429"
    assert create_fault(rates, 0.3) == "502q"
    assert create_fault(rates, 0.6) == "reset_after"
    assert create_fault(rates, 0.9) is None
