"""`reel sim serve`: the simulated API as a standalone server, until Ctrl-C."""

from __future__ import annotations

import asyncio

from runner.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from runner.sim.app import BASE
from runner.sim.config import (
    DEFAULT_ACCOUNTS,
    Listing,
    SimConfig,
    listing_from_env,
    parse_accounts,
)
from runner.sim.faults import parse_faults
from runner.sim.serve import bind, server_for
from runner.sim.world import World


def main(
    *,
    host: str,
    port: int,
    token: str | None,
    accounts: str | None,
    speed: float,
    faults: str | None,
    seed: int,
    listing: str | None = None,
    media_scale: float = 1.0,
) -> int:
    """Serve until interrupted; print where and with which token first."""
    config = SimConfig(
        accounts=parse_accounts(accounts) if accounts else DEFAULT_ACCOUNTS,
        speed=speed,
        faults=parse_faults(faults),
        seed=seed,
        token=token,
        listing=_listing(listing),
        media_scale=media_scale,
    )
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a TCP port")
    sock = bind(host, port)
    server = server_for(World(config), host, port)
    _announce(config, host, sock.getsockname()[1], faults)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        print("reel sim: stopped", flush=True)
        return EXIT_INTERRUPTED
    finally:
        sock.close()
    return EXIT_OK


def _listing(name: str | None) -> Listing:
    """`--available`, else REEL_SIM_AVAILABLE, else only accounts with room."""
    if name is None:
        return listing_from_env()
    return "all" if name == "all" else "with-room"


def _announce(config: SimConfig, host: str, port: int, faults: str | None) -> None:
    shown = f"[{host}]" if ":" in host else host
    root = f"http://{shown}:{port}"
    print(f"reel sim: serving the MiniMax API at {root}{BASE}", flush=True)
    print(f"reel sim: token {config.bearer}", flush=True)
    for account in config.accounts:
        print(
            f"reel sim: account {account.id} ({account.plan}, maxJobs {account.max_jobs}, "
            f"{account.credits} credits)",
            flush=True,
        )
    if faults:
        print(f"reel sim: faults {faults} (seed {config.seed})", flush=True)
    print(
        f"reel sim: GET /scheduler/available lists {config.listing} accounts; videos served at"
        f" {config.media_scale:g} of their reported size",
        flush=True,
    )
    print(f"reel sim: speed x{config.speed:g}; ledger at {root}/_sim/ledger", flush=True)
    print("reel sim: press Ctrl-C to stop", flush=True)
