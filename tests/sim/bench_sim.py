"""Timing figures for the simulator, run by hand (not collected by pytest):

    python -m tests.sim.bench_sim

Prints how long one MP4 takes to make (at the sizes the API reports, with and without the
Veo family's sound, and at the quarter size the tests serve) and how many requests a second the
server answers, one client at a time and with 16 at once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx

from runner.sim import SimAccount, SimConfig, running_simulator
from runner.sim.config import EMBEDDED_MEDIA_SCALE
from runner.sim.media import Look, encode_mp4, served_size

REQUESTS = 1000


SIZES = (
    ((1280, 720), 6, False),
    ((1366, 768), 10, False),
    ((1920, 1080), 6, False),
    ((1280, 720), 8, True),
    ((1920, 1080), 8, True),
    ((3840, 2160), 8, True),
)


def bench_media() -> None:
    for size, seconds, audio in SIZES:
        for scale in (1.0, EMBEDDED_MEDIA_SCALE):
            served = served_size(*size, scale)
            look = Look(f"bench {size} {seconds}", None, "16:9", seconds, False, size=served)
            look = replace(look, audio=audio)
            started = time.perf_counter()
            data = encode_mp4(look, None)
            took = time.perf_counter() - started
            sound = " + AAC" if audio else ""
            print(
                f"mp4 {served[0]:>4}x{served[1]:<4} {seconds:>2} s{sound:6}: "
                f"{took * 1000:7.1f} ms, {len(data) / 1000:6.1f} kB"
            )


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
