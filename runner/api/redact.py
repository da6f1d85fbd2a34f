"""Keep the API token out of everything Reel prints or writes."""

from __future__ import annotations

import os
import re

_secrets: set[str] = set()

# useapi tokens look like `user:1234-abcdefghij...`; never let one through even if unregistered.
_TOKEN_SHAPE = re.compile(r"user:\d+-[A-Za-z0-9_\-]{8,}")


def register_secret(secret: str | None) -> None:
    """Remember a secret so that `redact` removes it from any text."""
    if secret:
        _secrets.add(secret)


def redact(text: str) -> str:
    """Return text with every known secret and token-shaped string replaced by `***`."""
    env = os.environ.get("USEAPI_TOKEN")
    for secret in sorted({*_secrets, *([env] if env else [])}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _TOKEN_SHAPE.sub("***", text)
