"""Helpers for the simulator's tests: an authorised client, images, polling with a deadline."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from PIL import Image

from runner.sim import Simulator

T = TypeVar("T")


LEDGER_KEYS = frozenset(
    {
        "requests",
        "creates",
        "refusals",
        "jobs",
        "downloads",
        "uploads",
        "peakJobs",
        "peakRendering",
        "accounts",
    }
)
"""The ledger's sections, as the contract between the simulator and its users names them."""


def client(sim: Simulator) -> httpx.Client:
    return httpx.Client(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.token}"}, timeout=10.0
    )


def image_bytes(size: tuple[int, int] = (64, 48), fmt: str = "PNG", colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(
    http: httpx.Client,
    account: str,
    size: tuple[int, int] = (64, 48),
    fmt: str = "PNG",
    colour: str = "red",
) -> str:
    kind = "image/png" if fmt == "PNG" else "image/jpeg"
    reply = http.post(
        f"/files/?account={account}",
        content=image_bytes(size, fmt, colour),
        headers={"Content-Type": kind},
    )
    assert reply.status_code == 200, reply.text
    file_id: str = reply.json()["fileID"]
    return file_id


def wait_for(check: Callable[[], T | None], timeout: float = 20.0, every: float = 0.02) -> T:
    """Poll until check returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def wait_final(http: httpx.Client, video_id: str, timeout: float = 20.0) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        reply = http.get(f"/videos/{video_id}")
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body if body["statusFinal"] else None

    return wait_for(final, timeout)


def create(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/videos/create", json=body)
