"""Two `reel run`s on the same output folder at once (a second terminal, a cron job, CI twice).

The second must not start a second set of jobs for the same shot-takes: it would pay for every
video twice, and both would write the same files. It refuses, exit 2, nothing spent, saying which
folder is busy; the first run goes on undisturbed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from tests.reliability.conftest import run_args

SHOTS = 6


@pytest.fixture
def sim() -> Iterator[Simulator]:
    # Slow enough (a render takes about 1 s) that the first run is surely still going.
    config = SimConfig(accounts=(SimAccount("222", "paid", 3),), speed=150.0)
    with running_simulator(config) as s:
        yield s


def start(sim: Simulator, pipeline: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # a real second process, as a second terminal would be
        [
            sys.executable,
            "-m",
            "runner",
            *run_args(sim, pipeline),
        ],
        env={**os.environ, "USEAPI_TOKEN": sim.token},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_second_run_on_the_same_folder_refuses_and_spends_nothing(
    tmp_path: Path, sim: Simulator
) -> None:
    shots = "".join(
        f"  - id: s{i}\n    model: T2V-01\n    prompt: Shot {i} of two runs\n" for i in range(SHOTS)
    )
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"version: 1\noutput: out\nshots:\n{shots}", encoding="utf-8")

    first = start(sim, pipeline)
    try:
        deadline = time.monotonic() + 60
        while not sim.ledger()["creates"]:  # the first run is under way
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        second = start(sim, pipeline)
        said, _ = second.communicate(timeout=120)
    finally:
        first_said, _ = first.communicate(timeout=120)

    assert second.returncode == 2, said
    assert "Traceback" not in said and str(tmp_path / "out") in said, said
    assert first.returncode == 0, first_said
    prompts = Counter(c["body"]["prompt"] for c in sim.ledger()["creates"])
    assert len(prompts) == SHOTS and set(prompts.values()) == {1}
