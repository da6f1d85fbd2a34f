"""Fences around every test: no network beyond loopback, no real token, no writes to $HOME.

Also the hypothesis profile: in CI (CI=true) every property test runs the same derandomized
examples, so CI never fails by chance and a failure reproduces; run by hand, each run draws new
examples and remembers failing ones in .hypothesis/ (REEL_HYPOTHESIS=ci|dev overrides).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile(
    os.environ.get("REEL_HYPOTHESIS") or ("ci" if os.environ.get("CI") == "true" else "dev")
)

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


class NetworkFenceError(RuntimeError):
    """A test tried to reach beyond 127.0.0.1: that would be the real (paid) API."""


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback(host):
        raise NetworkFenceError(f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise NetworkFenceError(f"test tried to connect to {address!r}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _fence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    monkeypatch.delenv("USEAPI_BASE_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("REEL_LOG_DIR", str(tmp_path / "logs"))
    yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sim-available",
        choices=("with-room", "all"),
        default=None,
        help="how every simulator lists accounts in GET /scheduler/available: only those with"
        " room (the default) or all, full ones with available 0 (sets REEL_SIM_AVAILABLE)",
    )


def pytest_configure(config: pytest.Config) -> None:
    import os

    from runner.sim.config import LISTING_ENV

    chosen = config.getoption("--sim-available")
    if chosen is not None:
        # An environment variable, so that simulators in child processes (the bench's) read it.
        os.environ[LISTING_ENV] = chosen


def pytest_report_header() -> str:
    from runner.sim.config import listing_from_env

    return f"simulator: GET /scheduler/available lists {listing_from_env()} accounts"
