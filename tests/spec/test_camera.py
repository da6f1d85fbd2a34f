"""Director camera brackets: 1 to 3 of the catalogue's moves, with a "did you mean"."""

from __future__ import annotations

import pytest

from runner.spec import camera, catalogue

MOVES = catalogue.load().camera_moves


@pytest.mark.parametrize(
    "prompt",
    [
        "No brackets at all",
        "[Pan left] a street",
        "A street [Truck left, Pan right, Zoom in], then [Static shot]",
        "[ Push in ,Pull out ]",
    ],
)
def test_valid_brackets(prompt: str) -> None:
    assert camera.check_director(prompt, MOVES, 3) == []


@pytest.mark.parametrize(
    ("prompt", "offset", "message"),
    [
        ("x [pan left]", 2, "unknown camera move 'pan left'; did you mean 'Pan left'?"),
        ("[Zoom inn]", 0, "unknown camera move 'Zoom inn'; did you mean 'Zoom in'?"),
        ("[Wobble]", 0, "unknown camera move 'Wobble'; `reel models` lists the 15 moves"),
        ("ab []", 3, "empty camera bracket '[]'; name 1 to 3 moves, e.g. [Pan left]"),
        ("[Shake, Shake, Shake, Shake]", 0, "'[Shake, Shake, Shake, Shake]' has 4 camera moves"),
        ("a [Pan left", 2, "unbalanced [ or ] in the prompt"),
        ("a Pan left]", 10, "unbalanced [ or ] in the prompt"),
    ],
)
def test_problems(prompt: str, offset: int, message: str) -> None:
    (problem,) = camera.check_director(prompt, MOVES, 3)
    assert problem.offset == offset
    assert problem.message.startswith(message)


def test_stray_moves_on_other_models() -> None:
    assert camera.stray_moves("A cafe [Push in] and [sic]", MOVES) == [(7, "[Push in]")]
    assert camera.stray_moves("A footnote [1]", MOVES) == []
