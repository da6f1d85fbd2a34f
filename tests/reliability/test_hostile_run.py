"""`reel run` on every invalid example file: exit 2, located diagnostics, and not one request.

The invalid examples (tests/cases/invalid/*.yaml) break every rule the validator knows; the run
must refuse each before it opens the API (no upload, no create, not even an account lookup).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from tests.reliability.conftest import assert_no_crash, invoke

CASES = Path(__file__).parents[1] / "cases"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    accounts = (SimAccount("111", "free", 2), SimAccount("222", "paid", 3))
    with running_simulator(SimConfig(accounts=accounts, speed=600.0)) as s:
        yield s


def api_requests(sim: Simulator) -> list[str]:
    return [r["path"] for r in sim.ledger()["requests"] if not r["path"].startswith("/_sim")]


@pytest.mark.parametrize("case", sorted((CASES / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_an_invalid_pipeline_is_refused_before_any_request(
    case: Path, sim: Simulator, tmp_path: Path
) -> None:
    # A copy beside the example images, so that the run's output folder lands in tmp_path.
    work = tmp_path / "invalid"
    shutil.copytree(CASES / "images", work.parent / "images")
    work.mkdir()
    path = work / case.name
    shutil.copy(case, path)

    out = invoke(
        "run",
        str(path),
        "--yes",
        "--base-url",
        sim.base_url,
        "--out",
        str(tmp_path / "out"),
        env={"USEAPI_TOKEN": sim.token},
    )

    assert_no_crash(out)
    assert out.code == 2, out.text
    assert any(line.startswith(f"{path}:") for line in out.located()), out.text
    assert "nothing was run" in out.stderr
    assert api_requests(sim) == []
    assert not (tmp_path / "out").exists()
