"""The crash-safe state of a run: SQLite in WAL mode in `<output>/.reel/journal.sqlite`.

Every write is committed with `synchronous=FULL` before its method returns, so what it
recorded survives a kill -9 or a power cut; concurrent writes share one commit (group
commit). The order of writes is the safety argument:

1. `intend()` before a create is sent (shot-take key, fingerprint, account, time, prompt, model);
2. `set_video_id()` as soon as the create answers, before anything else happens;
3. `set_state()` when a job fails or is moderated, `set_output()` (state completed) once its
   video is downloaded. A completed job without an output (state 'created' or 'completed')
   is polled and downloaded again.

So a job row without a video id is an intent whose fate is unknown (look the job up before
sending again); a row with a video id is a job that exists (poll it, never create again).

Tables: `jobs` (one row per create intent; several per shot-take across runs and fingerprints,
the newest row is the current one; states 'intended', 'created', 'completed', 'failed',
'moderated', 'abandoned' = an intent known not to have made a job, 'expired' = a completed job
whose video the API no longer has: a rerun renders it again), `uploads` (fileID cache by
backend, account and sha256), `frames` (frames extracted from upstream videos for continuity,
recorded before they are uploaded: `runner.state.frames`), `runs`. Rows carry the backend they
were made on (`Journal.backend`): an embedded simulator's jobs vanish with it, a real account's
do not.

What a rerun does with each row is decided in `runner.run.job` (`_resume`) and told, without any
request, by `runner.state.rerun` (`reel plan`) and `runner.state.status` (`reel status`);
outputs set aside and orphans are kept by `runner.state.supersede` in files of their own
beside this one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread

from runner.errors import UsageError

JOURNAL_NAME = "journal.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT, started REAL, ended REAL, outcome TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL, fingerprint TEXT NOT NULL, run_id TEXT, backend TEXT NOT NULL,
    account TEXT NOT NULL,
    prompt TEXT, model TEXT, intended REAL NOT NULL,
    video_id TEXT, submitted REAL, attempts INTEGER NOT NULL DEFAULT 1,
    state TEXT NOT NULL DEFAULT 'intended', credits INTEGER NOT NULL DEFAULT 0,
    completed REAL, error TEXT,
    output_path TEXT, output_bytes INTEGER, output_sha256 TEXT, width INTEGER, height INTEGER,
    request TEXT
);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key, fingerprint);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_video ON jobs (backend, video_id);
CREATE TABLE IF NOT EXISTS uploads (
    backend TEXT NOT NULL, account TEXT NOT NULL, sha256 TEXT NOT NULL, file_id TEXT NOT NULL,
    uploaded REAL, PRIMARY KEY (backend, account, sha256)
);
CREATE TABLE IF NOT EXISTS frames (
    key TEXT PRIMARY KEY, path TEXT NOT NULL, extracted REAL
);
"""

# Job states. 'intended': the create may or may not have been sent; 'created': a video id is
# known; the final ones say how the job ended; 'abandoned': an intent looked up and not found.
FINAL_STATES = frozenset({"completed", "failed", "moderated", "abandoned", "expired"})


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One row of `jobs`."""

    id: int
    key: str
    fingerprint: str
    run_id: str | None
    backend: str
    """Which API the job lives on (see `Journal.backend`)."""
    account: str
    prompt: str | None
    model: str | None
    intended: float
    video_id: str | None
    submitted: float | None
    attempts: int
    state: str
    credits: int
    completed: float | None
    error: str | None
    output_path: str | None
    output_bytes: int | None
    output_sha256: str | None
    width: int | None
    height: int | None
    request: str | None
    """JSON of what the create sent that decides the video (prompt, model, options, aspect
    ratio, fileIDs): a rerun's lookup matches a listed job against all of it."""

    @property
    def unanswered(self) -> bool:
        """A create that may have gone out and whose job is not known: killed before its
        answer ('intended'), or answered by no job that a lookup found ('abandoned' with the
        credits it may have cost, `Journal.set_unsure`)."""
        return self.video_id is None and (
            self.state == "intended" or (self.state == "abandoned" and self.credits > 0)
        )


_COLUMNS = ", ".join(JobRecord.__slots__)
_FRAME_SQL = "INSERT OR REPLACE INTO frames (key, path, extracted) VALUES (?, ?, ?)"


class JournalDamaged(UsageError):
    """The journal file is not a readable SQLite database."""


class JournalWriteFailed(Exception):
    """The journal could not record something (a full disk, a read-only folder)."""


@dataclass(slots=True, eq=False)
class _Write:
    sql: str
    params: tuple[object, ...]
    done: anyio.Event = field(default_factory=anyio.Event)
    rowid: int | None = None
    error: Exception | None = None


