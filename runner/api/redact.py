"""Keep the API token out of everything Reel prints or writes, and refuse tokens that cannot be.

A token is replaced where it stands as a token (not glued to other letters or digits), so a
short secret never eats into Reel's own words and JSON keys; tokens too short to be useapi.net's
are refused before anything is sent (`check_token`), so every real one is long enough to be
redacted safely.
"""

from __future__ import annotations

import os
import re

from runner.errors import UsageError

MIN_TOKEN_LENGTH = 16
"""useapi.net tokens are `user:<uid>-` and some 30 more characters; anything shorter is a
mistake (a truncated paste, a placeholder), and too short to redact without harm."""

_secrets: set[str] = set()

# useapi tokens look like `user:1234-abcdefghij...`; never let one through even if unregistered.
_TOKEN_SHAPE = re.compile(r"user:\d+-[A-Za-z0-9_\-]{8,}")
_WORD = r"A-Za-z0-9_\-"


def check_token(token: str) -> None:
    """UsageError (never showing the token) unless `token` can be sent as a useapi.net token."""
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise UsageError(
            "USEAPI_TOKEN holds characters an HTTP header cannot carry (only ASCII letters,"
            " digits and punctuation, no spaces): copy the token again from useapi.net"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"USEAPI_TOKEN is {len(token)} characters long; a useapi.net token is much longer"
            " (user:<uid>-…): copy it whole, or unset it to run on the simulator"
        )


def register_secret(secret: str | None) -> None:
    """Remember a secret so that `redact` removes it from any text."""
    if secret:
        _secrets.add(secret)


def redact(text: str) -> str:
    """Return text with every known secret and token-shaped string replaced by `***`."""
    env = os.environ.get("USEAPI_TOKEN")
    for secret in sorted({*_secrets, *([env] if env else [])}, key=len, reverse=True):
        if secret in text:
            text = re.sub(rf"(?<![{_WORD}]){re.escape(secret)}(?![{_WORD}])", "***", text)
    return _TOKEN_SHAPE.sub("***", text)
