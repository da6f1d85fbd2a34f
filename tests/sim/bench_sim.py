"""Timing figures for the simulator, run by hand (not collected by pytest):

    python -m tests.sim.bench_sim

Prints how long one MP4 takes to make and how many requests a second the server answers,
one client at a time and with 16 at once.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from runner.sim import SimAccount, SimConfig, running_simulator
from runner.sim.media import Look, encode_mp4

REQUESTS = 1000


def bench_media() -> None:
    for seconds, aspect in ((6, "16:9"), (10, "16:9"), (8, "9:16")):
        look = Look(f"bench {seconds} {aspect}", None, aspect, seconds, watermark=False)
        started = time.perf_counter()
        data = encode_mp4(look, None)
        took = time.perf_counter() - started
        print(f"mp4 {seconds:>2} s {aspect}: {took * 1000:6.1f} ms, {len(data) / 1000:.1f} kB")


async def _many(base: str, token: str, path: str, clients: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:

        async def worker(n: int) -> None:
            for _ in range(n):
                (await http.get(path)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker(REQUESTS // clients) for _ in range(clients)))
        return REQUESTS / (time.perf_counter() - started)


def bench_server() -> None:
    accounts = (SimAccount(id="1", plan="paid", max_jobs=10),)
    with running_simulator(SimConfig(accounts=accounts, speed=1e6)) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        with httpx.Client(base_url=sim.base_url, headers=headers) as http:
            video_id = http.post("/videos/create", json={"prompt": "bench"}).json()["videoId"]
            started = time.perf_counter()
            for n in range(REQUESTS):
                http.post("/videos/create", json={"prompt": f"bench {n}"})
            creates = REQUESTS / (time.perf_counter() - started)
        path = f"/videos/{video_id}"
        for clients in (1, 16):
            rate = asyncio.run(_many(sim.base_url, sim.token, path, clients))
            print(f"GET /videos/{{id}}, {clients:>2} clients: {rate:7.0f} requests/s")
        print(f"POST /videos/create, 1 client: {creates:7.0f} requests/s")


if __name__ == "__main__":
    bench_media()
    bench_server()
