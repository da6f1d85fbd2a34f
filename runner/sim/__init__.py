"""A faithful simulator of useapi.net's MiniMax API: embedded (`running_simulator`) or
standalone (`reel sim serve`). It shares only the catalogue with the runner."""

from runner.sim.config import SimAccount, SimConfig, parse_accounts
from runner.sim.faults import FaultRates, parse_faults
from runner.sim.serve import Simulator, running_simulator

__all__ = [
    "FaultRates",
    "SimAccount",
    "SimConfig",
    "Simulator",
    "parse_accounts",
    "parse_faults",
    "running_simulator",
]