class Journal:
    """Durable run state.

    Writes are `async` and durable when they return. Writes that arrive together share one
    transaction and one fsync (group commit), run in a worker thread so that the event loop
    never waits on the disk; reads use a second connection and see what is committed.
    """

    def __init__(self, folder: Path, backend: str = "") -> None:
        self.backend = backend
        """The API this process talks to: jobs and fileIDs of another backend (an earlier
        embedded simulator) are not looked for there."""
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / JOURNAL_NAME
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=30, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(jobs)")}
            if "request" not in columns:  # a journal written before intents kept their request
                self._db.execute("ALTER TABLE jobs ADD COLUMN request TEXT")
            self._reader = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._reader.execute("SELECT COUNT(*) FROM jobs").fetchone()
        except sqlite3.DatabaseError as exc:
            raise JournalDamaged(
                f"{self.path} cannot be read ({exc}): nothing was sent. It records which jobs"
                " exist; move it aside only if you accept that a rerun may pay again for jobs"
                " it lists"
            ) from None
        self._queue: list[_Write] = []
        self._leader = False
        self.commits = 0

    def close(self) -> None:
        self._reader.close()
        self._db.close()

    def _commit(self, batch: list[_Write]) -> None:
        """One transaction for a batch; a failing statement fails only its own write."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for w in batch:
                try:
                    w.rowid = self._db.execute(w.sql, w.params).lastrowid
                except sqlite3.Error as exc:
                    w.error = exc
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            for w in batch:
                w.error = w.error or exc
        self.commits += 1

    async def _write(self, sql: str, params: tuple[object, ...]) -> int | None:
        item = _Write(sql, params)
        self._queue.append(item)
        if self._leader:
            await item.done.wait()
        else:
            # The first writer commits every batch that queues up meanwhile; shielded, so a
            # cancelled leader still finishes the writes others wait for.
            self._leader = True
            try:
                with anyio.CancelScope(shield=True):
                    while self._queue:
                        batch, self._queue = self._queue, []
                        await anyio.to_thread.run_sync(self._commit, batch)
                        for w in batch:
                            w.done.set()
            finally:
                self._leader = False
        if isinstance(item.error, sqlite3.OperationalError):
            raise JournalWriteFailed(f"cannot write {self.path}: {item.error}") from item.error
        if item.error is not None:
            raise item.error
        return item.rowid

    def write_now(self, sql: str, params: tuple[object, ...]) -> None:
        """A synchronous write, for the start and end of a run (no batch is in flight)."""
        self._commit([_Write(sql, params)])

    # runs
    def start_run(self, run_id: str, pipeline: str) -> None:
        self.write_now(
            "INSERT INTO runs (run_id, pipeline, started) VALUES (?, ?, ?)",
            (run_id, pipeline, time.time()),
        )

    def end_run(self, run_id: str, outcome: str) -> None:
        self.write_now(
            "UPDATE runs SET ended = ?, outcome = ? WHERE run_id = ?",
            (time.time(), outcome, run_id),
        )

    # jobs
    async def intend(
        self,
        *,
        key: str,
        fingerprint: str,
        run_id: str,
        account: str,
        prompt: str | None,
        model: str,
        attempts: int = 1,
        request: str | None = None,
    ) -> int:
        """Record, durably, that a create is about to be sent (with `request`, the JSON of what
        decides its video). Returns the job row id."""
        rowid = await self._write(
            "INSERT INTO jobs (key, fingerprint, run_id, backend, account, prompt, model,"
            " intended, attempts, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                fingerprint,
                run_id,
                self.backend,
                account,
                prompt,
                model,
                time.time(),
                attempts,
                request,
            ),
        )
        assert rowid is not None
        return rowid

    async def set_video_id(self, job: int, video_id: str, credits: int) -> None:
        """The job exists: record its id (and the credits it costs) before anything else."""
        await self._write(
            "UPDATE jobs SET video_id = ?, submitted = ?, state = 'created', credits = ?"
            " WHERE id = ?",
            (video_id, time.time(), credits, job),
        )

    async def set_state(self, job: int, state: str, error: str | None = None) -> None:
        """Record a state ('created', 'completed', 'failed', 'moderated', 'abandoned', …)."""
        done = time.time() if state in FINAL_STATES else None
        await self._write(
            "UPDATE jobs SET state = ?, error = ?, completed = COALESCE(?, completed) WHERE id = ?",
            (state, error, done, job),
        )

    async def set_output(
        self, job: int, *, path: str, size: int, sha256: str, width: int | None, height: int | None
    ) -> None:
        """Record the downloaded file: the job is completed (one write for both)."""
        await self._write(
            # A video downloaded again keeps the time its job completed (the lock shows it).
            "UPDATE jobs SET state = 'completed', completed = COALESCE(completed, ?),"
            " output_path = ?, output_bytes = ?, output_sha256 = ?, width = ?, height = ?"
            " WHERE id = ?",
            (time.time(), path, size, sha256, width, height, job),
        )

    def record_rendered(
        self,
        *,
        key: str,
        fingerprint: str,
        account: str,
        model: str,
        video_id: str,
        credits: int,
        completed: float,
    ) -> None:
        """A job rendered elsewhere (a teammate's, from the lock): completed, its video not in
        this folder yet, so the run downloads it (`runner.state.locked`). Nothing is recorded
        when the journal already has that video."""
        self.write_now(
            "INSERT OR IGNORE INTO jobs (key, fingerprint, backend, account, model, intended,"
            " video_id, state, credits, completed) VALUES (?, ?, ?, ?, ?, ?, ?, 'completed', ?, ?)",
            (
                key,
                fingerprint,
                self.backend,
                account,
                model,
                completed,
                video_id,
                credits,
                completed,
            ),
        )

    async def set_unsure(self, job: int, credits: int, error: str) -> None:
        """The create was sent, its answer lost, and no lookup found its job: no job to follow
        (state 'abandoned'), but `credits` may have been charged for it."""
        await self._write(
            "UPDATE jobs SET state = 'abandoned', error = ?, credits = ?, completed = ?"
            " WHERE id = ?",
            (error, credits, time.time(), job),
        )

    def unsure_credits(self, key: str) -> int:
        """Credits a shot-take's lost creates may have cost, over every run on this backend
        (rows without a job carry credits only through `set_unsure`)."""
        return self.unsure_anywhere(key, lambda backend: backend == self.backend)

    def unsure_anywhere(self, key: str, real: Callable[[str], bool]) -> int:
        """Credits a shot-take's lost creates may have cost (rows without a job), summed over
        the backends `real` accepts (`reel status` reads the journal without a backend, and an
        embedded simulator's credits are not money)."""
        rows = self._reader.execute(
            "SELECT backend, COALESCE(SUM(credits), 0) FROM jobs WHERE key = ?"
            " AND video_id IS NULL GROUP BY backend",
            (key,),
        ).fetchall()
        return sum(int(credits) for backend, credits in rows if real(str(backend)))

    def latest(self, key: str, fingerprint: str | None = None) -> JobRecord | None:
        """The newest job row of a shot-take (of that fingerprint, when given)."""
        if fingerprint is None:
            row = self._reader.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE key = ? ORDER BY id DESC LIMIT 1",  # noqa: S608
                (key,),
            ).fetchone()
        else:
            row = self._reader.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE key = ? AND fingerprint = ?"  # noqa: S608
                " ORDER BY id DESC LIMIT 1",
                (key, fingerprint),
            ).fetchone()
        return JobRecord(*row) if row else None

    def unanswered(self, key: str, fingerprint: str) -> list[JobRecord]:
        """The creates of a shot-take that went out unanswered since its last other outcome,
        newest first (`JobRecord.unanswered`; rows never sent, such as a 429's, are passed
        over): what a rerun counts against the one blind resend a run allows."""
        rows = self._reader.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE key = ? AND fingerprint = ? AND backend = ?"  # noqa: S608
            " ORDER BY id DESC",
            (key, fingerprint, self.backend),
        )
        lost: list[JobRecord] = []
        for row in rows:
            record = JobRecord(*row)
            if record.unanswered:
                lost.append(record)
            elif not (record.state == "abandoned" and record.video_id is None):
                break
        return lost

    def all_latest(self) -> dict[str, JobRecord]:
        """The newest job row of every shot-take ever journalled, by key."""
        rows = self._reader.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE id IN (SELECT MAX(id) FROM jobs GROUP BY key)"  # noqa: S608
        ).fetchall()
        return {r[1]: JobRecord(*r) for r in rows}

    def known_video_ids(self) -> set[str]:
        """Every video id this output folder ever created (to never adopt one twice)."""
        rows = self._reader.execute(
            "SELECT video_id FROM jobs WHERE video_id IS NOT NULL AND backend = ?", (self.backend,)
        )
        return {r[0] for r in rows}

    # frames (continuity)
    def frame(self, key: str) -> Path | None:
        """The file of a frame extracted before (`runner.state.frames.frame_key`)."""
        row = self._reader.execute("SELECT path FROM frames WHERE key = ?", (key,)).fetchone()
        return Path(row[0]) if row else None

    def remember_frame_now(self, key: str, path: Path) -> None:
        """Record an extracted frame (outside a run: no batch is in flight)."""
        self.write_now(_FRAME_SQL, (key, str(path), time.time()))

    async def remember_frame(self, key: str, path: Path) -> None:
        """Record an extracted frame, durably, before it is uploaded."""
        await self._write(_FRAME_SQL, (key, str(path), time.time()))

    # uploads
    def cached_file_id(self, account: str, sha256: str) -> str | None:
        row = self._reader.execute(
            "SELECT file_id FROM uploads WHERE backend = ? AND account = ? AND sha256 = ?",
            (self.backend, account, sha256),
        ).fetchone()
        return row[0] if row else None

    async def remember_upload(self, account: str, sha256: str, file_id: str) -> None:
        await self._write(
            "INSERT OR REPLACE INTO uploads (backend, account, sha256, file_id, uploaded)"
            " VALUES (?, ?, ?, ?, ?)",
            (self.backend, account, sha256, file_id, time.time()),
        )
