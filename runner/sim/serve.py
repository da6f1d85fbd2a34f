"""Run the simulator: in a background thread for tests and `reel run`, or in the foreground.

`running_simulator(cfg)` binds 127.0.0.1 on a free port, waits until uvicorn serves, and shuts
it down cleanly on exit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from runner.errors import UsageError
from runner.sim.abrupt import quiet_uvicorn
from runner.sim.app import BASE, make_app
from runner.sim.config import SimConfig
from runner.sim.world import World

START_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Simulator:
    """A running simulator: where it is, its token, and its ledger."""

    root: str
    token: str
    world: World

    @property
    def base_url(self) -> str:
        return self.root + BASE

    def ledger(self) -> dict[str, Any]:
        """The same JSON as GET /_sim/ledger."""
        return self.world.ledger_json()

    def entries(self, key: str, start: int = 0) -> list[dict[str, Any]]:
        """Copies of one ledger list's entries from `start` on (`requests`, `creates`, …):
        cheap enough to watch a run with (the whole ledger holds the world's lock longer)."""
        with self.world.lock:
            return [dict(e) for e in getattr(self.world.ledger, key)[start:]]


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port (0: any free port); UsageError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so (else
    # Nagle and delayed ACKs cost 40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # clients may connect before uvicorn takes over the socket
    except OSError as exc:
        sock.close()
        raise UsageError(f"could not listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def server_for(world: World, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        make_app(world),
        host=host,
        port=port,
        http="h11",
        lifespan="on",
        log_level="warning",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=2,
    )
    quiet_uvicorn()
    return uvicorn.Server(config)


@contextlib.contextmanager
def running_simulator(config: SimConfig | None = None) -> Iterator[Simulator]:
    """Serve a simulator on 127.0.0.1 (a free port) in a daemon thread while the block runs."""
    config = config or SimConfig()
    world = World(config)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = server_for(world, "127.0.0.1", port)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="reel-sim", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.005)
        yield Simulator(root=f"http://127.0.0.1:{port}", token=config.bearer, world=world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
