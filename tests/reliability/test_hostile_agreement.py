"""What `reel validate` accepts, the API accepts, at the price `reel plan` said.

The validator and the simulator both read the catalogue, but each applies its rules with its own
code. Random shots (any model, any option of any model, frames of any kind and size, aspect
ratios, odd prompts) are validated; every pipeline the validator accepts is run against the
simulator, and then every shot-take must be created and completed (no 400 the validator should
have caught), each create charged exactly what the plan estimated.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from runner.commands.run import RunOptions, render
from runner.run.backend import Backend
from runner.run.events import ListSink
from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from runner.spec import catalogue
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.seed_prices import seed_prices

SPEED = 6000.0
CATALOGUE = catalogue.load()
MODELS = sorted(CATALOGUE.models)
OPTIONS = sorted({o.name for m in CATALOGUE.models.values() for o in m.options})
IMAGES = {
    "small.png": (64, 36),
    "wide.png": (1280, 720),
    "tall.png": (720, 1280),
    "photo.jpg": (800, 600),
}
_serial = itertools.count()


@st.composite
def shots(draw: st.DrawFn) -> dict[str, Any]:
    model = draw(st.sampled_from(MODELS))
    own = CATALOGUE.models[model].option_names
    shot: dict[str, Any] = {"model": model}
    mine = st.sampled_from(own or ("x",))
    option = draw(st.one_of(st.none(), mine, mine, mine, st.sampled_from(OPTIONS)))
    if option is not None and option != "x":
        shot["options"] = option
    frames: dict[str, Any] = {}
    image = st.sampled_from(sorted(IMAGES))
    rules = CATALOGUE.models[model]
    if draw(st.integers(0, 4)) < (4 if rules.first == "required" else 2):
        frames["first"] = draw(image)
    if draw(st.integers(0, 3)) == 0:
        frames["last"] = draw(image)
    if draw(st.integers(0, 4)) < (4 if rules.references[0] else 1):
        frames["references"] = draw(st.lists(image, min_size=1, max_size=3))
    if frames:
        shot["frames"] = frames
    if draw(st.booleans()):
        shot["aspectRatio"] = draw(st.sampled_from(["16:9", "9:16", "1:1"]))
    prompt = draw(st.one_of(st.none(), st.text(min_size=1, max_size=60)))
    if prompt is not None:
        shot["prompt"] = prompt
    if draw(st.booleans()):
        shot["promptOptimization"] = draw(st.booleans())
    return shot


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="reel-agree-") as tmp:
        for name, size in IMAGES.items():
            Image.new("RGB", size, (30, 120, 200)).save(Path(tmp) / name)
        yield Path(tmp)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    accounts = (SimAccount("111", "free", 2), SimAccount("222", "paid", 3))
    with running_simulator(SimConfig(accounts=accounts, speed=SPEED)) as s:
        yield s


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(drawn=st.lists(shots(), min_size=1, max_size=2))
def test_what_validates_is_accepted_and_charged_as_planned(
    folder: Path, sim: Simulator, drawn: list[dict[str, Any]]
) -> None:
    n = next(_serial)
    for i, shot in enumerate(drawn):  # ids, and prompts this example alone uses
        shot["id"] = f"e{n}-s{i}"
        if "prompt" in shot:
            shot["prompt"] = f"{shot['prompt']} [example {n} shot {i}]"
    out = folder / f"out{n}"
    path = folder / f"p{n}.yaml"
    document = {"version": 1, "output": out.name, "shots": drawn}
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    pipe, diagnostics = load_pipeline(path)
    assume(pipe is not None and not any(d.severity == "error" for d in diagnostics))
    assert pipe is not None
    for valid in pipe.shots:
        event(f"valid: {valid.model} {'+'.join(r for r, _f in valid.frames.all()) or 'text'}")
    takes = list(make_plan(pipe).takes)
    backend = Backend("simulator", sim.base_url, sim.token, 1 / SPEED)
    before = len(sim.ledger()["creates"])

    result = anyio.run(
        lambda: render(pipe, takes, RunOptions(), backend, ListSink(), handle_sigint=False)
    )

    ends = {st.take.shot.id: (st.status, st.error) for st in result.states}
    assert all(status == "completed" for status, _e in ends.values()), (drawn, ends)
    creates = sim.ledger()["creates"][before:]
    assert len(creates) == len(takes)
    planned = {t.shot.id: t.credits for t in takes}
    seed = seed_prices()
    for st_ in result.states:
        create = next(c for c in creates if c["videoId"] == st_.video_id)
        assert create["credits"] == planned[st_.take.shot.id], (st_.take.shot, create)
        # Both come from the catalogue: the seed's own table says whether that price is right.
        assert create["credits"] == seed[st_.take.shot.model, st_.take.shot.options]
