"""The one error boundary: every command's outcome becomes an exit code here, and only here.

A `ReelError` is printed without a traceback and exits with its code. Ctrl-C exits 130. A
closed pipe on stdout (`| head`) ends the command quietly with 0.
Anything else escaping a command is a bug: its traceback goes to a log file (the token
redacted), the user is told where, and Reel exits 3.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from runner.api.redact import redact
from runner.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, ReelError


def _crash_log_dir() -> Path:
    return Path(os.environ.get("REEL_LOG_DIR") or tempfile.gettempdir())


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of a bug to a log file and return its path."""
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
        print(f"reel: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reel: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`reel validate ... | head -1`): what it read is what it wanted,
        # not a bug. Point stdout at /dev/null so that the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is a bug
        log = write_crash_log(exc)
        print(
            f"reel: internal error (a bug in reel, not in your pipeline): {type(exc).__name__}.\n"
            f"reel: the details are in {log}; please attach that file to a bug report.",
            file=sys.stderr,
        )
        return EXIT_BUG
