"""Helpers for the review page's tests: hand-made output folders and a headless Chromium."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from runner.sim.media import Look, encode_mp4
from runner.state.plan import sha256_file

NO_CHROMIUM = (
    "no `chromium` on PATH: the review page's browser tests need Debian's chromium package "
    "(`bash .ci/test` installs it with apt-get when run as root; or `apt-get install chromium`)"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_video(path: Path, prompt: str, seconds: int = 2, aspect: str = "16:9") -> dict[str, Any]:
    """A real MP4 at `path`; its manifest `output` entry (path relative to its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_mp4(Look(prompt, None, aspect, seconds, False), None))
    width, height = (180, 320) if aspect == "9:16" else (320, 180)
    return {
        "path": path.name,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "width": width,
        "height": height,
    }


def write_image(path: Path, colour: tuple[int, int, int]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), colour).save(path)
    return sha256_file(path)


def shot(shot_id: str, take: int = 1, status: str = "completed", **extra: Any) -> dict[str, Any]:
    """A manifest entry with plausible defaults."""
    entry: dict[str, Any] = {
        "id": shot_id,
        "take": take,
        "key": f"{shot_id}#{take}",
        "status": status,
        "reused": False,
        "model": "T2V-01",
        "options": None,
        "aspectRatio": None,
        "prompt": f"prompt of {shot_id}",
        "frames": [],
        "account": "111",
        "videoId": None,
        "attempts": 1,
        "times": {
            "queued": "2026-11-24T03:00:00.000Z",
            "submitted": "2026-11-24T03:00:01.000Z",
            "completed": "2026-11-24T03:00:43.500Z",
        },
        "creditsEstimated": 25,
        "credits": 25 if status in ("completed", "failed") else 0,
        "output": None,
        "error": None,
    }
    entry.update(extra)
    return entry


def write_manifest(
    folder: Path, shots: list[dict[str, Any]], backend: str = "simulator", **extra: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "version": 1,
        "pipeline": str(folder.parent / "storyboard.yaml"),
        "runId": "20261124T030000-abcdef",
        "backend": {"kind": backend, "baseUrl": "https://api.useapi.net/v1/minimax"},
        "started": "2026-11-24T03:00:00.000Z",
        "ended": "2026-11-24T03:02:05.000Z",
        "shots": shots,
        "totals": {
            "creditsEstimated": sum(s["creditsEstimated"] for s in shots),
            "creditsSpent": sum(s["credits"] for s in shots),
            "estimatedByModel": {"T2V-01": sum(s["creditsEstimated"] for s in shots)},
            "spentByModel": {"T2V-01": sum(s["credits"] for s in shots)},
            "spentByAccount": {"111": sum(s["credits"] for s in shots)},
        },
        "superseded": [],
        "orphaned": [],
    }
    document.update(extra)
    (folder / "manifest.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return folder


class Links(HTMLParser):
    """Every URL-bearing attribute of a page, and every element's text."""

    URL_ATTRIBUTES = ("src", "href", "poster", "action", "data", "srcset", "formaction")

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    """The path of a system Chromium for Playwright; skips, saying why, where there is none
    (pytest's -ra prints the reason in the summary). Nothing is installed from here: the test
    command's .ci/chromium installs it, as root only, and says so."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (.[test])")
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(NO_CHROMIUM)
    yield path
