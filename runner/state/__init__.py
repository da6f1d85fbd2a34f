"""What lasts in an output folder: the journal, the manifest, each shot-take's state, the plan
and its fingerprints, rerun decisions, superseded outputs and `reel status`.

May import `api` and `spec`; never `run`, `report` or `sim`.
"""
