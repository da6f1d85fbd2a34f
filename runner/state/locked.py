"""What a run may take from the lock: which videos it can fetch again, free, and why not others.

A lock entry whose fingerprint matches the shot-take is fetched (`GET /videos/{id}`, then its
media URL) when the next run talks to the API the job lives on, with a token of the useapi user
the videoId names (`user:<id>-…`, as the token does). Otherwise the shot-take is rendered, and
Reel says why: the job was made on an embedded simulator (a placeholder that vanished with it),
the next run has no token (the embedded simulator cannot fetch another machine's jobs), the job
lives on another API, or it belongs to another useapi user.

`seed_journal` hands fetchable entries to the run as journal rows of completed jobs whose video
is not here yet: the run's own rules (`runner.run.job`) then download them, and render anew the
ones the API no longer has. The journal stays the crash-safe record and agrees with the lock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from runner.state.journal import JOURNAL_NAME, Journal
from runner.state.lockfile import EMBEDDED_LOCK, Lock, LockEntry, read_lock
from runner.state.plan import ShotTake

_USER = re.compile(r"^user:(\d+)-")


def useapi_user(text: str | None) -> str | None:
    """The useapi user id a token or a videoId names (`user:<id>-…`), if it names one."""
    match = _USER.match(text or "")
    return match.group(1) if match else None


def why_not_fetched(entry: LockEntry, backend: str | None, user: str | None) -> str | None:
    """None when the next run can fetch the entry's video; else why it renders instead.
    `backend`: the API the next run talks to (None: an embedded simulator); `user`: the useapi
    user of its token."""
    if entry.backend == EMBEDDED_LOCK:
        return "its video was made on an embedded simulator (a placeholder, gone with it)"
    if backend is None:
        return (
            "no USEAPI_TOKEN: the embedded simulator cannot fetch videos rendered elsewhere"
            f" ({entry.video_id} is on {entry.backend})"
        )
    if entry.backend != backend:
        return f"its video is on {entry.backend}, and this run talks to {backend}"
    owner = useapi_user(entry.video_id)
    if owner is not None and user is not None and owner != user:
        return (
            f"its video belongs to useapi user {owner}, and USEAPI_TOKEN is user {user}'s:"
            " only its owner can fetch it"
        )
    return None


def _time(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def seed_journal(
    journal: Journal,
    lock: Lock,
    takes: Iterable[ShotTake],
    *,
    backend: str | None,
    user: str | None,
) -> list[tuple[ShotTake, str]]:
    """Record in the journal the lock's videos this run can fetch (shot-takes the journal knows
    nothing of for their fingerprint). Returns the shot-takes whose lock entry it cannot fetch,
    with the reason (they render)."""
    refused = []
    for take in takes:
        entry = lock.rendered(take)
        if entry is None or journal.latest(take.key, take.fingerprint) is not None:
            continue
        why = why_not_fetched(entry, backend, user)
        if why is not None:
            refused.append((take, why))
            continue
        assert entry.video_id is not None
        journal.record_rendered(
            key=take.key,
            fingerprint=take.fingerprint,
            account=entry.account or "",
            model=entry.model or take.shot.model,
            video_id=entry.video_id,
            credits=entry.credits or 0,
            completed=_time(entry.completed) or time.time(),
        )
    return refused


def lock_for(pipeline: Path) -> Lock | None:
    """The lock beside a pipeline file, if there is one."""
    from runner.state.lockfile import lock_path

    return read_lock(lock_path(pipeline))


def has_journal(output: Path) -> bool:
    return (output / ".reel" / JOURNAL_NAME).exists()
