"""Continuity in real runs on the simulator: a shot starts on a frame of another shot's video.

What the user sees is checked: the frame each downstream shot was sent (uploaded content, the
manifest's frames), the order of jobs, the cascade a change upstream causes, and the reason a
shot is skipped when its upstream did not render.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import av
from PIL import Image

from runner.commands.run import RunOptions
from runner.report.write import write_report
from runner.sim import Simulator
from runner.spec.validate import load_pipeline
from runner.state.frames import plan_with_frames
from runner.state.rerun import decide_all
from tests.reliability.conftest import invoke
from tests.run.conftest import creates_per_key, run_pipeline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(folder: Path) -> Path:
    shutil.copytree(EXAMPLES / "images", folder / "images", dirs_exist_ok=True)
    target = folder / "continuity.yaml"
    text = (EXAMPLES / "continuity.yaml").read_text("utf-8")
    target.write_text(text.replace("version: 1\n", "version: 1\noutput: out\n"), "utf-8")
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _frames_of(video: Path) -> list[Image.Image]:
    with av.open(str(video)) as container:
        return [f.to_image().convert("RGB") for f in container.decode(video=0)]


def _png_sha(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return hashlib.sha256(out.getvalue()).hexdigest()


def _why(
    path: Path, *, retry_failed: bool = False, force: tuple[str, ...] = ()
) -> dict[str, tuple[str, str]]:
    """What `reel plan` says the next run does with each shot-take, and why."""
    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    plan = plan_with_frames(pipeline, force=force)
    decisions = decide_all(
        pipeline.output, plan.takes, backend=None, retry_failed=retry_failed, force=force
    )
    return {d.take.key: (d.action, d.reason) for d in decisions}


def test_a_chain_renders_in_order_on_the_frames_it_continues_from(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    assert _why(path)["hall#1"] == ("render", "waits for door")
    run = run_pipeline(sim, path)
    assert run.result.outcome == "completed"
    out = run.output
    door = _frames_of(out / "door.mp4")
    hall = _frames_of(out / "hall.mp4")
    # hall was sent door's last frame, at the video's full size, as its first frame.
    frame = run.shot("hall#1")["frames"][0]
    assert frame["role"] == "first"
    assert Path(frame["path"]).parent == out / ".reel" / "frames"
    assert frame["sha256"] == _png_sha(door[-1])
    with Image.open(frame["path"]) as sent:
        assert sent.size == door[-1].size
    # stairs: the frame showing at 4.5 s of hall (8 frames a second: frame 36).
    stairs = run.shot("stairs#1")["frames"]
    assert stairs[0]["sha256"] == _png_sha(hall[36])
    assert stairs[1]["path"].endswith("landing.png")
    # window (Sora-2) needs exactly 1280x720: door's first frame, fitted to it.
    with Image.open(run.shot("window#1")["frames"][0]["path"]) as window:
        assert window.size == (1280, 720)
        assert window.resize(door[0].size).getpixel((40, 90)) == door[0].getpixel((40, 90))
    # Each downstream job was created after its upstream finished; lamp ran meanwhile.
    sent_at = {st.key: st.submitted or 0.0 for st in run.result.states}
    done = {st.key: st.completed or 0.0 for st in run.result.states}
    for down, up in (("hall#1", "door#1"), ("stairs#1", "hall#1"), ("window#1", "door#1")):
        assert done[up] > 0 and sent_at[down] > done[up]
    assert 0 < sent_at["lamp#1"] < done["door#1"]
    # The review page: "continues from door", linked to door's card, door's frame as thumbnail.
    page = write_report(out).read_text("utf-8")
    cards = {c.split("<h2>", 1)[1].split("<", 1)[0]: c for c in page.split("<article")[1:]}
    hall_card = cards["hall"]
    door_anchor = cards["door"].split('id="', 1)[1].split('"', 1)[0]
    assert f'continues from <a href="#{door_anchor}">door</a>' in hall_card
    thumb = hall_card.split('<ul class="frames">', 1)[1]
    assert 'alt="first frame"' in thumb and "door, last" in thumb
    src = thumb.split('src="', 1)[1].split('"', 1)[0]
    assert (out / src).is_file()
    # A rerun reuses everything: the frames give the same fingerprints.
    assert set(_why(path).values()) == {("reuse", "completed, unchanged")}
    again = run_pipeline(sim, path)
    assert again.result.requests == 0


def test_a_change_upstream_renders_the_chain_and_nothing_else(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    first = run_pipeline(sim, path)
    _edit(path, "onto a dim hall", "onto a bright hall")
    why = _why(path)
    assert why["door#1"] == ("render", "changed")
    assert why["hall#1"] == ("render", "door changed upstream")
    assert why["stairs#1"] == ("render", "hall changed upstream")
    assert why["window#1"] == ("render", "door changed upstream")
    assert why["lamp#1"] == ("reuse", "completed, unchanged")
    second = run_pipeline(sim, path)
    assert second.result.outcome == "completed"
    owner = {st.video_id: st.key for st in second.result.states}
    new = second.ledger["creates"][len(first.ledger["creates"]) :]
    # window starts on door's first frame, which is door's own first image, unchanged: the
    # plan priced it as waiting, and the run, seeing the same frame, reuses it.
    assert sorted(owner[c["videoId"]] for c in new) == ["door#1", "hall#1", "stairs#1"]
    assert second.shot("window#1")["reused"] is True
    assert (
        second.shot("hall#1")["frames"][0]["sha256"] != first.shot("hall#1")["frames"][0]["sha256"]
    )


def test_an_upstream_that_does_not_render_skips_its_dependants_with_the_reason(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    _edit(path, "onto a dim hall.", "onto a dim hall. sim:moderate")
    run = run_pipeline(sim, path)
    assert run.result.outcome == "incomplete"
    assert run.status("door#1") == "moderated"
    assert run.shot("hall#1")["status"] == "skipped"
    assert run.shot("hall#1")["error"] == "waits for door, which was moderated"
    assert run.shot("window#1")["error"] == "waits for door, which was moderated"
    assert run.shot("stairs#1")["error"] == "waits for hall, which was skipped"
    assert run.status("lamp#1") == "completed"
    assert set(creates_per_key(run.ledger, run.result)) == {"lamp#1"}
    why = _why(path)
    assert why["hall#1"] == ("keep", "waits for door, which was moderated")
    # --retry-failed retries the chain: door renders again, and the rest waits for it.
    retry = _why(path, retry_failed=True)
    assert retry["door#1"][0] == "render"
    assert retry["hall#1"] == ("render", "waits for door")
    assert retry["stairs#1"] == ("render", "waits for hall")
    _edit(path, "onto a dim hall. sim:moderate", "onto a dim hall.")
    fixed = run_pipeline(sim, path, RunOptions(retry_failed=True))
    assert fixed.result.outcome == "completed"


def test_the_plan_says_why_a_chain_below_a_failed_upstream_waits(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    _edit(path, "onto a dim hall.", "onto a dim hall. sim:fail")
    run = run_pipeline(sim, path)
    assert run.status("door#1") == "failed"
    why = _why(path)
    assert why["hall#1"] == (
        "keep",
        "waits for door, which failed (--retry-failed renders the chain)",
    )
    assert why["stairs#1"] == ("keep", "waits for hall, which will not render")
    assert why["lamp#1"] == ("reuse", "completed, unchanged")


def test_rendering_an_upstream_again_renders_what_continues_from_it(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    first = run_pipeline(sim, path)
    old_last = _png_sha(_frames_of(first.output / "door.mp4")[-1])
    why = _why(path, force=("door",))
    assert why["door#1"] == ("render", "forced (--force)")
    assert why["hall#1"] == ("render", "door changed upstream")
    assert why["lamp#1"] == ("reuse", "completed, unchanged")
    # The simulator renders a shot in one of 4 ways, by job number: forcing door twice in a
    # row gives it a video with another last frame at least once.
    before, last = first, old_last
    for _ in range(2):
        run = run_pipeline(sim, path, RunOptions(force=("door",)))
        assert run.result.outcome == "completed"
        new_last = _png_sha(_frames_of(run.output / "door.mp4")[-1])
        owner = {st.video_id: st.key for st in run.result.states}
        made = sorted(
            owner[c["videoId"]] for c in run.ledger["creates"][len(before.ledger["creates"]) :]
        )
        if new_last == last:  # the same frame: what continues from it is unchanged
            assert made == ["door#1"]
        else:  # the fingerprint holds the frame actually used: a new frame renders the chain
            assert made == ["door#1", "hall#1", "stairs#1"]  # window: door's first frame
            assert run.shot("hall#1")["frames"][0]["sha256"] == new_last
            break
        before, last = run, new_last
    else:
        raise AssertionError("door's last frame never changed")


def test_the_command_plans_waits_and_locks_the_fingerprints_of_the_frames_used(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    env = {"USEAPI_TOKEN": sim.token, "USEAPI_BASE_URL": sim.base_url}
    before = invoke("plan", str(path), "--json", env=env)
    assert before.code == 0, before.text
    takes = {t["key"]: t for t in json.loads(before.stdout)["takes"]}
    assert list(takes) == ["door#1", "hall#1", "stairs#1", "window#1", "lamp#1"]
    assert takes["stairs#1"]["waitsFor"] == ["hall#1"]
    assert takes["hall#1"]["frames"]["first"] == {"shot": "door", "frame": "last", "fit": "crop"}
    assert (takes["hall#1"]["action"], takes["hall#1"]["reason"]) == ("render", "waits for door")
    ran = invoke("run", str(path), "--yes", "--poll-interval", "0.05", env=env)
    assert ran.code == 0, ran.text
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    lock = json.loads(path.with_suffix(".lock").read_text("utf-8"))
    # The lock holds each shot's real fingerprint (with its frame), as the manifest does.
    assert {k: e["fingerprint"] for k, e in lock["takes"].items()} == {
        s["key"]: s["fingerprint"] for s in manifest["shots"]
    }
    assert manifest["shots"][1]["frames"][0]["continues"] == {"shot": "door", "frame": "last"}


def test_frames_deleted_after_a_run_are_extracted_again_and_nothing_renders(
    sim: Simulator, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    run_pipeline(sim, path)
    frames = tmp_path / "out" / ".reel" / "frames"
    made = sorted(p.name for p in frames.glob("*.png"))
    assert made
    for png in frames.glob("*.png"):
        png.unlink()
    why = _why(path)
    assert set(why.values()) == {("reuse", "completed, unchanged")}, why
    assert sorted(p.name for p in frames.glob("*.png")) == made
