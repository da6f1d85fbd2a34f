"""What a rerun will do with each shot-take, read from the journal alone (never the API).

The rules are those `runner.run.job` acts on; `reel plan`, `reel status` and the run's start-up
(which decides whether the API must be asked anything at all) read them from here:

| the journal's newest row for the shot-take's fingerprint | action                          |
|----------------------------------------------------------|---------------------------------|
| none (a new shot-take, or its fingerprint changed)       | render (costs its credits)      |
| completed, output in place with its recorded sha256      | reuse (no request at all)       |
| completed, output missing or different                   | resume: download the job again; |
|                                                          | render if the API lost it       |
| created (a job id, not finished)                         | resume: poll it, download it    |
| intended (no job id: killed between send and reply), or  | resume: look the job up first;  |
| abandoned after a lost create no lookup found            | render if it is not found, stop |
|                                                          | (failed) if two creates were    |
|                                                          | lost (one blind resend at most) |
| failed / moderated                                       | keep; render with --retry-failed|
| abandoned / expired (no job, or its video is gone)       | render                          |
| the shot is named by --force                             | render (old output superseded)  |
| none, but the lock beside the pipeline has its video      | fetch: download it again, free; |
| (`runner.state.locked`)                                  | render if the API lost it       |

A job made on another backend (an earlier embedded simulator, whose jobs vanished with it)
cannot be polled here: unless its output is intact, the shot-take renders again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from runner.state.journal import JOURNAL_NAME, JobRecord, Journal
from runner.state.locked import useapi_user, why_not_fetched
from runner.state.lockfile import Lock
from runner.state.plan import ShotTake, sha256_file

Action = Literal["reuse", "resume", "render", "keep", "fetch"]
FETCH_REASON = "already rendered, free"


@dataclass(frozen=True, slots=True)
class Decision:
    """What a rerun does with one shot-take, and why."""

    take: ShotTake
    action: Action
    reason: str
    record: JobRecord | None
    """The journal's newest row for this shot-take and fingerprint."""
    changed: bool = False
    """An earlier run rendered this shot-take with another fingerprint."""
    unsure: int = 0
    """Credits earlier creates of this shot-take may have cost: sent, their answer lost, and
    no job found for them (`Journal.unsure_credits`). Already possibly spent, not planned."""

    @property
    def credits(self) -> int:
        """What the rerun spends on it (an intent whose job a lookup does not find renders
        too: see `lookup_credits`)."""
        return self.take.credits if self.action == "render" else 0

    @property
    def needs_accounts(self) -> bool:
        """Whether it may create a job (then the run must know its accounts)."""
        return self.action in ("render", "fetch") or (
            self.action == "resume" and self.record is not None and self.record.video_id is None
        )


def intact(record: JobRecord) -> bool:
    """The recorded output is where it was, with its recorded size and sha256."""
    if record.output_path is None or record.output_sha256 is None:
        return False
    path = Path(record.output_path)
    try:
        return (
            path.stat().st_size == record.output_bytes and sha256_file(path) == record.output_sha256
        )
    except OSError:
        return False


def _foreign(record: JobRecord, backend: str | None) -> bool:
    """The job lives on another backend than the next run's (None: an embedded simulator)."""
    if backend is None:
        return True
    return record.backend != backend


def decide(  # noqa: PLR0911 - one return per row of the module's table
    journal: Journal,
    take: ShotTake,
    *,
    retry_failed: bool = False,
    forced: bool = False,
    backend: str | None,
    lock: Lock | None = None,
    user: str | None = None,
) -> Decision:
    """The decision for one shot-take. `backend` is the journal id of the API the next run
    talks to (None: an embedded simulator, on which no earlier job exists); `lock` the lock
    beside the pipeline, `user` the useapi user of the next run's token."""
    record = journal.latest(take.key, take.fingerprint)
    earlier = record or journal.latest(take.key)
    changed = earlier is not None and earlier.fingerprint != take.fingerprint
    if forced:
        return Decision(take, "render", "forced (--force)", record, changed)
    if record is None:
        return from_lock(take, lock, backend, user, changed)
    state = record.state
    if record.unanswered and not _foreign(record, backend):
        return Decision(take, "resume", "sent before, no reply: look the job up first", record)
    if state in ("abandoned", "expired"):
        why = "not sent before" if state == "abandoned" else "its video expired on the API"
        return Decision(take, "render", why, record)
    if state in ("failed", "moderated"):
        if retry_failed:
            return Decision(take, "render", f"{state} → retry (--retry-failed)", record)
        why = record.error or state
        return Decision(take, "keep", f"{state}: {why} (--retry-failed renders it)", record)
    if state == "completed" and intact(record):
        return Decision(take, "reuse", "completed, unchanged", record)
    if _foreign(record, backend):
        return Decision(take, "render", "its job was on an earlier embedded simulator", record)
    if state == "completed":
        missing = record.output_path is None or not Path(record.output_path).exists()
        what = "missing" if missing else "damaged (sha256 differs)"
        return Decision(
            take,
            "resume",
            f"output {what}: download job again (renders anew if the API no longer has it)",
            record,
        )
    if record.video_id is not None:
        return Decision(take, "resume", f"job {record.video_id} not finished: poll it", record)
    return Decision(take, "resume", "sent before, no reply: look the job up first", record)


