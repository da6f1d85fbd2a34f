"""Errors a user can fix, and the one boundary that turns every outcome into an exit code.

A `ReelError` carries a message that says what went wrong and what to do; it is printed
without a traceback. Anything else escaping a command is a bug: the boundary writes the
traceback to a log file, says so, and exits 3.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

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


def _crash_log_dir() -> Path:
    return Path(os.environ.get("REEL_LOG_DIR") or tempfile.gettempdir())


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of a bug to a log file and return its path."""
    from runner.redact import redact

    folder = _crash_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reel-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    path.write_text(redact(text), encoding="utf-8")
    return path


def boundary(command: Callable[[], int]) -> int:
    """Run a command and map its outcome to an exit code; the only place that does."""
    try:
        return command()
    except ReelError as exc:
        from runner.redact import redact

        print(f"reel: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reel: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is a bug
        log = write_crash_log(exc)
        print(
            f"reel: internal error (a bug in reel, not in your pipeline): {type(exc).__name__}.\n"
            f"reel: the details are in {log}; please attach that file to a bug report.",
            file=sys.stderr,
        )
        return EXIT_BUG
