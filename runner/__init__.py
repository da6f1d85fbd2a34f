"""Reel: turn a version-controlled shot list into finished AI videos.

Packages, in the one direction imports run (each may import only those after it):
`commands` → `report` | `run` → `state` → `api` → `spec`. `sim` imports only `spec`;
`errors` (exit codes, the user's errors) imports nothing and may be imported by all.
"""

__version__ = "0.1.0"