def from_lock(
    take: ShotTake, lock: Lock | None, backend: str | None, user: str | None, changed: bool
) -> Decision:
    """A shot-take the journal knows nothing of (for its fingerprint): fetched when the lock
    has its video and the next run can fetch it, else rendered (saying why)."""
    entry = lock.rendered(take) if lock is not None else None
    if entry is None:
        stale = lock is not None and lock.stale(take)
        why = "changed" if changed or stale else "new"
        return Decision(take, "render", why, None, changed or stale)
    assert lock is not None
    refused = why_not_fetched(entry, backend, user)
    if refused is not None:
        return Decision(take, "render", f"in {lock.path.name}, but {refused}", None)
    return Decision(take, "fetch", FETCH_REASON, None)


def decide_all(
    output: Path,
    takes: Iterable[ShotTake],
    *,
    retry_failed: bool = False,
    force: Iterable[str] = (),
    backend: str | None,
    lock: Lock | None = None,
    user: str | None = None,
) -> list[Decision]:
    """Decisions for every shot-take, from the journal in `output/.reel` (none: all new, or
    fetched from `lock`)."""
    forced = set(force)
    folder = output / ".reel"
    if not (folder / JOURNAL_NAME).exists():
        return _chained(
            [
                Decision(t, "render", "forced (--force)", None)
                if t.shot.id in forced
                else from_lock(t, lock, backend, user, changed=False)
                for t in takes
            ]
        )
    journal = Journal(folder, backend or "")
    try:
        decided = _chained(
            [
                decide(
                    journal,
                    t,
                    retry_failed=retry_failed,
                    forced=t.shot.id in forced,
                    backend=backend,
                    lock=lock,
                    user=user,
                )
                for t in takes
            ],
            journal,
        )
        return [replace(d, unsure=journal.unsure_credits(d.take.key)) for d in decided]
    finally:
        journal.close()


def _which(up: Decision) -> str:
    state = up.record.state if up.record is not None else None
    if state == "moderated":
        return "which was moderated"
    if state == "failed":
        return "which failed (--retry-failed renders the chain)"
    return "which will not render"


def _chained(decisions: list[Decision], journal: Journal | None = None) -> list[Decision]:
    """Shot-takes waiting for an upstream's frame render after it (their fingerprint is known
    only then); one whose upstream will not render is kept, saying why."""
    by_key = {d.take.key: d for d in decisions}
    out: list[Decision] = []
    for given in decisions:
        d = given
        if d.take.waits_for:
            up = by_key.get(d.take.waits_for[0])
            name = d.take.waits_for[0].rsplit("#", 1)[0]
            if up is not None and up.action == "keep":
                d = Decision(d.take, "keep", f"waits for {name}, {_which(up)}", None)
            elif d.reason != "forced (--force)":
                earlier = journal.latest(d.take.key) if journal is not None else None
                why = f"{name} changed upstream" if earlier is not None else f"waits for {name}"
                d = Decision(d.take, "render", why, None, earlier is not None)
            by_key[d.take.key] = d
        out.append(d)
    return out


def rerun_credits(decisions: Sequence[Decision]) -> int:
    """What the rerun will spend on the shot-takes it renders (see `lookup_credits`)."""
    return sum(d.credits for d in decisions)


def lookup_credits(decisions: Sequence[Decision]) -> int:
    """What it may spend besides: intents whose job a lookup may not find (then they render)."""
    return sum(
        d.take.credits
        for d in decisions
        if d.action == "resume" and d.record is not None and d.record.video_id is None
    )


def next_user() -> str | None:
    """The useapi user of USEAPI_TOKEN (`user:<id>-…`), if set and of that form."""
    import os

    return useapi_user(os.environ.get("USEAPI_TOKEN", "").strip())


def next_backend() -> str | None:
    """The journal id of the backend `reel run` would use now (as `runner.run.backend` picks it):
    USEAPI_TOKEN set → the base URL; else None (an embedded simulator)."""
    import os

    from runner.api.useapi import DEFAULT_BASE_URL

    if not os.environ.get("USEAPI_TOKEN", "").strip():
        return None
    return (os.environ.get("USEAPI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


@dataclass(frozen=True, slots=True)
class Held:
    """What a run must know before it starts its shot-takes (from the journal, no hashing)."""

    needs_accounts: bool
    """Some shot-take may create a job: the accounts and their load must be read."""
    slots: dict[str, str]
    """Shot-take key → account of each job an earlier run made or may have made and this run
    resumes: its slot is counted before any fresh work is placed."""


def held_jobs(
    journal: Journal, takes: Iterable[ShotTake], *, retry_failed: bool, force: Iterable[str]
) -> Held:
    """Which accounts' slots resumed jobs hold, and whether any shot-take may render."""
    forced = set(force)
    needs = False
    slots: dict[str, str] = {}
    for take in takes:
        record = None if take.shot.id in forced else journal.latest(take.key, take.fingerprint)
        if record is not None and record.unanswered and record.backend == journal.backend:
            slots[take.key] = record.account  # its job may exist: a lookup decides
            needs = True
        elif record is None or record.state in ("abandoned", "expired"):
            needs = True
        elif record.state in ("failed", "moderated"):
            needs = needs or retry_failed
        elif record.state == "completed" or record.backend != journal.backend:
            # Re-downloading costs nothing, but a video the API no longer has renders again.
            needs = needs or not _present(record)
        else:
            slots[take.key] = record.account
            needs = needs or record.video_id is None  # a lookup that finds nothing sends
    return Held(needs, slots)


def _present(record: JobRecord) -> bool:
    if record.output_path is None or record.state != "completed":
        return False
    try:
        return Path(record.output_path).stat().st_size == record.output_bytes
    except OSError:
        return False
