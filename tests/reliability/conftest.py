"""Helpers for the hostile tests: run `reel` commands in-process, judge what a user sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from click.testing import CliRunner

from runner.cli import main as reel

LOCATED = re.compile(r"^.+:\d+:\d+: (error|warning): ", re.MULTILINE)
"""A diagnostic as a user sees it: FILE:LINE:COL: error|warning: ..."""


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def located(self) -> list[str]:
        return [m.group(0) for m in LOCATED.finditer(self.text)]


def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """`reel ARGS...` in this process, as the command line would run it."""
    result = CliRunner().invoke(reel, list(args), env=env, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def assert_no_crash(out: Outcome) -> None:
    """What a user must never see: a traceback or Reel's own bug report."""
    assert "Traceback" not in out.text, out.text
    assert "internal error" not in out.text, out.text
    assert out.code != 3, out.text
