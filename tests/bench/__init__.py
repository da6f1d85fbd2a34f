"""Benchmarks run by hand: `python -m tests.bench` (all of them, a table; see __main__), or one
part (`python -m tests.bench.validate_bench`). Timing goals live here, never in tests."""
