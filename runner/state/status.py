"""Where an output folder stands, from its manifest and journal alone (no request is sent).

Each shot-take is in one of these states:
- `done`: completed, its output in place with its recorded sha256;
- `running`: a job exists (or may: sent, then the run was killed) and has not been downloaded;
  a rerun polls it, looks it up or downloads it again, never pays for it twice;
- `failed` / `moderated`: with the API's reason (`--retry-failed` renders them again);
- `to fetch`: rendered elsewhere (the lock beside the pipeline has its video, and the next run
  can fetch it): a run downloads it again, free;
- `not started`: nothing was sent yet, or the shot changed since (then a rerun renders it).
Outputs of shot-takes no longer in the pipeline are `orphaned`. What finishing costs is the
credits of what is not started (a rerun with --retry-failed also pays for the failed ones).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from runner.state.journal import JobRecord, Journal
from runner.state.locked import why_not_fetched
from runner.state.lockfile import EMBEDDED, Lock
from runner.state.rerun import intact, next_backend, next_user

State = Literal["done", "to fetch", "running", "failed", "moderated", "not started"]
STATES: tuple[State, ...] = ("done", "to fetch", "running", "failed", "moderated", "not started")


@dataclass(frozen=True, slots=True)
class Wanted:
    """A shot-take as the pipeline (or the last manifest) describes it."""

    key: str
    fingerprint: str
    credits: int


@dataclass(frozen=True, slots=True)
class TakeStatus:
    key: str
    state: State
    detail: str
    credits: int
    """Its estimated price (what finishing it would cost when not started or failed)."""
    video_id: str | None = None
    output: str | None = None
    changed: bool = False


def _rel(path: str | None, output: Path) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).relative_to(output).as_posix()
    except ValueError:
        return path


def one(journal: Journal, want: Wanted, output: Path, lock: Lock | None = None) -> TakeStatus:
    """The state of one shot-take."""
    record = journal.latest(want.key, want.fingerprint)
    earlier = record or journal.latest(want.key)
    changed = earlier is not None and earlier.fingerprint != want.fingerprint
    if record is None:
        return _from_lock(want, lock, changed)
    return _from_record(record, want, output)


def _from_lock(want: Wanted, lock: Lock | None, changed: bool) -> TakeStatus:
    """A shot-take this folder has no job for: to fetch when the lock has its video."""
    entry = lock.entries.get(want.key) if lock is not None else None
    if lock is None or entry is None or not entry.rendered:
        why = "changed since it was rendered" if changed else "new"
        return TakeStatus(want.key, "not started", why, want.credits, changed=changed)
    if entry.fingerprint != want.fingerprint:
        why = f"changed since its video in {lock.path.name} was rendered"
        return TakeStatus(want.key, "not started", why, want.credits, changed=True)
    refused = why_not_fetched(entry, next_backend(), next_user())
    if refused is not None:
        why = f"in {lock.path.name}, but {refused}"
        return TakeStatus(want.key, "not started", why, want.credits, entry.video_id)
    why = f"rendered ({lock.path.name}): `reel run` downloads it again, free"
    return TakeStatus(want.key, "to fetch", why, want.credits, entry.video_id, entry.output)


def _from_record(record: JobRecord, want: Wanted, output: Path) -> TakeStatus:  # noqa: PLR0911
    def status(state: State, detail: str, path: str | None = None) -> TakeStatus:
        return TakeStatus(want.key, state, detail, want.credits, record.video_id, path)

    state = record.state
    if state == "failed":
        return status("failed", record.error or state)
    if state == "moderated":
        return status("moderated", record.error or state)
    stopped = record.backend.startswith(EMBEDDED)  # its jobs vanished with it
    if record.unanswered and state == "abandoned" and not stopped:
        return status(
            "running",
            f"sent to {record.account}, its answer lost and no job found yet: a rerun looks"
            f" it up ({record.credits} credits possibly charged)",
        )
    if state == "abandoned":
        return status("not started", "not sent (the API refused or never answered)")
    if state == "expired":
        return status("not started", "its video expired on the API")
    path = _rel(record.output_path, output)
    if state == "completed" and intact(record):
        return status("done", path or "", path)
    if stopped:
        return status("not started", "its job was on an embedded simulator that has stopped")
    if state == "completed":
        return status("running", f"{path} missing or damaged: a rerun downloads it again")
    if record.video_id is not None:
        return status("running", f"job {record.video_id}")
    return status("running", f"sent to {record.account}, no reply kept: a rerun looks it up")


@dataclass(frozen=True, slots=True)
class Status:
    output: Path
    pipeline: str | None
    takes: tuple[TakeStatus, ...]
    orphaned: tuple[dict[str, Any], ...]
    unsure: int = 0
    """Credits creates whose answer was lost may have cost, no job found for them (the
    manifest's `creditsUnsure`, from the journal)."""

    @property
    def counts(self) -> Counter[str]:
        return Counter(t.state for t in self.takes)

    @property
    def to_finish(self) -> int:
        """Credits of what a plain rerun renders."""
        return sum(t.credits for t in self.takes if t.state == "not started")

    @property
    def to_retry(self) -> int:
        """Credits of the failed and moderated ones (a rerun with --retry-failed)."""
        return sum(t.credits for t in self.takes if t.state in ("failed", "moderated"))

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "pipeline": self.pipeline,
            "counts": {s: self.counts.get(s, 0) for s in STATES},
            "takes": [
                {
                    "key": t.key,
                    "state": t.state,
                    "detail": t.detail,
                    "changed": t.changed,
                    "credits": t.credits,
                    "videoId": t.video_id,
                    "output": t.output,
                }
                for t in self.takes
            ],
            "orphaned": list(self.orphaned),
            "toFinish": {
                "fetches": self.counts.get("to fetch", 0),
                "renders": self.counts.get("not started", 0),
                "credits": self.to_finish,
                "retryFailedCredits": self.to_retry,
            },
            "creditsUnsure": self.unsure,
        }


def orphans(journal: Journal, keys: Iterable[str], output: Path) -> list[dict[str, Any]]:
    """Completed outputs of shot-takes not in `keys`, still on disk."""
    present = set(keys)
    found = []
    for key, record in sorted(journal.all_latest().items()):
        if key in present or record.output_path is None:
            continue
        if Path(record.output_path).is_file():
            found.append({"key": key, "path": _rel(record.output_path, output)})
    return found


def read(
    output: Path, wanted: list[Wanted], pipeline: str | None, lock: Lock | None = None
) -> Status:
    """The status of `output` for these shot-takes (none of them when nothing was run: then
    what the lock beside the pipeline has is to fetch)."""
    journal_file = output / ".reel" / "journal.sqlite"
    if not journal_file.exists():
        takes = tuple(_from_lock(w, lock, changed=False) for w in wanted)
        return Status(output, pipeline, takes, ())
    journal = Journal(output / ".reel")
    try:
        takes = tuple(one(journal, w, output, lock) for w in wanted)
        lost = tuple(orphans(journal, (w.key for w in wanted), output))
        unsure = sum(
            journal.unsure_anywhere(w.key, lambda backend: not backend.startswith(EMBEDDED))
            for w in wanted
        )
    finally:
        journal.close()
    return Status(output, pipeline, takes, lost, unsure)
