"""Helpers for `reel run` tests: pipelines written as YAML, runs against a live simulator."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from PIL import Image

from runner.commands.run import RunOptions, render, select
from runner.run.backend import Backend
from runner.run.events import ListSink
from runner.run.scheduler import RunResult
from runner.sim import FaultRates, SimAccount, SimConfig, Simulator, running_simulator
from runner.spec.validate import load_pipeline
from runner.state.frames import plan_with_frames

SPEED = 600.0
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schema" / "manifest.schema.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def write_pipeline(folder: Path, body: str, name: str = "p.yaml") -> Path:
    """A pipeline file in `folder` (with two images a.png and b.png beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for img, colour in (("a.png", (200, 80, 20)), ("b.png", (20, 80, 200))):
        if not (folder / img).exists():
            Image.new("RGB", (64, 36), colour).save(folder / img)
    path = folder / name
    path.write_text("version: 1\noutput: out\n" + textwrap.dedent(body), encoding="utf-8")
    return path


@dataclass
class Run:
    result: RunResult
    sink: ListSink
    manifest: dict[str, Any]
    ledger: dict[str, Any]
    output: Path

    def status(self, key: str) -> str:
        return next(s["status"] for s in self.manifest["shots"] if s["key"] == key)

    def shot(self, key: str) -> dict[str, Any]:
        return next(s for s in self.manifest["shots"] if s["key"] == key)


def creates_per_key(ledger: dict[str, Any], result: RunResult) -> Counter[str]:
    """How many accepted creates each shot-take got, matched by video id."""
    owner = {st.video_id: st.key for st in result.states if st.video_id}
    return Counter(owner.get(c["videoId"], "?unknown") for c in ledger["creates"])


def check_ledger(ledger: dict[str, Any]) -> None:
    """No account ever held more jobs than its maxJobs (nor was sent a create beyond it)."""
    assert ledger["overLimit"] == [], ledger["overLimit"]
    for account, peak in ledger["peakJobs"].items():
        assert peak <= ledger["accounts"][account]["maxJobs"], (account, peak)


class ToTheApi(httpx.AsyncBaseTransport):
    """Passes every request on to the server as it is; a test's transport subclasses it to
    change some of them (a hostile network, a refusing API) and sends the rest on with
    `self.inner`."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def run_pipeline(
    sim: Simulator,
    path: Path,
    options: RunOptions | None = None,
    scale: float = 1 / SPEED,
    timeout: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Run:
    options = options or RunOptions()
    pipe, diagnostics = load_pipeline(path)
    assert pipe is not None, [d.render() for d in diagnostics]
    takes = list(plan_with_frames(pipe, force=options.force).takes)
    select(tuple(takes), options)  # as `reel run` does: unknown ids are refused
    backend = Backend("simulator", sim.base_url, sim.token, scale, request_timeout=timeout)
    sink = ListSink()
    result = anyio.run(
        lambda: render(
            pipe, takes, options, backend, sink, handle_sigint=False, transport=transport
        )
    )
    manifest = json.loads((pipe.output / "manifest.json").read_text("utf-8"))
    errors = [e.message for e in VALIDATOR.iter_errors(manifest)]
    assert errors == []
    ledger = sim.ledger()
    check_ledger(ledger)
    return Run(result, sink, manifest, ledger, pipe.output)


def sim_config(
    accounts: tuple[SimAccount, ...] = (
        SimAccount("111", "free", 2),
        SimAccount("222", "paid", 3),
    ),
    faults: FaultRates | None = None,
    speed: float = SPEED,
    seed: int = 0,
) -> SimConfig:
    return SimConfig(accounts=accounts, speed=speed, faults=faults or FaultRates(), seed=seed)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running_simulator(sim_config()) as s:
        yield s
