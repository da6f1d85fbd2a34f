"""The lock beside the pipeline: a teammate's clone fetches the team's videos instead of paying.

Everything goes through `reel` as a user types it, against a simulator on 127.0.0.1 that plays
useapi.net (the token and base URL a user with a real account would set), inside real git
repositories: commits, clones and a three-way merge.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from runner.state.lockfile import LockEntry, dumps, read_lock
from tests.reliability.conftest import Outcome, assert_no_crash, invoke

STORYBOARD = """\
version: 1
name: spot
output: renders
accounts: {"222": {maxJobs: 3}}
shots:
  - id: opening
    model: T2V-2.3
    prompt: a slow dolly across a cafe counter

  - id: cup
    model: I2V-2.3-Fast
    frames: {first: images/cup.png}
    prompt: steam rises from the cup

  - id: gulls
    model: T2V-01
    takes: 2
    prompt: gulls over the harbour
"""
KEYS = ["cup#1", "gulls#1", "gulls#2", "opening#1"]
FAST = ("--poll-interval", "0.05", "--retry-wait", "0.05")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running_simulator(SimConfig(accounts=(SimAccount("222", "paid", 3),), speed=600)) as s:
        yield s


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def env_of(sim: Simulator) -> dict[str, str]:
    """What a user of this API sets: their token and the API's base URL."""
    return {"USEAPI_TOKEN": sim.token, "USEAPI_BASE_URL": sim.base_url}


def reel_run(
    sim: Simulator, pipeline: Path, *extra: str, env: dict[str, str] | None = None
) -> Outcome:
    out = invoke(
        "run", str(pipeline), "--yes", *FAST, *extra, env=env_of(sim) if env is None else env
    )
    assert_no_crash(out)
    return out


def plan(pipeline: Path, env: dict[str, str]) -> dict[str, Any]:
    out = invoke("plan", str(pipeline), "--json", env=env)
    assert out.code == 0, out.text
    document: dict[str, Any] = json.loads(out.stdout)
    return document


def actions(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {t["key"]: (t["action"], t["reason"]) for t in document["takes"]}


def project(repo: Path) -> Path:
    """A storyboard project under git: the pipeline, its image, a .gitignore for the videos."""
    (repo / "images").mkdir(parents=True)
    Image.new("RGB", (64, 36), (200, 120, 40)).save(repo / "images" / "cup.png")
    (repo / "storyboard.yaml").write_text(STORYBOARD, encoding="utf-8")
    (repo / ".gitignore").write_text("renders/\n", encoding="utf-8")
    git(repo, "init", "-q")
    return repo / "storyboard.yaml"


def rendered_and_cloned(sim: Simulator, tmp_path: Path) -> Path:
    """Alice renders the project and commits it with its lock; Bob clones it: his pipeline."""
    assert reel_run(sim, project(tmp_path / "alice")).code == 0
    git(tmp_path / "alice", "add", ".")
    git(tmp_path / "alice", "commit", "-qm", "rendered")
    git(tmp_path, "clone", "-q", "alice", "bob")
    return tmp_path / "bob" / "storyboard.yaml"


def videos(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.mp4"))}


def test_a_run_writes_a_lock_that_names_every_video_and_nothing_of_the_machine(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "repo")
    assert reel_run(sim, pipeline).code == 0
    lock_file = tmp_path / "repo" / "storyboard.lock"
    text = lock_file.read_text("utf-8")
    lock = read_lock(lock_file)
    assert lock is not None and list(lock.entries) == KEYS, "one entry per shot-take, sorted"
    manifest = json.loads((tmp_path / "repo" / "renders" / "manifest.json").read_text("utf-8"))
    for shot in manifest["shots"]:
        entry = lock.entries[shot["key"]]
        assert entry.fingerprint == shot["fingerprint"]
        assert entry.video_id == shot["videoId"] and entry.account == "222"
        assert entry.backend == sim.base_url
        assert (entry.output, entry.size, entry.sha256) == (
            shot["output"]["path"],
            shot["output"]["bytes"],
            shot["output"]["sha256"],
        )
        assert (entry.model, entry.options, entry.credits) == (
            shot["model"],
            shot["options"],
            shot["credits"],
        )
        assert entry.completed is not None and entry.completed.endswith("Z")
    assert json.loads(text)["lock"].startswith("storyboard.yaml's lock, written by `reel run`")
    assert sim.token not in text and "simulatortoken" not in text
    assert str(tmp_path) not in text, "no local path"
    # A rerun that changes nothing leaves the lock byte for byte as it was (nothing to commit).
    assert reel_run(sim, pipeline).code == 0
    assert lock_file.read_text("utf-8") == text


def test_a_fresh_clone_fetches_every_video_with_no_create_and_the_same_bytes(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "alice")
    assert reel_run(sim, pipeline).code == 0
    git(tmp_path / "alice", "add", ".")
    git(tmp_path / "alice", "commit", "-qm", "storyboard and its lock")
    assert "renders/" not in git(tmp_path / "alice", "ls-files"), "videos are not committed"
    git(tmp_path, "clone", "-q", "alice", "bob")
    bob = tmp_path / "bob"
    assert not (bob / "renders").exists()

    document = plan(bob / "storyboard.yaml", env_of(sim))
    assert set(actions(document).values()) == {("fetch", "already rendered, free")}
    assert document["rerun"]["credits"] == 0 and document["rerun"]["fetch"] == 4
    slash = {**env_of(sim), "USEAPI_BASE_URL": sim.base_url + "/"}  # the same API
    assert actions(plan(bob / "storyboard.yaml", slash)) == actions(document)
    table = invoke("plan", str(bob / "storyboard.yaml"), env=env_of(sim))
    assert "fetch" in table.stdout and "4 fetched (already rendered, free)" in table.stdout
    status = invoke("status", str(bob / "storyboard.yaml"), "--json", env=env_of(sim))
    assert status.code == 0, status.text
    assert json.loads(status.stdout)["counts"]["to fetch"] == 4
    assert json.loads(status.stdout)["toFinish"]["credits"] == 0
    assert not (bob / "renders").exists(), "plan and status write nothing"

    before = sim.ledger()
    out = reel_run(sim, bob / "storyboard.yaml")
    assert out.code == 0, out.text
    ledger = sim.ledger()
    assert len(ledger["creates"]) == len(before["creates"]), "no job was created again"
    assert len(ledger["uploads"]) == len(before["uploads"]), "no frame is uploaded again"
    fetched = {r["path"].rsplit("/", 1)[-1] for r in ledger["requests"][len(before["requests"]) :]}
    assert {c["videoId"] for c in ledger["creates"]} <= fetched, "each got GET /videos/{id}"
    assert videos(bob / "renders") == videos(tmp_path / "alice" / "renders")
    assert set(videos(bob / "renders")) == {
        "opening.mp4",
        "cup.mp4",
        "gulls-take1.mp4",
        "gulls-take2.mp4",
        "cut.mp4",  # the run's cut, made from the fetched videos
    }
    # The journal and the lock agree: Bob's run leaves the committed lock exactly as it was.
    assert git(bob, "status", "--porcelain") == ""
    manifest = json.loads((bob / "renders" / "manifest.json").read_text("utf-8"))
    assert {s["status"] for s in manifest["shots"]} == {"completed"}
    assert manifest["totals"]["creditsSpent"] == sum(s["credits"] for s in manifest["shots"])
    # And a rerun in Bob's clone now reuses them, without a single request.
    requests = len(sim.ledger()["requests"])
    assert reel_run(sim, bob / "storyboard.yaml").code == 0
    assert len(sim.ledger()["requests"]) == requests


def test_a_stale_lock_entry_is_rendered_not_fetched(sim: Simulator, tmp_path: Path) -> None:
    pipeline = project(tmp_path / "alice")
    assert reel_run(sim, pipeline).code == 0
    old = read_lock(tmp_path / "alice" / "storyboard.lock")
    assert old is not None
    git(tmp_path / "alice", "add", ".")
    git(tmp_path / "alice", "commit", "-qm", "rendered")
    git(tmp_path, "clone", "-q", "alice", "bob")
    bob = tmp_path / "bob" / "storyboard.yaml"
    bob.write_text(STORYBOARD.replace("gulls over the harbour", "gulls at dusk"), encoding="utf-8")

    document = plan(bob, env_of(sim))
    assert (
        actions(document)["gulls#1"][0] == "render" and actions(document)["gulls#2"][0] == "render"
    )
    assert actions(document)["opening#1"][0] == actions(document)["cup#1"][0] == "fetch"
    assert document["rerun"]["credits"] == 50

    creates = len(sim.ledger()["creates"])
    assert reel_run(sim, bob).code == 0
    made = sim.ledger()["creates"][creates:]
    assert sorted(c["body"]["prompt"] for c in made) == ["gulls at dusk"] * 2
    new = read_lock(tmp_path / "bob" / "storyboard.lock")
    assert new is not None
    assert new.entries["gulls#1"].video_id not in {e.video_id for e in old.entries.values()}
    assert new.entries["cup#1"] == old.entries["cup#1"]


def test_two_teammates_locks_merge_without_conflict_and_the_merge_fetches_both(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "origin")
    assert reel_run(sim, pipeline).code == 0
    git(tmp_path / "origin", "add", ".")
    git(tmp_path / "origin", "commit", "-qm", "first cut")
    git(tmp_path, "clone", "-q", "origin", "alice")
    git(tmp_path, "clone", "-q", "origin", "bob")
    # Alice rewords `cup`, Bob rewords `gulls`: neighbours in the lock, each rendered by one.
    for who, old, new in (
        ("alice", "steam rises from the cup", "steam curls from the cup"),
        ("bob", "gulls over the harbour", "gulls over the pier"),
    ):
        path = tmp_path / who / "storyboard.yaml"
        path.write_text(path.read_text("utf-8").replace(old, new), encoding="utf-8")
        assert reel_run(sim, path).code == 0
        git(tmp_path / who, "commit", "-qam", f"{who} rewords a shot")
    creates = len(sim.ledger()["creates"])

    git(tmp_path / "alice", "pull", "-q", "--no-rebase", "--no-edit", str(tmp_path / "bob"), "main")
    merged = (tmp_path / "alice" / "storyboard.lock").read_text("utf-8")
    assert "<<<<<<<" not in merged
    alice = tmp_path / "alice" / "storyboard.yaml"
    assert "steam curls" in alice.read_text("utf-8") and "over the pier" in alice.read_text("utf-8")
    document = plan(alice, env_of(sim))
    assert actions(document)["gulls#1"][0] == actions(document)["gulls#2"][0] == "fetch"
    assert actions(document)["cup#1"][0] == "reuse"
    assert reel_run(sim, alice).code == 0
    assert len(sim.ledger()["creates"]) == creates, "the merged lock is all rendered already"
    assert (
        videos(tmp_path / "alice" / "renders")["gulls-take1.mp4"]
        == videos(tmp_path / "bob" / "renders")["gulls-take1.mp4"]
    )
    assert git(tmp_path / "alice", "status", "--porcelain") == ""


def test_a_shot_changed_but_not_rendered_keeps_no_video_in_the_lock(
    sim: Simulator, tmp_path: Path
) -> None:
    """`--only` another shot: the changed shot's old video is not its video any more, so a
    clone must render it, not fetch the old one."""
    pipeline = project(tmp_path / "repo")
    assert reel_run(sim, pipeline).code == 0
    pipeline.write_text(STORYBOARD.replace("a slow dolly", "a fast dolly"), "utf-8")
    assert reel_run(sim, pipeline, "--only", "cup").code == 0
    lock = read_lock(tmp_path / "repo" / "storyboard.lock")
    assert lock is not None
    opening = lock.entries["opening#1"]
    assert (opening.video_id, opening.output, opening.sha256) == (None, None, None)
    assert actions(plan(pipeline, env_of(sim)))["opening#1"] == ("render", "changed")


def test_a_video_of_another_useapi_user_is_rendered_and_the_run_says_why(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "repo")
    assert reel_run(sim, pipeline).code == 0
    lock_file = tmp_path / "repo" / "storyboard.lock"
    # The lock of a teammate whose useapi user is 9999: their videoIds name their user.
    lock_file.write_text(lock_file.read_text("utf-8").replace("user:1234-", "user:9999-"), "utf-8")
    for mp4 in (tmp_path / "repo" / "renders").glob("*.mp4"):
        mp4.unlink()
    (tmp_path / "repo" / "renders" / ".reel" / "journal.sqlite").unlink()

    why = "belongs to useapi user 9999, and USEAPI_TOKEN is user 1234's"
    assert all(a == "render" and why in r for a, r in actions(plan(pipeline, env_of(sim))).values())
    creates = len(sim.ledger()["creates"])
    gets = _video_gets(sim)
    out = reel_run(sim, pipeline)
    assert out.code == 0, out.text
    assert why in out.stderr
    assert len(sim.ledger()["creates"]) == creates + 4
    assert not [p for p in _video_gets(sim)[len(gets) :] if "user:9999-" in p], "never tried"


def _video_gets(sim: Simulator) -> list[str]:
    return [r["path"] for r in sim.ledger()["requests"] if "/videos/user:" in r["path"]]


def test_without_a_token_the_embedded_simulator_says_it_cannot_fetch(
    sim: Simulator, tmp_path: Path
) -> None:
    bob = rendered_and_cloned(sim, tmp_path)
    said = "no USEAPI_TOKEN: the embedded simulator cannot fetch videos rendered elsewhere"
    reasons = actions(plan(bob, {})).values()
    assert all(
        a == "render" and r.startswith(f"in storyboard.lock, but {said} (") for a, r in reasons
    )
    status = invoke("status", str(bob), env={})
    assert said in status.stdout
    requests = len(sim.ledger()["requests"])
    out = reel_run(sim, bob, env={})
    assert out.code == 0, out.text
    assert said in out.stderr
    assert len(sim.ledger()["requests"]) == requests, "the teammate's API was never asked"
    # The lock now names the placeholders, which the next clone renders rather than fetches.
    lock = read_lock(tmp_path / "bob" / "storyboard.lock")
    assert lock is not None and {e.backend for e in lock.entries.values()} == {"embedded-simulator"}
    again = actions(plan(bob, env_of(sim)))
    (tmp_path / "bob" / "renders" / ".reel" / "journal.sqlite").unlink()
    again = actions(plan(bob, env_of(sim)))
    assert all(a == "render" and "embedded simulator" in r for a, r in again.values())


def test_one_video_the_run_cannot_fetch_leaves_the_others_fetched(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "repo")
    assert reel_run(sim, pipeline).code == 0
    lock_file = tmp_path / "repo" / "storyboard.lock"
    lock = read_lock(lock_file)
    assert lock is not None
    # The first shot-take of the plan is another useapi user's; the other three are fetchable.
    first = lock.entries["opening#1"].video_id
    assert first is not None and first.startswith("user:1234-")
    other = first.replace("user:1234-", "user:9999-")
    lock_file.write_text(lock_file.read_text("utf-8").replace(first, other), "utf-8")
    for mp4 in (tmp_path / "repo" / "renders").glob("*.mp4"):
        mp4.unlink()
    (tmp_path / "repo" / "renders" / ".reel" / "journal.sqlite").unlink()

    creates = len(sim.ledger()["creates"])
    out = reel_run(sim, pipeline)
    assert out.code == 0, out.text
    made = sim.ledger()["creates"][creates:]
    assert [c["body"]["prompt"] for c in made] == ["a slow dolly across a cafe counter"]
    assert {"cup.mp4", "gulls-take1.mp4", "gulls-take2.mp4"} <= set(
        videos(tmp_path / "repo" / "renders")
    )


def test_a_teammates_lock_never_replaces_videos_this_folder_rendered_itself(
    sim: Simulator, tmp_path: Path
) -> None:
    bob = rendered_and_cloned(sim, tmp_path)
    alices = (tmp_path / "bob" / "storyboard.lock").read_text("utf-8")
    (tmp_path / "bob" / "storyboard.lock").unlink()
    assert reel_run(sim, bob).code == 0  # Bob renders the same shots himself
    mine = videos(tmp_path / "bob" / "renders")
    # Bob takes Alice's lock (say, from a merge): his own videos stay, nothing is fetched.
    (tmp_path / "bob" / "storyboard.lock").write_text(alices, "utf-8")
    requests = len(sim.ledger()["requests"])
    assert set(actions(plan(bob, env_of(sim))).values()) == {("reuse", "completed, unchanged")}
    assert reel_run(sim, bob).code == 0
    assert len(sim.ledger()["requests"]) == requests
    assert videos(tmp_path / "bob" / "renders") == mine


def test_a_locked_video_the_api_no_longer_has_is_rendered(sim: Simulator, tmp_path: Path) -> None:
    pipeline = project(tmp_path / "repo")
    assert reel_run(sim, pipeline).code == 0
    lock_file = tmp_path / "repo" / "storyboard.lock"
    lock = read_lock(lock_file)
    assert lock is not None
    gone = lock.entries["opening#1"].video_id
    assert gone is not None
    lock_file.write_text(lock_file.read_text("utf-8").replace(gone, gone + "404"), "utf-8")
    (tmp_path / "repo" / "renders" / "opening.mp4").unlink()
    (tmp_path / "repo" / "renders" / ".reel" / "journal.sqlite").unlink()

    assert actions(plan(pipeline, env_of(sim)))["opening#1"][0] == "fetch"
    creates = len(sim.ledger()["creates"])
    out = reel_run(sim, pipeline)
    assert out.code == 0, out.text
    assert f"the API no longer has {gone}404; rendering it" in out.stdout + out.stderr
    made = sim.ledger()["creates"][creates:]
    assert [c["body"]["prompt"] for c in made] == ["a slow dolly across a cafe counter"]
    assert (tmp_path / "repo" / "renders" / "opening.mp4").is_file()


def test_a_lock_left_with_merge_markers_stops_before_anything_is_sent(
    sim: Simulator, tmp_path: Path
) -> None:
    pipeline = project(tmp_path / "repo")
    (tmp_path / "repo" / "storyboard.lock").write_text(
        "version: 1\ntakes:\n<<<<<<< HEAD\n  a#1:\n=======\n  b#1:\n>>>>>>> other\n", "utf-8"
    )
    for args in (("plan", str(pipeline)), ("status", str(pipeline))):
        out = invoke(*args, env=env_of(sim))
        assert out.code == 2 and "unresolved git merge markers" in out.stderr, out.text
    out = reel_run(sim, pipeline)
    assert out.code == 2 and "unresolved git merge markers" in out.stderr, out.text
    assert sim.ledger()["requests"] == []
    assert not (tmp_path / "repo" / "renders").exists()


def test_a_hand_edited_lock_is_refused_with_what_to_do(sim: Simulator, tmp_path: Path) -> None:
    pipeline = project(tmp_path / "repo")
    lock_file = tmp_path / "repo" / "storyboard.lock"
    for text, said in (
        ("{not json", "not a lock file of reel"),
        ('{"version": 1, "takes": {"cup#1": {"fingerprint": "f", "colour": "red"}}}', "colour"),
        ('{"version": 1, "takes": {"cup#1": {"videoId": "v"}}}', "needs a fingerprint"),
        ('{"version": 2, "takes": {}}', '"version": 1'),
        ('{"version": 1, "takes": ["cup#1"]}', "(`takes` must be a mapping of shot-take keys);"),
        (
            '{"version": 1, "takes": {"cup#1": {"fingerprint": "f", "credits": "ten"}}}',
            "(entry 'cup#1': credits must be a whole number);",
        ),
        (
            '{"version": 1, "takes": {"cup#1": {"fingerprint": "f", "bytes": 1.5}}}',
            "(entry 'cup#1': size must be a whole number);",
        ),
    ):
        lock_file.write_text(text, "utf-8")
        out = invoke("plan", str(pipeline), env=env_of(sim))
        assert_no_crash(out)
        assert out.code == 2 and said in out.stderr and "restore it from git" in out.stderr
    assert sim.ledger()["requests"] == []


def test_the_lock_reads_back_as_written(tmp_path: Path) -> None:
    entries = [
        LockEntry("a#1", "f" * 64),
        LockEntry(
            "b.2_x-y#3",
            "e" * 64,
            "user:1-minimax:2-video:3",
            "https://h/v1",
            "2",
            "02",
            "768p-6sec",
            25,
            "b.2_x-y-take3.mp4",
            10,
            "d" * 64,
            "2026-01-01T00:00:00Z",
        ),
    ]
    text = dumps(entries, "café.yaml")
    path = tmp_path / "café.lock"
    path.write_text(text, "utf-8")
    lock = read_lock(path)
    assert lock is not None and list(lock.entries.values()) == entries
    assert dumps(list(lock.entries.values()), "café.yaml") == text
    assert json.loads(text) == yaml.safe_load(text), "JSON, and so YAML too"
    empty = tmp_path / "empty.lock"
    empty.write_text(dumps([], "empty.yaml"), "utf-8")
    assert json.loads(empty.read_text("utf-8"))["takes"] == {}
