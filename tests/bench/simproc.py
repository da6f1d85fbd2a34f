"""The simulator in a process of its own, so that its CPU is never counted as Reel's.

    python -m tests.bench.simproc CONFIG_JSON

starts `runner.sim.running_simulator` with the configuration given as JSON (see `SimSpec`),
prints one JSON line `{"base_url", "root", "token"}` once it serves, and stops when its stdin
closes. `SimProcess` is the parent's side: start, read the ledger over HTTP, stop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

Plan = Literal["free", "paid"]
ROOT = Path(__file__).resolve().parents[2]
"""The repository: child processes run `python -m tests.bench...` from there."""


@dataclass(frozen=True, slots=True)
class SimSpec:
    """What the simulator process is started with (JSON-friendly)."""

    accounts: tuple[tuple[str, Plan, int, int | None], ...]
    """(id, plan, maxJobs, credits or None for plenty)."""
    speed: float
    faults: dict[str, Any] = field(default_factory=dict)
    """FaultRates fields; `hold_after` as a list of [account, n]."""
    seed: int = 0


def _serve(spec: dict[str, Any]) -> None:
    from runner.sim import FaultRates, SimAccount, SimConfig, running_simulator

    faults = dict(spec.get("faults") or {})
    if "hold_after" in faults:
        faults["hold_after"] = tuple((a, int(n)) for a, n in faults["hold_after"])
    accounts = tuple(
        SimAccount(i, p, j) if c is None else SimAccount(i, p, j, c)
        for i, p, j, c in spec["accounts"]
    )
    config = SimConfig(
        accounts=accounts,
        speed=float(spec["speed"]),
        faults=FaultRates(**faults),
        seed=int(spec.get("seed", 0)),
    )
    with running_simulator(config) as sim:
        print(
            json.dumps({"base_url": sim.base_url, "root": sim.root, "token": sim.token}),
            flush=True,
        )
        sys.stdin.read()  # until the parent closes our stdin


class SimProcess:
    """A simulator child process: `with SimProcess(spec) as sim: sim.base_url, sim.ledger()`."""

    def __init__(self, spec: SimSpec) -> None:
        self.spec = spec
        self.base_url = self.root = self.token = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimProcess:
        payload = asdict(self.spec)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.simproc", json.dumps(payload)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(timeout=10)
            raise RuntimeError(f"the simulator process exited ({self._proc.returncode})")
        info = json.loads(line)
        self.base_url, self.root, self.token = info["base_url"], info["root"], info["token"]
        return self

    def ledger(self) -> dict[str, Any]:
        response = httpx.get(f"{self.root}/_sim/ledger", timeout=120)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
