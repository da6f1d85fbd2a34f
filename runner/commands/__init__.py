"""One module per `reel` subcommand: plain functions taking plain values, returning an exit code."""
