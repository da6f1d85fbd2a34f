"""The test fence itself: reaching the real API from a test fails loudly."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import NetworkFenceError


def test_reaching_the_real_api_fails_loudly() -> None:
    with pytest.raises(NetworkFenceError, match=r"api\.useapi\.net"):
        httpx.get("https://api.useapi.net/v1/minimax/accounts", timeout=2)
