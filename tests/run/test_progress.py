"""What `reel run` shows while it goes: a live view that fits the terminal, a job the moment it
exists, a log that never goes quiet for long (issue 12 items 7 and 8)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import pytest
from rich.console import Console

from runner.run.display import LiveView, PlainLog, describe
from runner.run.events import (
    AccountChanged,
    CreditsChanged,
    Notice,
    RunFinished,
    RunStarted,
    TakeChanged,
)
from runner.run.retry import Timing
from runner.sim import Simulator
from tests.run.conftest import run_pipeline, write_pipeline


def _busy_run(view: LiveView) -> None:
    """A run of 40 shot-takes over 3 accounts: 20 done, 4 failed, 6 queued, 10 rendering."""
    view.emit(
        RunStarted(
            "20261130T000000-abcdef",
            "simulator",
            "http://127.0.0.1:40000",
            "storyboard.yaml",
            "renders/storyboard",
            40,
            1200,
            (("111111", 2), ("222222", 3), ("333333", 3)),
            note="no USEAPI_TOKEN: running on the embedded simulator (nothing is spent, the "
            "videos are simulated placeholders)",
        )
    )
    for account, n in (("111111", 2), ("222222", 3), ("333333", 3)):
        view.emit(AccountChanged(account, n, n))
    for i in range(40):
        key = f"shot-{i:02d}#1"
        if i < 20:
            view.emit(TakeChanged(key, "done", "111111", video_id=f"v{i}"))
        elif i < 24:
            reason = "moderated: the prompt was refused by the content filter of the model"
            view.emit(TakeChanged(key, "failed", "222222", detail=reason))
        elif i < 30:
            view.emit(TakeChanged(key, "queued", "333333", video_id=f"v{i}"))
        else:
            view.emit(TakeChanged(key, "rendering", "222222", percent=40, video_id=f"v{i}"))
    view.emit(CreditsChanged(600, 1200))
    view.emit(Notice("account 333333 answered 429: waiting 10-30 s"))


@pytest.mark.parametrize("width", [60, 80, 140])
def test_the_live_view_fits_80x24_with_its_summary_and_every_account(width: int) -> None:
    console = Console(file=io.StringIO(), width=width, height=24, force_terminal=True)
    view = LiveView(console)
    _busy_run(view)
    with console.capture() as captured:
        console.print(view.render())
    lines = captured.get().splitlines()
    assert len(lines) <= 24, "\n".join(lines)
    text = "\n".join(lines)
    assert "credits 600 of 1200 estimated" in text
    assert "ETA" in text
    for account in ("111111", "222222", "333333"):
        assert account in text
    assert "20 done" in text
    assert "more" in text  # the rows that do not fit are counted, not dropped silently
    assert "shot-00#1" not in text  # finished rows fold into the summary's count


def test_the_plain_log_reports_each_state_and_every_quarter_of_a_render() -> None:
    out = io.StringIO()
    log = PlainLog(out)
    log.emit(TakeChanged("a#1", "submitting", "111"))
    log.emit(TakeChanged("a#1", "queued", "111", video_id="user:1-minimax:111-video:9"))
    log.emit(TakeChanged("a#1", "queued", "111", video_id="user:1-minimax:111-video:9"))
    for percent in (None, 3, 10, 26, 30, 49, 51, 77, 99):
        log.emit(TakeChanged("a#1", "rendering", "111", percent=percent))
    log.emit(TakeChanged("a#1", "downloading", "111"))
    log.emit(TakeChanged("a#1", "done", "111"))
    assert out.getvalue().splitlines() == [
        "a#1: queued on 111 as user:1-minimax:111-video:9",
        "a#1: rendering on 111",
        "a#1: rendering 25% on 111",
        "a#1: rendering 50% on 111",
        "a#1: rendering 75% on 111",
        "a#1: downloading on 111",
        "a#1: done on 111",
    ]


def test_a_job_is_shown_queued_with_its_id_the_moment_the_create_returns(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, "shots:\n  - id: a\n    prompt: one\n")
    run = run_pipeline(sim, path)
    events = [e for e in run.sink.events if isinstance(e, TakeChanged) and e.key == "a#1"]
    phases = [e.phase for e in events]
    first_with_job = next(e for e in events if e.video_id is not None)
    assert first_with_job.phase == "queued"
    assert first_with_job.video_id == run.shot("a#1")["videoId"]
    assert phases.index("queued") < phases.index("done")


def test_the_first_poll_comes_soon_after_the_create() -> None:
    """On the real API a create is followed by a poll within 2 s, not the 10 s of later polls."""
    assert Timing().first_poll <= 2.0
    assert Timing(scale=1 / 300).first_poll <= 2.0 / 300
    assert Timing(poll_interval=5.0).first_poll <= 2.0


@pytest.mark.parametrize(
    ("outcome", "reason", "shown"),
    [
        ("interrupted", "interrupted (Ctrl-C)", "finished: interrupted (Ctrl-C); 1 done;"),
        ("stopped", "the API token was rejected (401)", "finished: stopped (the API token"),
        ("completed", None, "finished: completed; 1 done;"),
    ],
)
def test_the_finished_line_says_the_outcome_once(
    outcome: Literal["completed", "incomplete", "stopped", "interrupted"],
    reason: str | None,
    shown: str,
) -> None:
    line = describe(RunFinished(outcome, (("done", 1),), 25, 1.0, 3, reason))
    assert line is not None
    assert line.startswith(shown)


def test_one_shot_take_is_singular() -> None:
    started = RunStarted("r", "useapi", "https://x", "p.yaml", "out", 1, 25, (("111", 2),))
    line = describe(started)
    assert line is not None and "r: 1 shot-take, estimate 25 credits" in line
