"""Every price Reel plans with is the one on useapi.net's create-video page (the seed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from PIL import Image

from runner.spec import catalogue
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.seed_prices import parse_prices, seed_prices

CATALOGUE = catalogue.load()
OPTION_NAME = re.compile(r"^(?:veo-)?(?P<resolution>\d+p|4k)-(?P<seconds>\d+)sec$")


def _fresh() -> catalogue.Catalogue:
    """The catalogue parsed now from its file (not `load()`'s copy, read once per process)."""
    return catalogue.parse(catalogue.raw_catalogue())


def _catalogue_prices() -> dict[tuple[str, str | None], int]:
    prices: dict[tuple[str, str | None], int] = {}
    for model in _fresh().models.values():
        if not model.options:
            prices[model.name, None] = model.credits_for(None)
        for option in model.options:
            prices[model.name, option.name] = model.credits_for(option.name)
    return prices


def test_the_catalogue_has_exactly_the_seed_s_prices() -> None:
    seed = seed_prices()
    assert len(seed) == 35, "15 models: 6 without options, 29 model-option pairs"
    assert _catalogue_prices() == seed


def test_the_plan_prices_every_row_of_the_seed(tmp_path: Path) -> None:
    """One shot per priced (model, option), frames as each model needs; the plan's credits."""
    Image.new("RGB", (1280, 720), (10, 20, 30)).save(tmp_path / "a.png")
    seed = seed_prices()
    shots = []
    for n, (model, option) in enumerate(sorted(seed, key=str)):
        rules = CATALOGUE.models[model]
        shot: dict[str, object] = {"id": f"s{n}", "model": model, "prompt": "priced"}
        if option is not None:
            shot["options"] = option
        if rules.references[0]:
            shot["frames"] = {"references": ["a.png"]}
        elif rules.first == "required" or (option or "").startswith("512p"):
            shot["frames"] = {"first": "a.png"}
        shots.append(shot)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "shots": shots}, sort_keys=False), "utf-8")
    pipe, diagnostics = load_pipeline(path)
    assert pipe is not None, [d.render() for d in diagnostics]
    planned = {(t.shot.model, t.shot.options): t.credits for t in make_plan(pipe).takes}
    assert planned == seed


def test_the_seed_reader_reads_a_table_and_refuses_a_garbled_one() -> None:
    text = (
        "intro\n| Model | Option | Credits |\n|---|---|---|\n"
        "| A, B | - | 25 |\n| C | x-1 | 7 |\nend\n"
    )
    assert parse_prices(text) == {("A", None): 25, ("B", None): 25, ("C", "x-1"): 7}
    with pytest.raises(AssertionError, match="unreadable row"):
        parse_prices(text.replace("| 7 |", "| seven |"))


def test_without_the_seed_ci_fails_loudly_and_elsewhere_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tests.seed_prices as seed_module

    monkeypatch.setattr(seed_module, "SEED", tmp_path / "nowhere.txt")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        seed_module.seed_text()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="shared/ beside the repository"):
        seed_module.seed_text()


def test_each_option_is_the_resolution_and_length_its_name_says() -> None:
    for model in _fresh().models.values():
        for option in model.options:
            named = OPTION_NAME.match(option.name)
            assert named, option.name
            assert (option.resolution, option.seconds) == (
                named["resolution"],
                int(named["seconds"]),
            ), (model.name, option)
            assert model.seconds_for(option.name) == option.seconds


def test_the_seed_s_frame_rules_for_hailuo_02() -> None:
    """The seed: 02 takes an end frame at 768p/1080p only, and needs a first frame at 512p."""
    model = _fresh().model("02")
    for option in model.options:
        low = option.name.startswith("512p")
        assert option.allows_last is not low and model.allows_last_with(option.name) is not low
        assert option.needs_first is low and model.needs_first_with(option.name) is low
