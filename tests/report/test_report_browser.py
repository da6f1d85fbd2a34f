"""The review page of a real simulated `reel run`, opened in headless Chromium over file://.

One run (the `reel` command itself, on the embedded simulator) makes an output folder with
completed, failed, moderated and skipped shot-takes; the page must load without a console
error or a request leaving the folder, play every video's metadata at its catalogue length,
show each problem with its reason, and fit a phone. Screenshots land in the test's tmp folder.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from runner.spec.catalogue import load
from tests.report.conftest import CHROMIUM_ARGS, write_video

pytestmark = [pytest.mark.slow]

STORY = """\
version: 1
name: review-page-test
output: out
shots:
  - id: opening
    model: T2V-2.3
    options: 768p-6sec
    prompt: 'A lighthouse at dawn <script>window.__pwned = 1</script> & "quotes"'
  - id: portrait
    model: Sora-2
    options: 720p-4sec
    aspectRatio: "9:16"
    prompt: The keeper looks up at the lamp
    frames: {first: tall.png}
  - id: closeup
    model: I2V-01-Director
    prompt: The lamp turns [Push in]
    frames: {first: wide.png}
    takes: 2
  - id: broken
    model: T2V-01
    prompt: The tower collapses into the sea sim:fail
  - id: banned
    model: T2V-01
    prompt: Something the moderators dislike sim:moderate
  - id: epic
    model: Veo-3.1
    options: veo-4k-8sec
    prompt: An aerial sweep over the whole coast
"""
# 25+40+50+25+25 = 165 fits the budget whatever the order; the 180-credit epic never does.
BUDGET = "170"


def _reel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("USEAPI_")}
    env["HOME"] = str(cwd)
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of a simulated run, with a superseded version and an orphan added."""
    folder = tmp_path_factory.mktemp("run")
    Image.new("RGB", (1280, 720), (200, 80, 20)).save(folder / "wide.png")
    Image.new("RGB", (720, 1280), (20, 80, 200)).save(folder / "tall.png")
    (folder / "story.yaml").write_text(STORY, encoding="utf-8")
    out = folder / "out"
    ran = _reel(
        "run", "story.yaml", "--out", str(out), "--poll-interval", "0.05",
        "--retry-wait", "0.05", "--max-credits", BUDGET, cwd=folder,
    )  # fmt: skip
    assert ran.returncode == 1, ran.stderr  # some shot-takes did not complete, on purpose
    # What a rerun after an edit leaves: an older version set aside, a removed shot.
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    write_video(out / ".reel" / "superseded" / "opening.1.mp4", "an older opening", 2)
    write_video(out / "lantern.mp4", "a shot since removed", 2)
    manifest["superseded"] = [{"key": "opening#1", "path": ".reel/superseded/opening.1.mp4"}]
    manifest["orphaned"] = [{"key": "lantern#1", "path": "lantern.mp4"}]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    made = _reel("report", str(out), cwd=folder)
    assert made.returncode == 0, made.stderr
    return out


