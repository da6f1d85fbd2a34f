"""Tests of what lasts in an output folder."""
