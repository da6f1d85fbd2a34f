"""The token never shows: registered secrets, $USEAPI_TOKEN, and anything shaped like a token."""

from __future__ import annotations

import pytest

from runner.api import redact as redaction
from runner.api.redact import redact, register_secret
from runner.errors import UsageError


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


def test_a_secret_inside_a_longer_one_never_leaves_part_of_the_longer_showing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    register_secret("s3cret")
    register_secret("s3cret.with-a-tail")
    register_secret("a-head.s3cret")
    text = "a s3cret.with-a-tail b a-head.s3cret c s3cret d"
    assert redact(text) == "a *** b *** c *** d"


def test_a_token_at_the_shortest_shape_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    assert redact("token user:7-abcdefgh here") == "token *** here"


def test_a_token_of_sixteen_characters_is_accepted_and_fifteen_refused() -> None:
    redaction.check_token("user:1-abcdefghi")  # 16
    with pytest.raises(UsageError) as caught:
        redaction.check_token("user:1-abcdefgh")  # 15
    assert str(caught.value) == (
        "USEAPI_TOKEN is 15 characters long; a useapi.net token is much longer (user:<uid>-…):"
        " copy it whole, or unset it to run on the simulator"
    )
    assert "user:1-abcdefgh" not in str(caught.value)


@pytest.mark.parametrize(
    "token",
    [
        "user:1234-abc def-ghijklmnop",
        "user:1234-abcdefghijklmnop\t",
        "user:1234-abc\x7fdefghijklmn",
    ],
    ids=["space", "tab", "control"],
)
def test_a_token_an_http_header_cannot_carry_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        redaction.check_token(token)
    said = str(caught.value)
    assert said.startswith("USEAPI_TOKEN holds characters an HTTP header cannot carry (only")
    assert said.endswith("copy the token again from useapi.net")
    assert "abc" not in said