@pytest.fixture(scope="module")
def manifest(output: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((output / "manifest.json").read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Opened:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def wait_until(page: Any, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression from here until it is true. Not `page.wait_for_function`:
    that compiles its predicate with eval inside the page, which the page's own
    Content-Security-Policy forbids (an EvalError, depending on whether the first check is
    already true). `page.evaluate` runs through the DevTools protocol, outside the CSP."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(50)


def open_page(browser: Any, output: Path, width: int, height: int = 900) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    opened = Opened(page)
    page.on(
        "console",
        lambda m: opened.errors.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("request", lambda r: opened.requests.append(r.url))
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    page.goto((output / "report.html").as_uri())
    # Every video has its metadata (readyState >= 1) or has failed; failure is asserted below.
    wait_until(
        page, "[...document.querySelectorAll('video')].every(v => v.readyState >= 1 || v.error)"
    )
    # Thumbnails load lazily; make them all load so that the full-page screenshot shows them.
    page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    wait_until(page, "[...document.images].every(i => i.complete)")
    # ... and let each video finish its metadata fetch, so no loading spinner is in the picture.
    wait_until(page, "[...document.querySelectorAll('video')].every(v => v.networkState !== 2)")
    yield opened
    context.close()


def screenshot(opened: Opened, path: Path) -> None:
    # Cosmetic only, no assertion depends on it: Chromium's player fades its loading spinner
    # out for up to a second after the metadata is in, and no event marks the end of that.
    opened.page.wait_for_timeout(1200)
    opened.page.screenshot(path=path, full_page=True)


@pytest.fixture
def wide(browser: Any, output: Path) -> Iterator[Opened]:
    yield from open_page(browser, output, 1280)


@pytest.fixture
def phone(browser: Any, output: Path) -> Iterator[Opened]:
    yield from open_page(browser, output, 390, 844)


def test_the_page_loads_cleanly_and_every_video_plays_its_metadata(
    wide: Opened, output: Path, manifest: dict[str, Any], tmp_path: Path
) -> None:
    page = wide.page
    videos = page.evaluate(
        "[...document.querySelectorAll('article.card video')].map(v => ({"
        " src: v.getAttribute('src'), ready: v.readyState, duration: v.duration,"
        " error: v.error && v.error.code,"
        " width: v.videoWidth, height: v.videoHeight, poster: v.getAttribute('poster')}))"
    )
    catalogue = load()
    completed = [s for s in manifest["shots"] if s["status"] == "completed"]
    assert [v["src"] for v in videos] == [f"./{s['output']['path']}" for s in completed]
    for video, shot in zip(videos, completed, strict=True):
        seconds = catalogue.models[shot["model"]].seconds_for(shot["options"])
        assert video["error"] is None and video["ready"] >= 1, video
        assert abs(video["duration"] - seconds) < 0.2, (shot["key"], video, seconds)
        assert (video["width"], video["height"]) == (
            shot["output"]["width"],
            shot["output"]["height"],
        )
        assert video["poster"].startswith("./.reel/report/posters/")
    broken_images = page.evaluate("[...document.images].filter(i => !i.naturalWidth).length")
    assert broken_images == 0
    assert page.evaluate("document.images.length") == 3  # one frame per image-led shot-take
    screenshot(wide, tmp_path / "report-wide.png")
    assert wide.errors == []
    assert wide.requests and all(url.startswith("file://") for url in wide.requests)
    assert all(url.startswith(output.as_uri()) for url in wide.requests)


def test_the_cut_plays_at_the_top_with_a_marker_per_shot_and_the_takes_to_choose(
    wide: Opened, output: Path, manifest: dict[str, Any]
) -> None:
    page = wide.page
    player = page.evaluate(
        "(v => ({src: v.getAttribute('src'), ready: v.readyState, error: v.error && v.error.code,"
        " duration: v.duration, width: v.videoWidth, height: v.videoHeight}))"
        "(document.querySelector('section.cut video'))"
    )
    # opening 6 s, portrait 4 s, closeup take 1 6 s; then slates for their planned durations:
    # broken 6 s (failed), banned 6 s (moderated), epic 8 s (skipped).
    assert player["src"] == "./cut.mp4" and player["error"] is None and player["ready"] >= 1
    assert abs(player["duration"] - 36.0) <= 1 / 24
    assert (player["width"], player["height"]) == (1280, 720)
    cut_box = page.locator("section.cut").bounding_box()
    assert cut_box["y"] < page.locator("article.card").first.bounding_box()["y"]
    markers = page.locator("section.cut .marker")
    assert markers.all_inner_texts() == [
        "opening",
        "portrait",
        "closeup",
        "broken",
        "banned",
        "epic",
    ]
    missing = page.locator("section.cut .marker.missing").all_inner_texts()
    assert missing == ["broken", "banned", "epic"]
    widths = [m.bounding_box()["width"] for m in markers.all()]
    assert widths[1] < widths[0] < widths[5]  # 4 s < 6 s < 8 s
    chosen = page.locator("article.card", has=page.locator("h2:text-is('closeup')"))
    first, second = chosen.all()
    markers.nth(2).locator("a").click()
    assert page.evaluate("location.hash") == f"#{first.get_attribute('id')}"
    assert first.locator(".selected").inner_text() == "In the cut"
    assert first.locator(".select").count() == 0
    command = second.locator(".select code").inner_text()
    assert command == f"reel select {shlex.quote(manifest['pipeline'])} closeup 2"
    assert second.locator(".selected").count() == 0
    assert wide.errors == []


def test_failed_moderated_and_skipped_shots_show_their_reason(
    wide: Opened, manifest: dict[str, Any]
) -> None:
    problems = {s["id"]: s for s in manifest["shots"] if s["status"] != "completed"}
    assert {k: s["status"] for k, s in problems.items()} == {
        "broken": "failed",
        "banned": "moderated",
        "epic": "skipped",
    }
    for shot_id, shot in problems.items():
        card = wide.page.locator("article.card", has=wide.page.locator(f"h2:text-is('{shot_id}')"))
        badge = card.locator(f".badge.st-{shot['status']}")
        assert badge.is_visible() and badge.inner_text() == shot["status"]
        reason = card.locator(".reason")
        assert reason.is_visible() and reason.inner_text() == shot["error"]
        assert card.locator(".placeholder").is_visible()
        assert card.locator("video").count() == 0
        link = wide.page.locator(".attention a", has_text=f"{shot_id}#1")
        link.click()
        assert wide.page.evaluate("location.hash") == f"#{card.get_attribute('id')}"
    assert "over the --max-credits budget of 170" in problems["epic"]["error"]


def test_prompts_are_text_never_markup(wide: Opened) -> None:
    card = wide.page.locator("article.card", has=wide.page.locator("h2:text-is('opening')"))
    assert card.locator(".prompt").inner_text() == (
        'A lighthouse at dawn <script>window.__pwned = 1</script> & "quotes"'
    )
    assert wide.page.evaluate("typeof window.__pwned") == "undefined"
    assert wide.dialogs == []


def test_superseded_versions_and_orphans_are_reachable(wide: Opened, output: Path) -> None:
    page = wide.page
    card = page.locator("article.card", has=page.locator("h2:text-is('opening')"))
    card.locator("details.versions summary").click()
    link = card.locator("details.versions a")
    assert link.is_visible()
    assert link.evaluate("a => a.href") == (output / ".reel/superseded/opening.1.mp4").as_uri()
    orphan = page.locator("section.orphans a")
    assert orphan.inner_text() == "lantern.mp4"
    assert orphan.evaluate("a => a.href") == (output / "lantern.mp4").as_uri()


def test_the_page_fits_a_phone(phone: Opened, tmp_path: Path) -> None:
    page = phone.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = [c.bounding_box() for c in page.locator("article.card").all()]
    assert len(boxes) == 7
    assert {round(b["x"]) for b in boxes} == {12}  # one column
    assert all(b["width"] <= 390 - 24 for b in boxes)
    screenshot(phone, tmp_path / "report-phone.png")
    assert phone.errors == []


def test_model_names_stay_whole_at_phone_width(browser: Any, tmp_path: Path) -> None:
    """The longest model name, in a card and in the credits table, on one line at 320 px."""
    from runner.report.write import write_report
    from tests.report.conftest import shot, write_manifest

    out = tmp_path / "names"
    video = write_video(out / "crew.mp4", "crew")
    totals = {
        "creditsEstimated": 25,
        "creditsSpent": 25,
        "estimatedByModel": {"Veo-3.1-S2V-Fast": 25},
        "spentByModel": {"Veo-3.1-S2V-Fast": 25},
        "spentByAccount": {"111": 25},
    }
    write_manifest(out, [shot("crew", model="Veo-3.1-S2V-Fast", output=video)], totals=totals)
    write_report(out)
    opened = next(open_page(browser, out, 320, 640))
    names = opened.page.locator("code", has_text="Veo-3.1-S2V-Fast").all()
    assert len(names) >= 2  # the card's facts and the credits by model
    for name in names:
        assert name.inner_text() == "Veo-3.1-S2V-Fast"
        assert name.evaluate("e => e.getClientRects().length") == 1
        box = name.bounding_box()
        assert box is not None and box["height"] < 25  # one line of 12.5 px type
