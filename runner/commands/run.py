"""`reel run PIPELINE`: validate, confirm the spend, render every shot-take, report.

Exit codes: 0 every shot-take completed; 1 the run ended but some did not (or it had to stop:
token rejected, no account can take work); 2 invalid pipeline or options, or a spend not
confirmed (nothing spent); 130 interrupted (every job id is kept; a rerun resumes).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import click
import httpx

from runner.api.useapi import ClientConfig, UseApi
from runner.commands.cut import write_after_run
from runner.commands.loading import valid_pipeline
from runner.errors import EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK, UsageError
from runner.run.backend import Backend, open_backend
from runner.run.display import JsonLines, LiveView, PlainLog
from runner.run.events import Sink
from runner.run.retry import Timing
from runner.run.scheduler import RunResult, RunSettings, execute
from runner.spec.pipeline import Pipeline
from runner.state.frames import plan_with_frames
from runner.state.journal import Journal
from runner.state.locked import lock_for, seed_journal, useapi_user
from runner.state.lockfile import Lock, entries_after_run, lock_path, write_lock
from runner.state.plan import ShotTake, with_variants


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The command line's choices, after parsing."""

    only: tuple[str, ...] = ()
    max_credits: int | None = None
    yes: bool = False
    poll_interval: float | None = None
    retry_wait: float | None = None
    as_json: bool = False
    retry_failed: bool = False
    force: tuple[str, ...] = ()


def main(
    pipeline: str,
    *,
    out: str | None,
    only: list[str],
    max_credits: int | None,
    yes: bool,
    base_url: str | None,
    poll_interval: float | None,
    retry_wait: float | None,
    as_json: bool,
    retry_failed: bool,
    force: list[str],
    overlay: str | None = None,
) -> int:
    """The `reel run` command."""
    pipe = valid_pipeline(pipeline, "nothing was run", overlay=overlay)
    if out is not None:
        pipe = replace(pipe, output=Path(out).resolve())
    options = RunOptions(
        only=with_variants(only, pipe),
        max_credits=max_credits,
        yes=yes,
        poll_interval=poll_interval,
        retry_wait=retry_wait,
        as_json=as_json,
        retry_failed=retry_failed,
        force=with_variants(force, pipe),
    )
    every = list(plan_with_frames(pipe, force=options.force).takes)
    chosen = select(tuple(every), options)
    lock = lock_for(pipe.path)  # read first: a broken lock stops the run before anything is sent
    prepare_output(pipe.output)
    with output_lock(pipe.output), open_backend(pipe, base_url) as backend:
        if lock is not None:
            take_from_lock(lock, chosen, pipe.output, backend, options)
        if backend.real:
            confirm_spend(
                to_render(chosen, pipe.output, backend.journal_id, options),
                options,
                backend.base_url,
            )
        try:
            with _sink(as_json) as sink:
                # Every shot-take goes in (the manifest stays whole); --only decides which are sent.
                result = anyio.run(render, pipe, every, options, backend, sink)
        finally:  # also after a second Ctrl-C: the lock says what the journal knows
            # Frames rendered in this run give their shots' real fingerprints.
            chained = any(t.waits_for for t in every)
            update_lock(pipe, list(plan_with_frames(pipe).takes) if chained else every, lock)
    if result.outcome != "interrupted":
        write_after_run(pipe, quiet=as_json)
    write_review_page(pipe.output, quiet=as_json)
    return exit_code(result)


def take_from_lock(
    lock: Lock, takes: list[ShotTake], output: Path, backend: Backend, options: RunOptions
) -> None:
    """Hand the run the lock's videos it can fetch (as journal rows: it downloads them, free);
    say which of the lock's videos it renders instead, and why."""
    journal = Journal(output / ".reel", backend.journal_id)
    try:
        refused = seed_journal(
            journal,
            lock,
            [t for t in takes if t.shot.id not in options.force],
            backend=backend.journal_id if backend.real else None,
            user=useapi_user(backend.token) if backend.real else None,
        )
    finally:
        journal.close()
    for take, why in refused:
        print(
            f"reel: {take.key}: {lock.path.name} has its video, but {why}: rendering it",
            file=sys.stderr,
        )


