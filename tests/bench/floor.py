"""The CPU floor of a video: what the least any client must do costs, with nothing of Reel's.

    python -m tests.bench.floor [SHOTS]

On the CPU bench's instant simulator (its own process, 3 paid accounts of 10 slots), SHOTS
(default 2,000) videos made with a bare `httpx.AsyncClient` (30 in flight, as in the CPU bench;
one keep-alive pool of 4, 8 or 16 connections): every `POST /videos/create`, then every
`GET /videos/{id}` (the jobs are done at once), then every download streamed to a file; then
Reel's download check (PyAV opens the file and decodes its first frame) of each file, alone.
It prints the CPU (user + system, this process) per request of each kind, and the floor: the
cheapest create plus the cheapest download plus the check, what a video costs a client that
does nothing else. `cpu_ms_per_shot` can be read against it: a video needs at least a create
and a download, whatever else a client does. Also the naive client (useapi's batch script,
ported, sync httpx, one request at a time, no checks) on the same jobs.
"""

from __future__ import annotations

import resource
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.bench.runs import INSTANT_ACCOUNTS, INSTANT_SPEED
from tests.bench.simproc import SimProcess, SimSpec

AT_ONCE = 30


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _bare(
    base_url: str, root: str, token: str, shots: int, out: Path, connections: int
) -> dict[str, float]:
    """CPU seconds of each step over `shots` videos made with a bare httpx client: all creates,
    then all job reads, then all downloads (AT_ONCE in flight, over `connections`)."""
    accounts = [account for account, *_ in INSTANT_ACCOUNTS]
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}"}
    ids: dict[int, str] = {}
    urls: dict[int, str] = {}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as api,
        httpx.AsyncClient(limits=limits) as media,
    ):

        async def create(i: int) -> None:
            body = {"account": accounts[i % len(accounts)], "model": "T2V-01"}
            body["prompt"] = f"A quiet scene number {i % 4}"
            ids[i] = (
                (await api.post("/videos/create", json=body)).raise_for_status().json()["videoId"]
            )

        async def read(i: int) -> None:
            job = (await api.get(f"/videos/{ids[i]}")).raise_for_status().json()
            url = job.get("downloadURL") or job["videoURL"]
            urls[i] = url if url.startswith("http") else root + url

        async def download(i: int) -> None:
            with (out / f"{i}.mp4").open("wb") as file:
                async with media.stream("GET", urls[i]) as reply:
                    async for chunk in reply.raise_for_status().aiter_bytes():
                        file.write(chunk)

        spent: dict[str, float] = {}
        limiter = anyio.CapacityLimiter(AT_ONCE)

        async def limited(step: Callable[[int], Awaitable[None]], i: int) -> None:
            async with limiter:
                await step(i)

        for step in (create, read, download):
            t0 = _cpu()
            async with anyio.create_task_group() as group:
                for i in range(shots):
                    group.start_soon(limited, step, i)
            spent[step.__name__] = _cpu() - t0
    return spent


def _decode_check(files: list[Path]) -> float:
    """CPU seconds of Reel's download check (open, decode the first frame) over `files`."""
    from runner.run.download import decoded

    t0 = _cpu()
    for path in files:
        assert decoded(path) is not None, path
    return _cpu() - t0


def _naive(base_url: str, token: str, shots: int, folder: Path) -> tuple[float, int]:
    """CPU seconds and requests of the naive client on `shots` instant jobs."""
    from runner.spec.validate import load_pipeline
    from runner.state.plan import make_plan
    from tests.bench import workload
    from tests.bench.naive import NaiveClient

    folder.mkdir(parents=True, exist_ok=True)
    pipe, _ = load_pipeline(workload.instant(folder, shots, INSTANT_ACCOUNTS))
    assert pipe is not None
    takes = list(make_plan(pipe).takes)
    client = NaiveClient(base_url, token, 1 / INSTANT_SPEED, folder / "naive-out")
    t0 = _cpu()
    try:
        result = client.run(takes)
    finally:
        client.close()
    assert result.downloaded == shots, result
    return _cpu() - t0, result.requests


POOL_SIZES = (4, 8, 16)


def measure(shots: int) -> dict[str, Any]:
    """The bare client's CPU per request kind at each pool size, the cheapest of them as the
    floor, the decode check's, and the naive client's per video."""
    figures: dict[str, Any] = {"shots": shots}
    cheapest: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="reel-floor-") as scratch:
        for size in POOL_SIZES:
            out = Path(scratch) / f"pool{size}"
            out.mkdir()
            with SimProcess(SimSpec(INSTANT_ACCOUNTS, INSTANT_SPEED)) as sim:
                spent = anyio.run(_bare, sim.base_url, sim.root, sim.token, shots, out, size)
            for step, seconds in spent.items():
                ms = 1000 * seconds / shots
                figures[f"pool{size}_{step}_ms"] = round(ms, 3)
                cheapest[step] = min(cheapest.get(step, ms), ms)
        files = sorted(out.glob("*.mp4"))
        assert len(files) == shots, len(files)
        check = 1000 * _decode_check(files) / shots
        figures["decode_check_ms"] = round(check, 3)
        figures["floor_ms_per_video"] = round(cheapest["create"] + cheapest["download"] + check, 3)
        with SimProcess(SimSpec(INSTANT_ACCOUNTS, INSTANT_SPEED)) as sim:
            naive, requests = _naive(sim.base_url, sim.token, shots, Path(scratch) / "naive")
        figures["naive_ms_per_video"] = round(1000 * naive / shots, 3)
        figures["naive_requests_per_video"] = round(requests / shots, 2)
    return figures


def main() -> None:
    shots = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    for name, value in measure(shots).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
