"""Reruns of one pipeline: each row of what a rerun does, proved by the simulator's ledger."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from runner.api.useapi import ClientConfig, UseApi
from runner.commands.run import RunOptions, render
from runner.run.backend import Backend
from runner.run.events import ListSink
from runner.sim import Simulator, running_simulator
from runner.spec.validate import load_pipeline
from runner.state.journal import Journal
from runner.state.plan import make_plan, sha256_file
from tests.run.conftest import VALIDATOR, run_pipeline, sim_config, write_pipeline

TWO = """accounts: {"111": {maxJobs: 2}}
shots:
  - id: a
    prompt: the first shot
  - id: b
    prompt: the second shot
"""


def _paths(ledger: dict[str, object], since: int) -> list[str]:
    requests = ledger["requests"]
    assert isinstance(requests, list)
    return [r["path"] for r in requests[since:]]


def test_a_rerun_with_nothing_to_render_sends_no_request_at_all(tmp_path: Path) -> None:
    body = "shots:\n  - id: a\n    prompt: one\n  - id: b\n    prompt: two\n"  # no accounts:
    with running_simulator(sim_config()) as sim:
        first = run_pipeline(sim, write_pipeline(tmp_path, body))
        assert "/v1/minimax/accounts" in _paths(first.ledger, 0)
        before = len(first.ledger["requests"])
        second = run_pipeline(sim, write_pipeline(tmp_path, body))
    assert second.result.outcome == "completed"
    assert _paths(second.ledger, before) == [], "no GET /accounts, no /scheduler, nothing"
    assert second.result.requests == 0
    assert all(s["reused"] for s in second.manifest["shots"])


def test_failed_shots_are_kept_without_a_request_and_sent_again_with_retry_failed(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, TWO.replace("the first shot", "sim:fail the first shot"))
    first = run_pipeline(sim, path)
    assert first.status("a#1") == "failed"
    before = len(first.ledger["requests"])
    kept = run_pipeline(sim, path)
    assert kept.status("a#1") == "failed" and "--retry-failed" in kept.shot("a#1")["error"]
    assert _paths(kept.ledger, before) == []
    retried = run_pipeline(sim, path, RunOptions(retry_failed=True))
    assert len(retried.ledger["creates"]) == 3, "a second job for the failed shot only"


def _create_job(sim: Simulator, prompt: str, account: str = "111") -> str:
    async def create() -> str:
        async with UseApi(ClientConfig(sim.base_url, sim.token)) as client:
            body = {"account": account, "model": "T2V-01", "prompt": prompt, "maxJobs": 3}
            return (await client.create(body)).video_id

    return anyio.run(create)


def _journal_job(path: Path, backend: str, index: int, video_id: str | None) -> None:
    """Record, as a killed run would have, a create intent (and its video id when given)."""
    pipe, _ = load_pipeline(path)
    assert pipe is not None
    take = make_plan(pipe).takes[index]
    journal = Journal(pipe.output / ".reel", backend)

    async def write() -> None:
        job = await journal.intend(
            key=take.key,
            fingerprint=take.fingerprint,
            run_id="killed",
            account="111",
            prompt=take.shot.prompt,
            model=take.shot.model,
        )
        if video_id is not None:
            await journal.set_video_id(job, video_id, take.credits)

    anyio.run(write)
    journal.close()


def test_known_job_ids_are_polled_and_hold_their_slots_before_fresh_work(
    sim: Simulator, tmp_path: Path
) -> None:
    shots = "".join(f"  - id: s{i}\n    prompt: shot {i}\n" for i in range(5))
    path = write_pipeline(tmp_path, 'accounts: {"111": {maxJobs: 2}}\nshots:\n' + shots)
    made = [_create_job(sim, "shot 3"), _create_job(sim, "shot 4")]
    _journal_job(path, sim.base_url, 3, made[0])
    _journal_job(path, sim.base_url, 4, made[1])
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    assert [run.shot(f"s{i}#1")["videoId"] for i in (3, 4)] == made
    assert len(run.ledger["creates"]) == 5, "s3 and s4 were never created again"
    # The two resumed jobs filled account 111 first: fresh shots waited instead of meeting 429.
    assert [r for r in run.ledger["refusals"] if r["status"] == 429] == []


def test_a_changed_shot_renders_again_and_its_old_output_is_superseded(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    old = first.shot("a#1")["output"]["sha256"]
    write_pipeline(tmp_path, TWO.replace("the first shot", "the first shot, at night"))
    second = run_pipeline(sim, path)
    assert len(second.ledger["creates"]) == 3
    assert second.shot("b#1")["reused"] and not second.shot("a#1")["reused"]
    [moved] = second.manifest["superseded"]
    assert moved["key"] == "a#1" and moved["sha256"] == old and moved["reason"] == "changed"
    assert moved["path"].startswith(".reel/superseded/a.") and moved["path"].endswith(".mp4")
    assert sha256_file(second.output / moved["path"]) == old
    assert sha256_file(second.output / "a.mp4") == second.shot("a#1")["output"]["sha256"] != old

    write_pipeline(tmp_path, TWO)  # back to the first prompt: its job is known, no new one
    third = run_pipeline(sim, path)
    assert len(third.ledger["creates"]) == 3
    assert third.shot("a#1")["output"]["sha256"] == old == sha256_file(third.output / "a.mp4")
    assert [m["reason"] for m in third.manifest["superseded"]] == ["changed", "changed"]
    assert len({m["path"] for m in third.manifest["superseded"]}) == 2


def test_force_twice_keeps_every_version_under_its_own_name(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    run_pipeline(sim, path, RunOptions(force=("a",)))
    again = run_pipeline(sim, path, RunOptions(force=("a",)))
    assert len(again.ledger["creates"]) == 4
    assert again.shot("b#1")["reused"]
    moved = again.manifest["superseded"]
    assert [m["reason"] for m in moved] == ["forced (--force)"] * 2
    names = [Path(m["path"]).name for m in moved]
    short = first.shot("a#1")["fingerprint"][:8]
    assert names == [f"a.{short}.mp4", f"a.{short}-2.mp4"]
    assert moved[0]["sha256"] == first.shot("a#1")["output"]["sha256"]
    hashes = {m["sha256"] for m in moved} | {again.shot("a#1")["output"]["sha256"]}
    assert len(hashes) == 3, "three videos, none lost"


def _made(journal: Journal, key: str, fingerprint: str, output: Path) -> None:
    async def write() -> None:
        job = await journal.intend(
            key=key, fingerprint=fingerprint, run_id="r", account="1", prompt="p", model="m"
        )
        await journal.set_video_id(job, f"video-{output.read_bytes()!r}", 1)
        await journal.set_output(
            job,
            path=str(output),
            size=output.stat().st_size,
            sha256=sha256_file(output),
            width=None,
            height=None,
        )

    anyio.run(write)


def test_versions_set_aside_never_collide(tmp_path: Path) -> None:
    from runner.state.supersede import History

    path = write_pipeline(tmp_path, TWO)
    pipe, _ = load_pipeline(path)
    assert pipe is not None
    take = make_plan(pipe).takes[0]
    out = tmp_path / "out"
    out.mkdir()
    journal = Journal(out / ".reel", "api")
    history = History(out)
    target = out / "a.mp4"
    moved = []
    for content in (b"version one", b"version two", b"version three"):
        target.write_bytes(content)
        _made(journal, take.key, take.fingerprint, target)
        entry = history.set_aside(take, target, "f" * 64, journal, forced=True)
        assert entry is not None and not target.exists()
        moved.append(entry)
    target.write_bytes(b"edited by hand")
    moved.append(history.set_aside(take, target, "f" * 64, journal, forced=False))
    journal.close()
    short = take.fingerprint[:8]
    names = [Path(m["path"]).name for m in moved if m is not None]
    assert names[:3] == [f"a.{short}.mp4", f"a.{short}-2.mp4", f"a.{short}-3.mp4"]
    assert [m["reason"] for m in moved if m is not None] == [
        "forced (--force)",
        "forced (--force)",
        "forced (--force)",
        "damaged or edited",
    ]
    assert [e["path"] for e in history.superseded()] == [m["path"] for m in moved if m]
    assert (out / moved[1]["path"]).read_bytes() == b"version two"  # type: ignore[index]


def test_a_removed_shot_keeps_its_output_and_is_listed_as_orphaned(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    write_pipeline(tmp_path, TWO.split("  - id: b", maxsplit=1)[0])
    second = run_pipeline(sim, path)
    assert len(second.ledger["creates"]) == 2
    assert [s["key"] for s in second.manifest["shots"]] == ["a#1"]
    [orphan] = second.manifest["orphaned"]
    assert orphan["key"] == "b#1" and orphan["path"] == "b.mp4"
    assert orphan["sha256"] == first.shot("b#1")["output"]["sha256"]
    assert (second.output / "b.mp4").exists()
    noted = json.loads((second.output / ".reel" / "orphaned.json").read_text("utf-8"))
    assert noted == {"b#1": orphan["orphanedAt"]}
    third = run_pipeline(sim, path)
    assert third.manifest["orphaned"][0]["orphanedAt"] == orphan["orphanedAt"]


def test_a_deleted_output_is_downloaded_again_without_a_new_job(
    sim: Simulator, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    (first.output / "a.mp4").unlink()
    second = run_pipeline(sim, path)
    assert len(second.ledger["creates"]) == 2
    assert second.shot("a#1")["output"]["sha256"] == first.shot("a#1")["output"]["sha256"]
    assert second.manifest["superseded"] == []


def test_a_damaged_output_is_set_aside_not_overwritten(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    (first.output / "a.mp4").write_bytes(b"my own edit")
    second = run_pipeline(sim, path)
    assert len(second.ledger["creates"]) == 2
    [moved] = second.manifest["superseded"]
    assert moved["reason"] == "damaged or edited"
    assert (second.output / moved["path"]).read_bytes() == b"my own edit"


def _run_as(sim: Simulator, path: Path, identity: str) -> dict[str, object]:
    """A run whose journal files jobs under `identity` (as if the backend were the same)."""
    pipe, _ = load_pipeline(path)
    assert pipe is not None
    backend = Backend("simulator", sim.base_url, sim.token, 1 / 600, identity=identity)
    takes = list(make_plan(pipe).takes)
    anyio.run(lambda: render(pipe, takes, RunOptions(), backend, ListSink(), handle_sigint=False))
    manifest: dict[str, object] = json.loads((pipe.output / "manifest.json").read_text("utf-8"))
    assert [e.message for e in VALIDATOR.iter_errors(manifest)] == []
    return manifest


def test_a_lost_output_whose_video_expired_on_the_api_renders_again(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    with running_simulator(sim_config()) as sim:
        _run_as(sim, path, "the-api")
    (tmp_path / "out" / "a.mp4").unlink()
    with running_simulator(sim_config()) as later:  # the same API, a week on: job a is gone
        for _ in range(3):  # a real API never hands out a video id twice
            _create_job(later, "someone else's", "222")
        manifest = _run_as(later, path, "the-api")
        ledger = later.ledger()
    prompts = [c["body"]["prompt"] for c in ledger["creates"]]
    assert prompts == ["someone else's"] * 3 + ["the first shot"]
    shots = manifest["shots"]
    assert isinstance(shots, list)
    assert [s["status"] for s in shots] == ["completed", "completed"]
    assert (tmp_path / "out" / "a.mp4").exists()


def test_what_a_killed_run_left_half_written_is_removed(sim: Simulator, tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, TWO)
    first = run_pipeline(sim, path)
    (first.output / ".manifest.json.999999.tmp").write_text('{"half": ')
    (first.output / ".a.mp4.part").write_bytes(b"half a video")
    second = run_pipeline(sim, path)
    assert sorted(p.name for p in second.output.iterdir()) == [
        ".reel",
        "a.mp4",
        "b.mp4",
        "manifest.json",
    ]


def test_changing_takes_keeps_every_output_under_the_name_the_takes_give_it(
    sim: Simulator, tmp_path: Path
) -> None:
    three = "shots:\n  - {id: x, prompt: takes change, takes: 3}\n"
    path = write_pipeline(tmp_path, three)
    first = run_pipeline(sim, path)
    take1 = first.shot("x#1")["output"]["sha256"]
    write_pipeline(tmp_path, three.replace("takes: 3", "takes: 1"))
    second = run_pipeline(sim, path)
    assert second.shot("x#1")["reused"] and second.shot("x#1")["output"]["path"] == "x.mp4"
    assert sha256_file(second.output / "x.mp4") == take1
    write_pipeline(tmp_path, three)
    third = run_pipeline(sim, path)
    assert len(third.ledger["creates"]) == 3, "every take reused, none rendered again"
    for n in (1, 2, 3):
        shot = third.shot(f"x#{n}")
        assert shot["output"]["path"] == f"x-take{n}.mp4"
        assert sha256_file(third.output / f"x-take{n}.mp4") == shot["output"]["sha256"]
    assert sha256_file(third.output / "x-take1.mp4") == take1
    assert not (third.output / "x.mp4").exists()
