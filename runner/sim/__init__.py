"""A faithful simulator of useapi.net's MiniMax API: embedded (`running_simulator`) or
standalone (`reel sim serve`).

May import only `spec` (the catalogue) and `errors`: it shares nothing with `run` or `state`,
so a misreading of the API cannot hide in both at once.
"""

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
