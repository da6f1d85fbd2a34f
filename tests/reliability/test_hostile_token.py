"""Tokens a user may paste: refused plainly when unusable, redacted as tokens, never shown."""

from __future__ import annotations

from pathlib import Path

from runner.api import redact as redact_module
from runner.api.redact import redact, register_secret
from runner.sim import Simulator
from tests.reliability.conftest import assert_no_crash, invoke, run_args
from tests.run.conftest import write_pipeline

ONE = 'accounts: {"222": {maxJobs: 3}}\nshots:\n  - {id: a, prompt: one}\n'


def test_a_non_ascii_token_is_a_usage_error_that_does_not_show_it(
    sim: Simulator, tmp_path: Path
) -> None:
    token = "user:1234-abcdéfghijklmnopqrstu"
    out = invoke(*run_args(sim, write_pipeline(tmp_path, ONE)), env={"USEAPI_TOKEN": token})
    assert_no_crash(out)
    assert out.code == 2, out.text
    assert "USEAPI_TOKEN" in out.text and "copy the token again" in out.text
    assert token not in out.text and "abcd" not in out.text
    assert sim.ledger()["requests"] == [], "nothing was sent"


def test_a_token_too_short_to_be_real_is_refused_before_anything_is_sent(
    sim: Simulator, tmp_path: Path
) -> None:
    out = invoke(*run_args(sim, write_pipeline(tmp_path, ONE)), env={"USEAPI_TOKEN": "v"})
    assert out.code == 2, out.text
    assert "USEAPI_TOKEN is 1 characters long" in out.text
    assert sim.ledger()["requests"] == []


def test_a_secret_is_redacted_where_it_stands_as_a_token_not_inside_words() -> None:
    register_secret("ev")
    try:
        text = '{"event": "ev", "level": "x ev y"}'
        assert redact(text) == '{"event": "***", "level": "x *** y"}'
    finally:
        redact_module._secrets.discard("ev")  # other tests' text may hold the word
    secret = "qwertyuiopasdfghjkl-1234"
    register_secret(secret)
    assert secret not in redact(f"Bearer {secret}; again:{secret}.")


def test_reel_report_on_an_unwritable_review_page_is_a_usage_error_like_reel_run(
    tmp_path: Path,
) -> None:
    out_dir = tmp_path / "out"
    (out_dir / ".reel").mkdir(parents=True)
    (out_dir / "manifest.json").write_text(
        '{"version": 1, "shots": [], "totals": {}}', encoding="utf-8"
    )
    (out_dir / ".reel" / "report").write_text("a file where a folder goes", encoding="utf-8")
    out = invoke("report", str(out_dir))
    assert_no_crash(out)
    assert out.code == 2, out.text
    assert "the review page could not be written" in out.text
