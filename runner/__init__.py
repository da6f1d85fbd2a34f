"""Reel: turn a version-controlled shot list into finished AI videos."""

__version__ = "0.1.0"
