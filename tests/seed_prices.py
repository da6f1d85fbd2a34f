"""The credit table of useapi.net's create-video page, read from the seed beside the checkout.

The catalogue was transcribed from that page; tests compare the catalogue (and what the plan
and the simulator charge) with this independent reading, so that a wrong price cannot pass by
agreeing with itself. The seed is `../shared/seed/` beside the repository: there in a
developer's worktree and in CI (a fresh clone with a copy of shared/ beside it). In CI
(CI=true) its absence is a failure; elsewhere (an unpacked sdist) the price tests are skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "000_7c3d48a629caca8c.txt"
HEADER = "| Model | Option | Credits |"
ROW = re.compile(
    r"^\|\s*(?P<models>[^|]+?)\s*\|\s*(?P<option>[^|]+?)\s*\|\s*(?P<credits>\d+)\s*\|$"
)

Prices = dict[tuple[str, str | None], int]


def seed_text() -> str:
    """The seed page's text; fails in CI and skips elsewhere when it is not beside the clone."""
    if SEED.is_file():
        return SEED.read_text("utf-8")
    why = f"the API's create-video page is not at {SEED} (shared/ beside the repository)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}: CI must have it to check prices", pytrace=False)
    pytest.skip(why)


def parse_prices(text: str) -> Prices:
    """(model, option or None) -> credits, for every row of the "Credits estimator" table."""
    lines = iter(text.splitlines())
    for line in lines:
        if line.strip() == HEADER:
            break
    else:
        raise AssertionError(f"no {HEADER!r} table in the seed")
    prices: Prices = {}
    for raw in lines:
        line = raw.strip()
        if not line.startswith("|"):
            break
        if set(line) <= {"|", "-", " "}:
            continue
        match = ROW.match(line)
        assert match, f"unreadable row of the credit table: {line!r}"
        option = None if match["option"] == "-" else match["option"]
        for model in match["models"].split(","):
            key = (model.strip(), option)
            assert key not in prices, f"{key} priced twice in the seed"
            prices[key] = int(match["credits"])
    return prices


def seed_prices() -> Prices:
    return parse_prices(seed_text())
