"""The token never shows: registered secrets, $USEAPI_TOKEN, and anything shaped like a token."""

from __future__ import annotations

import pytest

from runner.api import redact as redaction
from runner.api.redact import redact, register_secret


def test_a_token_nobody_registered_is_hidden_by_its_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    text = "sent with Bearer user:98765-Zq_8-kLmNoPqRsTuV and failed"
    assert redact(text) == "sent with Bearer *** and failed"


def test_registered_and_environment_tokens_are_hidden_whatever_their_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    register_secret("s3cret-not-token-shaped")
    monkeypatch.setenv("USEAPI_TOKEN", "another.secret")
    assert redact("a s3cret-not-token-shaped b another.secret c") == "a *** b *** c"


def test_ids_that_are_not_tokens_stay_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    ids = "user:1234-minimax:111-video:1100000000000000001 user:1234-minimax:111-file:42"
    assert redact(ids) == ids
