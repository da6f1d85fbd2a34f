"""Executing a run: backend choice, one task group under per-account slots, placement, submit,
follow, lookup, download, retry policy, and the events the displays render.

May import `state`, `api`, `spec` and (to start the embedded backend) `sim`; never `report`.
"""
