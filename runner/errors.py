"""The exit codes and the errors a user can fix; every package may raise them.

A `ReelError` carries a message that says what went wrong and what to do; `runner.boundary`
prints it without a traceback. This module imports nothing of Reel's, so that the simulator and
the pipeline checks can raise these errors without depending on anything else.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


class ReelError(Exception):
    """An expected failure the user can fix. The message says where and what to do."""

    exit_code = EXIT_USAGE


class UsageError(ReelError):
    """Bad command-line input or an invalid pipeline: nothing was spent."""

    exit_code = EXIT_USAGE


class RunStopped(ReelError):
    """The run could not go on (token rejected, no account can take work)."""

    exit_code = EXIT_INCOMPLETE
