"""The pipeline file: the model catalogue, YAML 1.2 loading with marks, the generated JSON
Schema, the checks and their messages, and the typed pipeline records they build.

Imports nothing of Reel's but `runner.errors`: everything else builds on it.
"""
