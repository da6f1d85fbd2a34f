"""The review page of a simulated run with a cast, looks, vars and a matrix, in headless Chromium.

A matrix shot must read as a grid (one row per model, one column per other value, each cell
the playable video with its credits and render time), the cast as a strip of reference
thumbnails, and each prompt with the parts from vars, looks and the cast marked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.report.conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

STORY = """\
version: 1
name: storyboard-page-test
output: out
vars:
  town: Port-Lamp
looks:
  dusk: golden hour
  night: moonlit
cast:
  keeper: {description: the old keeper, references: [keeper.png]}
shots:
  - id: portrait
    model: S2V-01
    cast: [keeper]
    look: dusk
    prompt: "{keeper} looks out over {town}"
  - id: compare
    prompt: The lamp sweeps across {town}
    matrix:
      model: [T2V-2.3, Veo-3.1-Fast]
      options: [768p-6sec, veo-720p-8sec]
      look: [dusk, night]
  - id: closing
    model: T2V-01
    prompt: The end
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("storyboard")
    Image.new("RGB", (400, 400), (30, 50, 90)).save(folder / "keeper.png")
    (folder / "story.yaml").write_text(STORY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("USEAPI_")}
    env["HOME"] = str(folder)
    ran = subprocess.run(
        [sys.executable, "-m", "runner", "run", "story.yaml", "--poll-interval", "0.05"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return folder / "out"


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser: Any, output: Path, width: int) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((output / "report.html").as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('video')].every(v => v.readyState >= 1 || v.error)",
        timeout=30_000,
    )
    page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every(i => i.complete)", timeout=30_000)
    return context, page, errors, requests


def test_a_matrix_shot_is_a_grid_of_playable_videos_by_model(
    browser: Any, output: Path, tmp_path: Path
) -> None:
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    context, page, errors, requests = _open(browser, output, 1280)
    grid = page.locator("section.matrix", has=page.locator("h2:text-is('compare')"))
    assert grid.count() == 1
    headers = grid.locator("thead th").all_inner_texts()
    assert headers == [
        "model",
        "768p-6sec · dusk",
        "768p-6sec · night",
        "veo-720p-8sec · dusk",
        "veo-720p-8sec · night",
    ]
    rows = grid.locator("tbody tr")
    assert rows.locator("th").all_inner_texts() == ["T2V-2.3", "Veo-3.1-Fast"]
    variants = {s["id"]: s for s in manifest["shots"] if s.get("variantOf") == "compare"}
    assert len(variants) == 4
    for r, model in enumerate(["T2V-2.3", "Veo-3.1-Fast"]):
        cells = rows.nth(r).locator("td")
        assert cells.count() == 4
        for c, column in enumerate(headers[1:]):
            option, look = column.split(" · ")
            variant = f"compare.{model}.{option}.{look}"
            cell = cells.nth(c)
            if variant not in variants:  # left out: the model cannot take the option
                assert cell.inner_text() == "not in this run"
                continue
            shot = variants[variant]
            video = cell.locator("video")
            assert video.get_attribute("src") == f"./{shot['output']['path']}"
            state = video.evaluate("v => [v.readyState, v.error && v.error.code, v.duration]")
            assert state[0] >= 1 and state[1] is None and state[2] > 5, state
            facts = cell.locator(".cellfacts").inner_text()
            assert f"{shot['credits']} credits" in facts and "render " in facts
            assert cell.locator("code").inner_text() == variant
    assert {(v["model"], v["options"]) for v in variants.values()} == {
        ("T2V-2.3", "768p-6sec"),
        ("Veo-3.1-Fast", "veo-720p-8sec"),
    }
    # The other shots stay cards, in the file's order around the grid.
    order = page.evaluate(
        "[...document.querySelectorAll('main.sheet > *')].map(e => e.querySelector('h2').innerText)"
    )
    assert order == ["portrait", "compare", "closing"]
    page.screenshot(path=tmp_path / "storyboard-wide.png", full_page=True)
    assert errors == []
    assert requests and all(url.startswith(output.as_uri()) for url in requests)
    context.close()


def test_the_cast_strip_and_the_marked_prompt_parts(browser: Any, output: Path) -> None:
    context, page, errors, _ = _open(browser, output, 1280)
    strip = page.locator("section.cast")
    assert strip.locator("h3").all_inner_texts() == ["keeper"]
    assert strip.locator(".member p").inner_text() == "the old keeper"
    picture = strip.locator("img")
    assert picture.count() == 1 and picture.evaluate("i => i.naturalWidth") > 0
    card = page.locator("article.card", has=page.locator("h2:text-is('portrait')"))
    prompt = card.locator(".prompt")
    assert prompt.inner_text() == "the old keeper looks out over Port-Lamp, golden hour"
    marks = prompt.locator("mark")
    assert marks.evaluate_all("ms => ms.map(m => [m.className, m.innerText, m.title])") == [
        ["from-cast", "the old keeper", "cast member keeper"],
        ["from-var", "Port-Lamp", "var town"],
        ["from-look", "golden hour", "look dusk"],
    ]
    plain = page.locator("article.card", has=page.locator("h2:text-is('closing')"))
    assert plain.locator(".prompt mark").count() == 0
    assert errors == []
    context.close()


def test_the_grid_scrolls_inside_itself_on_a_phone(browser: Any, output: Path) -> None:
    context, page, errors, _ = _open(browser, output, 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = page.locator(".gridwrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")  # the grid scrolls, not the page
    assert errors == []
    context.close()