def update_lock(pipe: Pipeline, takes: list[ShotTake], earlier: Lock | None) -> None:
    """Write the lock beside the pipeline from the journal; a lock that cannot be written costs
    no video (the journal keeps everything), so it is reported, not raised."""
    path = lock_path(pipe.path)
    journal = Journal(pipe.output / ".reel")
    try:
        entries = entries_after_run(takes, journal, earlier, pipe.output)
        write_lock(path, entries, pipe.path.name)
    except (OSError, sqlite3.Error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(
            f"reel: the lock file {path} could not be written ({why});"
            " the videos and the journal are safe, the next run writes it",
            file=sys.stderr,
        )
    finally:
        journal.close()


def write_review_page(folder: Path, *, quiet: bool) -> None:
    """Write report.html beside the manifest; a page that cannot be written costs no video."""
    from runner.report.write import write_report

    if not (folder / "manifest.json").is_file():
        return
    try:
        page = write_report(folder)
    except (OSError, UsageError) as exc:
        print(
            f"reel: the review page could not be written ({exc}); `reel report {folder}` retries",
            file=sys.stderr,
        )
        return
    if not quiet:
        print(f"review page: {page}", file=sys.stderr)


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """One run at a time per output folder: two would each create jobs for the same shots."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    with (folder / ".reel" / "lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another reel run is using {folder}: nothing was sent; wait for it to end"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_output(folder: Path) -> None:
    """Create the output folder (and its state folder) or say why it cannot be."""
    for place in (folder, *folder.parents):
        if place.exists():
            if not place.is_dir():
                where = "" if place == folder else f" (for the output folder {folder})"
                raise UsageError(
                    f"{place} is a file, not a folder{where}; choose another output with --out"
                )
            break
    try:
        (folder / ".reel").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {folder}: {exc.strerror}") from None


def select(takes: tuple[ShotTake, ...], options: RunOptions) -> list[ShotTake]:
    """The shot-takes `--only` keeps; unknown ids are a usage error."""
    known = {t.shot.id for t in takes}
    unknown = sorted({*options.only, *options.force} - known)
    if unknown:
        raise UsageError(
            f"no shot with id {', '.join(unknown)} in the pipeline "
            f"(ids: {', '.join(sorted(known))})"
        )
    if not options.only:
        return list(takes)
    return [t for t in takes if t.shot.id in options.only]


def to_render(
    takes: list[ShotTake], output: Path, backend_id: str, options: RunOptions
) -> list[ShotTake]:
    """The shot-takes a run may pay for: not those an earlier run completed or whose job
    exists (the estimate to confirm), as the journal in `output` tells."""
    journal = Journal(output / ".reel", backend_id)
    try:
        paid = {"completed", "created"} | (
            set() if options.retry_failed else {"failed", "moderated"}
        )
        return [
            t
            for t in takes
            if t.shot.id in options.force
            or (r := journal.latest(t.key, t.fingerprint)) is None
            or r.state not in paid
            or (r.state == "created" and r.backend != backend_id)
        ]
    finally:
        journal.close()


def confirm_spend(takes: list[ShotTake], options: RunOptions, base_url: str) -> None:
    """Against the real API, ask before spending; without a terminal, demand --yes. The
    question names the host the credits go to (`--base-url` may point elsewhere)."""
    if options.yes or not takes:
        return
    estimate = sum(t.credits for t in takes)
    cap = f" (capped at {options.max_credits})" if options.max_credits is not None else ""
    host = urlsplit(base_url).netloc or base_url
    videos = "1 video" if len(takes) == 1 else f"{len(takes)} videos"
    what = f"{videos}, estimated {estimate} credits{cap} on {host}"
    if not sys.stdin.isatty():
        raise UsageError(
            f"this run would spend real credits ({what}); nothing was spent. "
            "Confirm with --yes to run without a terminal."
        )
    if not click.confirm(f"Render {what}?", default=False, err=True):
        raise UsageError("not confirmed: nothing was spent")


@contextlib.contextmanager
def _sink(as_json: bool) -> Iterator[Sink]:
    if as_json:
        yield JsonLines()
    elif sys.stdout.isatty():
        with LiveView() as view:
            yield view
    else:
        yield PlainLog()


async def render(
    pipeline: Pipeline,
    takes: list[ShotTake],
    options: RunOptions,
    backend: Backend,
    sink: Sink,
    *,
    handle_sigint: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    """Run the shot-takes against a backend (the part tests call directly). Of `takes`, those
    `options.only` leaves out are only reported from the journal, never sent."""
    settings = RunSettings(
        pipeline=pipeline.path,
        output=pipeline.output,
        accounts=pipeline.accounts,
        backend=backend.kind,
        base_url=backend.base_url,
        backend_id=backend.journal_id,
        timing=Timing(backend.time_scale, options.poll_interval, options.retry_wait),
        max_credits=options.max_credits,
        retry_failed=options.retry_failed,
        force=frozenset(options.force),
        only=frozenset(options.only),
        handle_sigint=handle_sigint,
        note=backend.note,
    )
    config = ClientConfig(backend.base_url, backend.token, timeout=_timeout(backend))
    async with UseApi(config, transport) as client:
        return await execute(settings, takes, client, sink)


def _timeout(backend: Backend) -> float:
    """Request timeout: a minute on the real API, shrunk (within reason) on a fast simulator;
    `REEL_REQUEST_TIMEOUT` (seconds) sets it, for a simulator served at speed under a real-API
    backend, as the chaos test does."""
    if backend.request_timeout is not None:
        return backend.request_timeout
    given = os.environ.get("REEL_REQUEST_TIMEOUT", "")
    try:
        return max(0.1, float(given)) if given else max(2.0, 60.0 * backend.time_scale)
    except ValueError:
        raise UsageError(f"REEL_REQUEST_TIMEOUT={given!r}: give seconds, e.g. 30") from None


def exit_code(result: RunResult) -> int:
    if result.outcome == "interrupted":
        print("reel: interrupted: every job id is kept; run again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.outcome == "completed":
        return EXIT_OK
    if result.reason:
        print(f"reel: {result.reason}", file=sys.stderr)
    chosen = [st for st in result.states if st.selected]
    left = sum(1 for st in chosen if st.status != "completed")
    print(
        f"reel: {left} of {len(chosen)} shot-takes did not complete; see manifest.json",
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE
