"""Chaos: a faulty run killed with SIGKILL again and again, then rerun until it finishes.

The simulator runs in this process (a thread) and stays up across the kills, as the real API
would: jobs made before a kill keep rendering. Reel runs as a child process and is killed at
random (seeded) moments, and at chosen phases (an upload, a create, a download) spotted in the
simulator's ledger. At the end every shot-take must have exactly one job and one intact,
decodable output (or end moderated: some videos are moderated after rendering and removed;
a shot continuing from one cannot render, says so, and is never sent: s26's always is),
the manifest's credits must equal the ledger's for every job it names, no job may be paid for
without the manifest owning up to it, and no account may ever have held more than its maxJobs.
Two shots differ only in their first frame (a lookup must tell their jobs apart), and a
colleague floods an account with jobs between the kill during a create and the rerun (the
lookup must page back past them).

Every kill point is structural: a phase seen in the ledger, or a seeded number of requests into
a run; every phase kill must land. A lookup a hostile network left unanswered ends its run
unfinished: reruns go on until nothing is left to take up (at most three).
`REEL_CHAOS_SEEDS=0-19 pytest tests/chaos` soaks by hand with more seeds (default: 3 seeds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import av
import pytest

from runner.api.useapi import ApiError, ClientConfig, UseApi
from runner.sim import FaultRates, SimAccount, SimConfig, Simulator, running_simulator
from tests.run.conftest import VALIDATOR, write_pipeline

SPEED = 250.0
KILLS = 6
"""Random kills per seed (besides the five phase kills)."""
RANDOM_KILL_REQUESTS = (3, 25)
"""A random kill comes after this many requests (seeded): within a run, never after its end."""
FINAL_RUNS = 3
"""Reruns after the kills, until no shot-take is left to take up."""
ATTEMPTS = 8
"""Runs started to land a kill between a create and its journal entry."""
FAULTS = FaultRates(
    spurious_429=0.10,
    busy_queued_502=0.06,
    busy_queued_504=0.06,
    busy_502=0.03,
    reset_before=0.02,
    reset_after=0.03,
    truncate=0.10,
    documented_codes=0.2,
    unknown_codes=0.1,
    own_endpoints=True,  # a hostile network: /accounts and /scheduler* fail too
    moderate_render=0.05,
)
VIDEOS = "/v1/minimax/videos/"
"""Where jobs are read: the account's list, and each job by id below it."""
COLLEAGUE = "a colleague's job"
FLOOD = 35
"""Jobs the colleague makes: more than the 30 the listing's first page used to hold."""
ACCOUNTS = (
    SimAccount("111", "free", 2),
    SimAccount("222", "paid", 3),
    SimAccount("333", "paid", 2),
)


def _seeds() -> list[int]:
    spec = os.environ.get("REEL_CHAOS_SEEDS", "1,2,3")
    if "-" in spec:
        low, high = spec.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in spec.split(",")]


CHAINED = {11: "last", 12: "3", 13: "first", 21: "last", 27: "last"}
"""Shots that continue from the shot before them (s12 from s11 at 3 s, …): three chains."""
MODERATED_UPSTREAM = 26
"""Its video is always moderated after rendering: s27, continuing from it, cannot render."""
MODERATED = "sim:moderate-late"
"""A prompt holding this always gets the simulator's moderated-after-rendering fault."""


def _pipeline(folder: Path) -> Path:
    """34 shot-takes: 28 single shots (some with first frames, some continuing from the shot
    before them), 2 shots of 2 takes, and a pair of image shots that differ only in their first
    frame."""
    lines = ['accounts: {"111": {maxJobs: 2}, "222": {maxJobs: 3}, "333": {maxJobs: 2}}', "shots:"]
    for i in range(30):
        moderated = f" {MODERATED}" if i == MODERATED_UPSTREAM else ""
        lines.append(f"  - id: s{i:02d}\n    prompt: chaos shot number {i}{moderated}")
        if i % 5 == 0:
            lines.append("    model: I2V-01\n    frames: {first: a.png}")
        if i in CHAINED:
            lines.append(
                f"    model: I2V-01\n    frames: "
                f"{{first: {{shot: s{i - 1:02d}, frame: {CHAINED[i]}}}}}"
            )
        if i in (7, 8):
            lines.append("    takes: 2")
    for name, image in (("twin-a", "a.png"), ("twin-b", "b.png")):
        lines.append(
            f"  - {{id: {name}, model: I2V-01, prompt: twins, frames: {{first: {image}}}}}"
        )
    return write_pipeline(folder, "\n".join(lines) + "\n")


def _reel(path: Path, sim: Simulator, *, capture: bool = False) -> subprocess.Popen[str]:
    args = ["run", str(path), "--base-url", sim.base_url, "--yes", "--json"]
    args += ["--poll-interval", "0.03", "--retry-wait", "0.03"]
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        # The simulator answers at once: a 2 s request timeout (not the real API's minute) keeps
        # the wait after a create lost without an answer (twice the timeout) short.
        env=dict(os.environ, USEAPI_TOKEN=sim.token, REEL_REQUEST_TIMEOUT="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


Trigger = Callable[[Simulator], bool]
"""A kill point, read from the simulator's ledger (a few entries, never the whole ledger: a
watcher copying it every few milliseconds would starve the simulator on a loaded machine)."""


def _kill_when(proc: subprocess.Popen[str], sim: Simulator, trigger: Trigger, limit: float) -> bool:
    """SIGKILL `proc` once `trigger(sim)` holds; False when the run ended by itself first.
    `limit` seconds without the trigger is a failure (a hung run), not a kill that counts."""
    deadline = time.monotonic() + limit
    while proc.poll() is None:
        if trigger(sim):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        if time.monotonic() >= deadline:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            last = [f"{r['method']} {r['path']} {r['status']}" for r in sim.entries("requests")]
            pytest.fail(
                f"the run neither reached its kill point nor ended in {limit} s; the last"
                " requests:\n" + "\n".join(last[-15:])
            )
        time.sleep(0.005)  # watching another process: no event to wait on
    return False


def _grows(key: str, sim: Simulator) -> Trigger:
    count = len(sim.entries(key))
    return lambda s: bool(s.entries(key, count))


def _polls(sim: Simulator) -> Trigger:
    """True once this run read jobs three times (GET /videos/: the account's list, or one job
    by id): past its first lookup, while it follows its jobs."""
    count = len(sim.entries("requests"))

    def polled(s: Simulator) -> bool:
        reads = [r for r in s.entries("requests", count) if r["path"].startswith(VIDEOS)]
        return len(reads) >= 3

    return polled


def _after_requests(sim: Simulator, count: int) -> Trigger:
    """True once the simulator saw `count` more requests: a kill point a seed reproduces."""
    start = len(sim.entries("requests")) + count - 1
    return lambda s: bool(s.entries("requests", start))


def _rewritten(manifest: Path) -> Trigger:
    """True once the manifest was replaced since now (killing right after a manifest write)."""

    def stamp() -> int:
        try:
            return manifest.stat().st_ino
        except FileNotFoundError:  # not written yet
            return 0

    before = stamp()
    return lambda _sim: stamp() != before


def _stopped(shot: dict[str, Any]) -> bool:
    """A shot-take stopped after its creates were lost and never found: final, never resent."""
    return shot["status"] == "failed" and "check that account's videos" in shot["error"]


def _blocked(shot: dict[str, Any]) -> bool:
    """A chained shot-take that cannot render: its upstream ended moderated or stopped."""
    error = shot["error"] or ""
    return shot["status"] == "skipped" and (
        "which was moderated" in error or "which failed" in error or "which was skipped" in error
    )


def _unfinished(manifest: Path) -> list[tuple[str, str, str | None]]:
    """Shot-takes a rerun would take up (neither completed, moderated, stopped nor blocked)."""
    shots = json.loads(manifest.read_text("utf-8"))["shots"]
    return [
        (s["key"], s["status"], s["error"])
        for s in shots
        if s["status"] not in ("completed", "moderated") and not _stopped(s) and not _blocked(s)
    ]


def _request(body: dict[str, Any], sha_of: dict[str, str]) -> tuple[str, frozenset[str]]:
    """What decides a job's video: its prompt and the images of its frames."""
    frames = frozenset(sha_of[v] for k, v in body.items() if k.startswith("fileID"))
    return str(body.get("prompt")), frames


def _check(path: Path, sim: Simulator) -> None:
    out = path.parent / "out"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [e.message for e in VALIDATOR.iter_errors(manifest)] == []
    ledger = sim.ledger()
    assert len(manifest["shots"]) == 34
    # A shot-take whose create was lost twice and never found stops there (one blind resend at
    # most), saying what to check and counting what may have been spent; every other one ends
    # with a job of its own.
    stopped = [s for s in manifest["shots"] if _stopped(s)]
    # It counts what its lost creates may have cost (at least one of them; the resend's too
    # when that went out before the kill that ended its run).
    assert all(s["creditsUnsure"] >= s["creditsEstimated"] for s in stopped), stopped
    # A chained shot whose upstream ended without a video (moderated, or stopped) cannot
    # render: it says so, and no job was made for it.
    by_key = {s["key"]: s for s in manifest["shots"]}
    blocked = [s for s in manifest["shots"] if _blocked(s)]
    for s in blocked:
        up = by_key[f"s{int(s['id'][1:]) - 1:02d}#1"]
        assert up["status"] == "moderated" or _stopped(up) or _blocked(up), (s, up)
    shots = [s for s in manifest["shots"] if s not in stopped and s not in blocked]
    # s26 is moderated; or, killed twice while its create was in flight with its moderated job
    # removed before the rerun's lookup, it stops after two creates with no answer, as a run
    # that lost them would (`test_lookup.py::test_a_shot_killed_twice_while_its_create_…`).
    upstream = by_key[f"s{MODERATED_UPSTREAM}#1"]
    assert upstream["status"] == "moderated" or _stopped(upstream), (
        upstream["status"],
        upstream["error"],
    )
    assert f"s{MODERATED_UPSTREAM + 1}#1" in {s["key"] for s in blocked}
    assert _unfinished(out / "manifest.json") == []
    moderated = {j["videoId"] for j in ledger.get("jobs", []) if j.get("outcome") == "moderated"}
    creates = [c for c in ledger["creates"] if c["body"].get("prompt") != COLLEAGUE]
    sha_of = {u["fileID"]: u["sha256"] for u in ledger["uploads"]}
    # One job per shot-take, with the shot's own frames: the twins differ only in them.
    made = Counter(_request(c["body"], sha_of) for c in creates)
    owner = {c["videoId"]: _request(c["body"], sha_of) for c in creates}
    sha = {
        n: hashlib.sha256((path.parent / n).read_bytes()).hexdigest() for n in ("a.png", "b.png")
    }

    recorded = {s["id"]: s["frames"] for s in manifest["shots"]}

    def frames(shot_id: str) -> frozenset[str]:
        if shot_id.startswith("twin-"):
            return frozenset({sha["a.png" if shot_id == "twin-a" else "b.png"]})
        if int(shot_id[1:]) in CHAINED:  # its upstream's frame (`_check_chains` says which)
            return frozenset(f["sha256"] for f in recorded[shot_id])
        return frozenset({sha["a.png"]}) if int(shot_id[1:]) % 5 == 0 else frozenset()

    wanted = Counter((str(s["prompt"]), frames(s["id"])) for s in shots)
    assert Counter(owner[s["videoId"]] for s in shots) == wanted, "each shot has its own job"
    charged = {c["videoId"]: c["credits"] for c in creates}
    named = {s["videoId"] for s in shots}
    assert all(s["credits"] == charged[s["videoId"]] for s in shots)
    assert manifest["totals"]["creditsSpent"] == sum(charged[v] for v in named)
    # A job Reel paid for and does not name: only a lost create no lookup could find (moderated
    # and removed first), which the manifest counts as possibly charged.
    orphans = [c for c in creates if c["videoId"] not in named]
    stopped_requests = {(str(s["prompt"]), frames(s["id"])) for s in stopped}
    assert all(
        c["videoId"] in moderated or owner[c["videoId"]] in stopped_requests for c in orphans
    ), orphans
    assert sum(c["credits"] for c in orphans) <= manifest["totals"]["creditsUnsure"]
    assert sum(made.values()) - len(orphans) == len(shots)
    assert not {str(s["prompt"]) for s in blocked} & {r[0] for r in made}, "blocked, not sent"
    for s in shots:
        if s["status"] == "moderated":
            continue
        video = out / s["output"]["path"]
        assert hashlib.sha256(video.read_bytes()).hexdigest() == s["output"]["sha256"]
        with av.open(str(video)) as container:
            assert next(container.decode(video=0)).width == s["output"]["width"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            ".reel",
            "manifest.json",
            "report.html",
            "cut.mp4",
            "cut.otio",
            *(s["output"]["path"] for s in shots if s["output"]),
        ]
    ), "nothing half-written is left behind"
    # The colleague's 502/504-but-queued jobs live beside maxJobs (useapi does not track them).
    theirs = Counter(
        c["account"] for c in ledger["creates"] if c["queuedAnyway"] and c not in creates
    )
    for account, peak in ledger["peakJobs"].items():
        assert peak <= ledger["accounts"][account]["maxJobs"] + theirs[account], (account, peak)
    _check_chains(out, {s["key"]: s for s in shots})


def _check_chains(out: Path, shots: dict[str, Any]) -> None:
    """Each chained shot was sent the frame of its upstream's final video (never of a video
    made before a kill and replaced): the frame sha256 the manifest records is that frame's."""
    for i, moment in CHAINED.items():
        if f"s{i:02d}#1" not in shots:  # blocked: its upstream has no video
            continue
        up = shots[f"s{i - 1:02d}#1"]
        with av.open(str(out / up["output"]["path"])) as container:
            frames = [f.to_image() for f in container.decode(video=0)]
        at = {"first": 0, "last": len(frames) - 1}.get(moment)
        wanted = frames[at if at is not None else int(moment) * 8]  # 8 frames a second
        png = io.BytesIO()
        wanted.convert("RGB").save(png, format="PNG")
        (frame,) = shots[f"s{i:02d}#1"]["frames"]
        assert frame["sha256"] == hashlib.sha256(png.getvalue()).hexdigest(), i


@pytest.mark.parametrize("seed", _seeds())
def test_killed_runs_finish_with_one_job_and_one_output_per_shot_take(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    config = SimConfig(accounts=ACCOUNTS, speed=SPEED, faults=FAULTS, seed=seed)
    path = _pipeline(tmp_path)
    with running_simulator(config) as sim:
        # Phase kills first (the run is young then), then random moments, then to the end.
        phases: list[tuple[str, Callable[[], Trigger]]] = [
            ("an upload", lambda: _grows("uploads", sim)),
            ("a create", lambda: _grows("creates", sim)),
            ("a poll", lambda: _polls(sim)),
            ("a download", lambda: _grows("downloads", sim)),
            ("a manifest write", lambda: _rewritten(path.parent / "out" / "manifest.json")),
        ]
        missed = []
        for phase, kill_point in phases:
            if phase == "a poll":
                _flood(sim, "222")  # while the killed create's intent waits for the rerun's lookup
            trigger = kill_point()  # what the ledger holds before the run starts
            # A phase may come late in a run (a download after the lost create's wait).
            if not _kill_when(_reel(path, sim), sim, trigger, 60.0):
                missed.append(phase)
        kills = phase_kills = len(phases) - len(missed)
        for _ in range(KILLS):
            proc = _reel(path, sim)
            trigger = _after_requests(sim, rng.randint(*RANDOM_KILL_REQUESTS))
            kills += _kill_when(proc, sim, trigger, 20.0)
        started = time.monotonic()
        final_runs = _finish(path, sim)
        # Every phase kill lands (the run is young then). A random kill comes after a seeded
        # number of requests, which a late rerun with little left to do may never make.
        assert missed == [], "every phase kill lands"
        assert kills > phase_kills, "at least one random moment was hit"
        _check(path, sim)
        ledger = sim.ledger()
        print(
            f"chaos seed {seed}: {kills} kills, {len(ledger['creates'])} creates"
            f" ({sum(c['queuedAnyway'] for c in ledger['creates'])} queued anyway),"
            f" {len(ledger['requests'])} requests, {len(ledger['refusals'])} refusals,"
            f" {sum(d['truncated'] for d in ledger['downloads'])} truncated downloads,"
            f" {final_runs} final run(s) in {time.monotonic() - started:.1f} s"
        )


def _finish(path: Path, sim: Simulator) -> int:
    """Reruns to the end; how many it took. A hostile network may leave a lookup unanswered or
    a job unread past their limits: that shot-take ends its run unfinished (exit 1, "a rerun
    looks again"), and the next run takes it up."""
    for final_runs in range(1, FINAL_RUNS + 1):
        proc = _reel(path, sim, capture=True)
        try:
            _out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # say where it hung
            _out, err = proc.communicate(timeout=30)
            pytest.fail(f"the last run did not end in 120 s:\n{err[-3000:]}")
        # 1 when a video was moderated after rendering: that shot-take ends moderated.
        assert proc.returncode in (0, 1), err
        if not _unfinished(path.parent / "out" / "manifest.json"):
            return final_runs
    return FINAL_RUNS


def _flood(sim: Simulator, account: str) -> None:
    """A colleague's jobs on `account`, made between a kill and the rerun."""

    async def flood() -> None:
        async with UseApi(ClientConfig(sim.base_url, sim.token)) as client:
            for _ in range(FLOOD):
                body = {"account": account, "model": "T2V-01", "prompt": COLLEAGUE, "maxJobs": 3}
                while True:
                    try:
                        await client.create(body)
                        break
                    except ApiError:  # full, or a fault: the colleague tries again
                        await anyio.sleep(0.02)

    anyio.run(flood)


def _journalled(journal: Path) -> set[str]:
    """The job ids in the journal, read-only (never creating the file before Reel does)."""
    if not journal.exists():
        return set()
    uri = f"file:{journal}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "jobs" not in tables:  # Reel is creating it
            return set()
        rows = db.execute("SELECT video_id FROM jobs WHERE video_id IS NOT NULL").fetchall()
    return {r[0] for r in rows}


def test_a_kill_between_a_create_and_its_journal_entry_costs_no_second_job(
    tmp_path: Path,
) -> None:
    """The narrowest window: the API made the job, the journal does not know its id yet. Reel
    is killed as soon as the ledger shows a job the journal lacks; the rerun must find it."""
    config = SimConfig(accounts=ACCOUNTS, speed=SPEED, seed=0)
    path = _pipeline(tmp_path)
    journal = tmp_path / "out" / ".reel" / "journal.sqlite"

    def unjournalled(sim: Simulator) -> bool:
        return bool({c["videoId"] for c in sim.entries("creates")} - _journalled(journal))

    with running_simulator(config) as sim:
        landed = attempts = 0
        for attempts in range(1, ATTEMPTS + 1):  # noqa: B007 - printed below
            _kill_when(_reel(path, sim), sim, unjournalled, 20.0)
            landed += unjournalled(sim)
            if landed >= 2:
                break
        _finish(path, sim)  # exit 1: s26 is moderated after rendering, and s27 cannot render
        assert landed >= 1, "no kill landed between a create and its journal entry"
        _check(path, sim)
        print(f"kills between a create and its journal entry: {landed} in {attempts} runs")


def _chain_pipeline(folder: Path) -> Path:
    """Two chains of three shots and three independent shots on three accounts."""
    lines = ['accounts: {"111": {maxJobs: 2}, "222": {maxJobs: 3}, "333": {maxJobs: 2}}', "shots:"]
    for chain in ("a", "b"):
        lines.append(f"  - id: {chain}0\n    prompt: chain {chain} link 0")
        for n in (1, 2):
            lines.append(
                f"  - id: {chain}{n}\n    prompt: chain {chain} link {n}\n    model: I2V-01\n"
                f"    frames: {{first: {{shot: {chain}{n - 1}}}}}"
            )
    lines += [f"  - id: x{n}\n    prompt: alone {n}" for n in range(3)]
    return write_pipeline(folder, "\n".join(lines) + "\n")


def _created(prompt: str, sim: Simulator) -> Trigger:
    count = len(sim.entries("creates"))
    return lambda s: any(c["body"].get("prompt") == prompt for c in s.entries("creates", count))


def _downloaded(sim: Simulator) -> Trigger:
    """True once a video is downloaded: the moment its frame is extracted, for a chain."""
    return _grows("downloads", sim)


def test_kills_inside_chains_never_render_an_upstream_again_nor_pay_twice_downstream(
    tmp_path: Path,
) -> None:
    """SIGKILL while a frame is extracted (just after its video's download), while it is
    uploaded, and when a downstream shot is created; the reruns finish the chains with one job
    per shot and every downstream shot sent its upstream's final frame."""
    # No late moderation here: every link must render, so that each kill lands inside a chain.
    faults = dataclasses.replace(FAULTS, moderate_render=0.0)
    config = SimConfig(accounts=ACCOUNTS, speed=SPEED, faults=faults, seed=5)
    path = _chain_pipeline(tmp_path)
    out = path.parent / "out"
    with running_simulator(config) as sim:
        triggers = (
            lambda: _downloaded(sim),
            lambda: _grows("uploads", sim),
            lambda: _created("chain a link 1", sim),
            lambda: _downloaded(sim),
            lambda: _created("chain b link 2", sim),
        )
        # In this order, then again from the first, until three landed: a loaded machine may
        # let a run pass a kill point (a link already made) before its trigger is read.
        landed = []
        for kill_point in triggers * 2:
            trigger = kill_point()  # what the ledger holds before the run starts
            landed.append(_kill_when(_reel(path, sim), sim, trigger, 20.0))
            if sum(landed) >= 3:
                break
        _finish(path, sim)
        assert sum(landed) >= 3, landed
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        shots = {s["key"]: s for s in manifest["shots"]}
        assert all(s["status"] == "completed" for s in shots.values())
        ledger = sim.ledger()
        per_prompt = Counter(c["body"].get("prompt") for c in ledger["creates"])
        assert per_prompt == Counter(s["prompt"] for s in shots.values()), "one job per shot"
        for chain in ("a", "b"):
            for n in (1, 2):
                up = shots[f"{chain}{n - 1}#1"]
                with av.open(str(out / up["output"]["path"])) as container:
                    last = [f.to_image() for f in container.decode(video=0)][-1]
                png = io.BytesIO()
                last.convert("RGB").save(png, format="PNG")
                (frame,) = shots[f"{chain}{n}#1"]["frames"]
                assert frame["sha256"] == hashlib.sha256(png.getvalue()).hexdigest()
