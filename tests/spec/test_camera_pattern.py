"""The schema's pattern for Director prompts says exactly what Reel's camera check says, and
reads the same in Python's `re` and in an ECMA engine (node's RegExp, as editors run it)."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.spec import camera, catalogue

CAT = catalogue.load()
PATTERN = camera.director_pattern(CAT.camera_moves, CAT.max_camera_moves)
PIECES = ["[", "]", ",", " ", "\t", "\n", "\u00a0", "x", "pan left", *CAT.camera_moves]


def _prompt(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))


def _reel_accepts(prompt: str) -> bool:
    return camera.check_director(prompt, CAT.camera_moves, CAT.max_camera_moves) == []


@settings(max_examples=500, derandomize=True, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_the_pattern_is_reels_camera_check(rng: random.Random) -> None:
    prompt = _prompt(rng)
    assert (re.search(PATTERN, prompt) is not None) == _reel_accepts(prompt), repr(prompt)


def test_an_ecma_engine_reads_the_pattern_the_same() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the ECMA side of the camera pattern is not checked")
    rng = random.Random(7)
    prompts = [_prompt(rng) for _ in range(400)]
    script = (
        "const [p, xs] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const r = new RegExp(p, 'u');"
        "process.stdout.write(JSON.stringify(xs.map((x) => r.test(x))));"
    )
    done = subprocess.run(
        [node, "-e", script],
        input=json.dumps([PATTERN, prompts]),
        capture_output=True,
        text=True,
        check=True,
    )
    ecma = json.loads(done.stdout)
    assert ecma == [_reel_accepts(p) for p in prompts]
    assert 20 < sum(ecma) < 380, "the sample holds accepted and refused prompts"
