"""Fixtures: a fast simulator with one free and one paid account, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from tests.sim.helpers import client

FREE, PAID = "111", "222"
ACCOUNTS = (
    SimAccount(id=FREE, plan="free", max_jobs=2),
    SimAccount(id=PAID, plan="paid", max_jobs=3),
)


@pytest.fixture(scope="module")
def fast_sim() -> Iterator[Simulator]:
    """Renders take milliseconds: for tests that wait for results."""
    with running_simulator(SimConfig(accounts=ACCOUNTS, speed=20_000.0)) as sim:
        yield sim


@pytest.fixture(scope="module")
def http(fast_sim: Simulator) -> Iterator[httpx.Client]:
    with client(fast_sim) as c:
        yield c


@pytest.fixture
def slow_sim() -> Iterator[Simulator]:
    """Renders take minutes: for tests about queues and limits (a fresh world each)."""
    with running_simulator(SimConfig(accounts=ACCOUNTS, speed=1.0)) as sim:
        yield sim


@pytest.fixture
def slow_http(slow_sim: Simulator) -> Iterator[httpx.Client]:
    with client(slow_sim) as c:
        yield c
