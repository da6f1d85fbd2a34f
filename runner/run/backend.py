"""Which API a run talks to: the real useapi.net, or the embedded simulator.

`USEAPI_TOKEN` set: the real API (`--base-url` / `USEAPI_BASE_URL` or useapi.net). No token: a
simulator started in this process on a random loopback port, sped up so that a demo finishes in
seconds. `time_scale` tells the run's timing policy how much faster than real time the backend
goes, so that default polls and waits shrink with it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from runner.api.redact import check_token, register_secret
from runner.api.useapi import DEFAULT_BASE_URL
from runner.spec import catalogue
from runner.spec.pipeline import Pipeline

DEMO_SPEED = 300.0
"""The embedded simulator's speed: a 3-minute render takes 0.6 s."""
SIM_NOTE = (
    "no USEAPI_TOKEN: running on the embedded simulator "
    "(nothing is spent, the videos are simulated placeholders)"
)


@dataclass(frozen=True, slots=True)
class Backend:
    kind: str
    """"useapi" or "simulator"."""
    base_url: str
    token: str
    time_scale: float
    note: str | None = None
    request_timeout: float | None = None
    """Seconds before a request is given up (default: a minute, shrunk on a fast simulator)."""
    identity: str | None = None
    """What the journal files jobs under: the base URL, unique per process for an embedded
    simulator (whose jobs vanish with it)."""

    @property
    def journal_id(self) -> str:
        return self.identity or self.base_url

    @property
    def real(self) -> bool:
        return self.kind == "useapi"


def _sim_accounts(pipeline: Pipeline) -> tuple[object, ...]:
    """The pipeline's accounts (and those its shots are pinned to), as simulated accounts."""
    from runner.sim import SimAccount

    declared = {a.id: a.max_jobs for a in pipeline.accounts}
    for shot in pipeline.shots:
        if shot.account is not None:
            declared.setdefault(shot.account, 2)
    if not declared:
        from runner.sim.config import DEFAULT_ACCOUNTS

        return DEFAULT_ACCOUNTS
    # A bigger maxJobs suggests a paid account (which renders two videos at once).
    return tuple(
        SimAccount(id=i, plan="paid" if n >= 3 else "free", max_jobs=n) for i, n in declared.items()
    )


@contextlib.contextmanager
def open_backend(
    pipeline: Pipeline, base_url: str | None, speed: float = DEMO_SPEED
) -> Iterator[Backend]:
    """The backend for a run: real when USEAPI_TOKEN is set, else an embedded simulator."""
    token = os.environ.get("USEAPI_TOKEN", "").strip()
    if token:
        register_secret(token)
        check_token(token)
        yield Backend("useapi", (base_url or DEFAULT_BASE_URL).rstrip("/"), token, 1.0)
        return
    from runner.sim import SimConfig, running_simulator

    # earlier_files: a pipeline's fileIDs (uploaded before, as in examples/file-ids.yaml) are
    # files the demo account already has, so such a pipeline renders here too.
    config = SimConfig(
        accounts=_sim_accounts(pipeline),  # type: ignore[arg-type]
        speed=speed,
        catalogue=catalogue.load(),  # the pipeline's, with its overlay
        earlier_files=True,
    )
    with running_simulator(config) as sim:
        register_secret(sim.token)
        yield Backend(
            "simulator",
            sim.base_url,
            sim.token,
            1.0 / speed,
            SIM_NOTE,
            identity=f"embedded-simulator:{uuid.uuid4().hex}",
        )
