"""One module per `reel` subcommand: plain values in, an exit code out.

May import every package below it (report, run, state, api, spec, sim); only `runner.cli`
imports it.
"""
