"""Property tests are reproducible in CI and search anew when run by hand (tests/conftest.py)."""

from __future__ import annotations

import os

from hypothesis import settings


def test_ci_runs_the_same_examples_every_time() -> None:
    chosen = os.environ.get("REEL_HYPOTHESIS") or (
        "ci" if os.environ.get("CI") == "true" else "dev"
    )
    assert settings.default.derandomize is (chosen == "ci")
    assert settings.get_profile("ci").derandomize and settings.get_profile("ci").database is None
    assert not settings.get_profile("dev").derandomize
