"""The benchmark's own machinery, kept honest: its figures on a ledger worked out by hand, and a
tiny end-to-end run of each part (no timing goals here: those are `python -m tests.bench`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.sim import FaultRates, SimAccount, SimConfig, running_simulator
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.bench import floor, metrics, runs, soak, workload
from tests.bench.naive import NaiveClient


def _ledger() -> dict[str, Any]:
    """Two accounts (free: 1 slot, paid: 2 slots), four jobs, two videos downloaded."""
    jobs = [
        ("111-video:1", "111", 0.0, 4.0, 4.0),
        ("222-video:2", "222", 0.0, 2.0, 2.0),
        ("222-video:3", "222", 0.0, 3.0, 3.0),
        ("222-video:4", "222", 2.0, 5.0, 3.0),
    ]
    return {
        "accounts": {"111": {"plan": "free"}, "222": {"plan": "paid"}},
        "jobs": [
            {
                "videoId": v,
                "account": a,
                "startedAt": s,
                "finishedAt": f,
                "renderSeconds": r,
                "status": 2,
            }
            for v, a, s, f, r in jobs
        ],
        "requests": [
            {"t": 0.0, "path": "/v1/minimax/videos/create", "method": "POST"},
            {"t": 4.2, "path": "/cdn/video/1.mp4", "method": "GET"},
            {"t": 2.1, "path": "/cdn/video/2.mp4", "method": "GET"},
            {"t": 3.3, "path": "/cdn/video/3.mp4", "method": "GET"},
            {"t": 5.5, "path": "/cdn/video/4-wm.mp4", "method": "GET"},
            {"t": 5.6, "path": "/_sim/ledger", "method": "GET"},
        ],
        "downloads": [{"t": 5.6, "videoId": "222-video:4"}],
        "creates": [{"body": {"prompt": p}} for p in ("a", "b", "b", "c")],
    }


def test_figures_of_a_ledger_worked_out_by_hand() -> None:
    ledger = _ledger()
    # 12 render-seconds over 3 slots = 4 s; the longest render is 4 s.
    assert metrics.lower_bound(ledger) == pytest.approx(4.0)
    shares = metrics.utilisation(ledger, 0.0, 5.0)
    assert shares == pytest.approx({"111": 4 / 5, "222": 8 / 10})
    # lags: 0.2/4, 0.1/2, 0.3/3, 0.5/3 -> median of (0.05, 0.05, 0.1, 0.1667)
    assert metrics.detection_lag(ledger) == pytest.approx(0.075)
    assert metrics.api_requests(ledger) == 5
    assert metrics.duplicates(ledger) == 1
    fig = metrics.figures(ledger, makespan=5.0)
    assert fig.makespan_ratio == pytest.approx(5.0 / 4.0)
    assert fig.renders_ratio == pytest.approx(5.0 / 4.0)  # the last render ends at 5 s
    assert fig.videos == 4


def test_reel_and_the_naive_client_on_a_tiny_storyboard(tmp_path: Path) -> None:
    reel = runs.storyboard_reel(tmp_path / "reel", 8, 600.0)
    naive, naive_fig = runs.storyboard_naive(tmp_path / "naive", 8, 600.0)

    assert reel.child["outcome"] == "completed" and reel.figures.videos == 8
    assert naive.downloaded == 8 and naive_fig.videos == 8
    for fig in (reel.figures, naive_fig):
        assert fig.makespan_ratio >= 1.0  # nobody beats the physical limit
        assert fig.duplicates == 0
        assert 0 <= fig.utilisation_min <= fig.utilisation_mean <= 1  # an account may get none


def test_the_naive_client_resends_after_502_and_may_pay_twice(tmp_path: Path) -> None:
    """As useapi's script does: a 502 whose job was queued anyway is sent again."""
    pipe, _ = load_pipeline(workload.storyboard(tmp_path, 6))
    assert pipe is not None
    accounts = tuple(SimAccount(i, p, n) for i, p, n, _c in workload.ACCOUNTS)
    config = SimConfig(
        accounts=accounts, speed=600.0, faults=FaultRates(busy_queued_502=0.5), seed=3
    )
    with running_simulator(config) as sim:
        client = NaiveClient(sim.base_url, sim.token, 1 / 600.0, tmp_path / "naive")
        try:
            client.run(list(make_plan(pipe).takes))
        finally:
            client.close()
        ledger = sim.ledger()
    assert metrics.duplicates(ledger) > 0


def test_a_small_soak_is_judged_from_the_ledger(tmp_path: Path) -> None:
    result = soak.soak(tmp_path, shots=12, speed=600.0)
    assert result.shot_takes == 12
    assert result.duplicates == 0
    assert result.lost == 0, result.lost_keys
    assert result.credits_manifest == result.credits_ledger


def test_the_floor_bench_prices_every_step_of_a_bare_client() -> None:
    figures = floor.measure(12)
    for size in floor.POOL_SIZES:
        for step in ("create", "read", "download"):
            assert figures[f"pool{size}_{step}_ms"] > 0, (size, step, figures)
    assert figures["decode_check_ms"] > 0
    assert figures["floor_ms_per_video"] > figures["decode_check_ms"]
    # The naive client asks for its accounts' slots, creates, polls and downloads each video.
    assert figures["naive_requests_per_video"] >= 3
    assert figures["naive_ms_per_video"] > 0
