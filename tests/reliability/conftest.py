"""Helpers for the hostile tests: run `reel` commands in-process, judge what a user sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main as reel
from runner.sim import SimAccount, SimConfig, Simulator, running_simulator

LOCATED = re.compile(r"^.+:\d+:\d+: (error|warning): ", re.MULTILINE)
"""A diagnostic as a user sees it: FILE:LINE:COL: error|warning: ..."""


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def located(self) -> list[str]:
        return [m.group(0) for m in LOCATED.finditer(self.text)]


def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """`reel ARGS...` in this process, as the command line would run it."""
    result = CliRunner().invoke(reel, list(args), env=env, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def assert_no_crash(out: Outcome) -> None:
    """What a user must never see: a traceback or Reel's own bug report."""
    assert "Traceback" not in out.text, out.text
    assert "internal error" not in out.text, out.text
    assert out.code != 3, out.text


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """One paid account (maxJobs 3), renders well under a second; modules may override it."""
    config = SimConfig(accounts=(SimAccount("222", "paid", 3),), speed=600.0)
    with running_simulator(config) as s:
        yield s


def run_args(sim: Simulator, pipeline: Path, *extra: str) -> list[str]:
    """The arguments of `reel run` against the simulator, as a user with a token gives them."""
    fast = ("--poll-interval", "0.05", "--retry-wait", "0.05")
    return ["run", str(pipeline), "--yes", "--base-url", sim.base_url, *fast, *extra]


def run_reel(sim: Simulator, pipeline: Path, *extra: str) -> Outcome:
    """`reel run` against the simulator, in this process, with the simulator's token."""
    return invoke(*run_args(sim, pipeline, *extra), env={"USEAPI_TOKEN": sim.token})
