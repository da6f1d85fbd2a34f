"""Benchmarks run by hand (`python -m tests.bench.<name>`); timing goals live here, not in tests."""
