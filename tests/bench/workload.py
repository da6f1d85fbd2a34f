"""The benchmark's pipelines and accounts: a storyboard mix of models, one unique prompt a shot.

The 300-shot mix (mean render about 190 s before speed, from 90 s to 360 s) keeps render times
uneven on purpose, as real storyboards are; the 10,000-shot pipeline for the CPU figure cycles
through a few prompts so that the simulator makes each video's media once (its cache).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PIL import Image

Account = tuple[str, Literal["free", "paid"], int, "int | None"]
"""(id, plan, maxJobs, credits or None for plenty)."""

ACCOUNTS: tuple[Account, ...] = (
    ("111111", "free", 2, None),
    ("222222", "paid", 3, None),
    ("333333", "paid", 3, None),
)
"""The benchmark's three accounts: one free with maxJobs 2, two paid with maxJobs 3."""
RENDER_SLOTS = {"free": 1, "paid": 2}

# (share in tenths of the mix, YAML of the shot without id and prompt)
_MIX: tuple[tuple[int, str], ...] = (
    (4, "    model: T2V-2.3\n    options: 768p-6sec\n"),
    (1, "    model: T2V-2.3\n    options: 768p-10sec\n"),
    (1, '    model: "02"\n    options: 1080p-6sec\n'),
    (2, "    model: I2V-2.3-Fast\n    frames: {first: images/first.png}\n"),
    (1, "    model: T2V-01\n"),
    (1, "    model: Sora-2\n    aspectRatio: '16:9'\n"),
)
_CYCLE = [shape for share, shape in _MIX for _ in range(share)]
_PLACES = ("a harbour", "a desert road", "a night market", "a glacier", "an old library")


def _images(folder: Path) -> None:
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), (200, 120, 40)).save(images / "first.png")


def _header(accounts: tuple[Account, ...]) -> list[str]:
    lines = ["version: 1\n", "output: out\n", "defaults:\n  promptOptimization: false\n"]
    lines.append("accounts:\n")
    lines += [f'  "{a}": {{maxJobs: {n}}}\n' for a, _plan, n, _c in accounts]
    lines.append("shots:\n")
    return lines


def storyboard(folder: Path, shots: int, accounts: tuple[Account, ...] = ACCOUNTS) -> Path:
    """`shots` shots over the mix, in an interleaved order, each with its own prompt."""
    _images(folder)
    lines = _header(accounts)
    for i in range(shots):
        # A stride through the cycle that is prime to its length mixes long and short renders.
        shape = _CYCLE[(i * 7) % len(_CYCLE)]
        place = _PLACES[i % len(_PLACES)]
        lines.append(f"  - id: s{i:04d}\n")
        lines.append(shape)
        lines.append(f'    prompt: "Shot {i}: a slow camera move over {place}"\n')
    path = folder / "storyboard.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def instant(folder: Path, shots: int, accounts: tuple[Account, ...]) -> Path:
    """`shots` text-to-video shots over a handful of prompts (the simulator caches media)."""
    lines = _header(accounts)
    for i in range(shots):
        lines.append(f"  - id: i{i:05d}\n    model: T2V-01\n")
        lines.append(f'    prompt: "A quiet scene number {i % 4}"\n')
    path = folder / "instant.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def render_slots(accounts: tuple[Account, ...]) -> int:
    return sum(RENDER_SLOTS[plan] for _a, plan, _n, _c in accounts)


def dag(folder: Path, chains: int = 6, links: int = 4, alone: int = 48) -> Path:
    """A storyboard of `chains` chains of `links` shots, each starting on the last frame of the
    one before, and `alone` independent shots of the mix, interleaved in the file."""
    _images(folder)
    lines = _header(ACCOUNTS)
    for i in range(max(chains * links, alone)):
        if i < chains * links:
            chain, link = divmod(i, links)
            lines.append(f"  - id: c{chain}-{link}\n    model: I2V-2.3\n")
            first = "images/first.png" if link == 0 else f"{{shot: c{chain}-{link - 1}}}"
            lines.append(f"    frames: {{first: {first}}}\n")
            lines.append(f'    prompt: "Chain {chain}, link {link}"\n')
        if i < alone:
            lines.append(f"  - id: a{i:03d}\n")
            lines.append(_CYCLE[(i * 7) % len(_CYCLE)])
            lines.append(f'    prompt: "Alone {i}: over {_PLACES[i % len(_PLACES)]}"\n')
    path = folder / "dag.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path
