"""Paths that try to get out, point elsewhere, or are not what they should be.

- Shot ids name output files: one that would leave the output folder is refused at validation
  (exit 2, located), so `reel run` writes nothing anywhere.
- Symlinked frames are FOLLOWED: a frame that is a link to an image elsewhere (a shared assets
  folder) is a normal thing to have; the image it points to is checked and uploaded. A dangling
  link, a link loop or a link to a folder is a located error.
- An output folder that is a file: `reel run` stops with a clear message, exit 2, before any
  request that spends (the file is left untouched).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from runner.sim import SimAccount, SimConfig, Simulator, running_simulator
from runner.state.frames import plan_with_frames
from tests.reliability.conftest import assert_no_crash, invoke, run_reel

LINKED_SHOT = (
    "  - id: a\n    model: I2V-01\n    prompt: hi\n    frames: {first: frames/first.png}\n"
)
ESCAPES = ["../x", "/abs", "x/../../y", "..", ".", "a/b", "a\\b", "~/x", "C:x", "-rf", ".hidden"]


def spent(sim: Simulator) -> list[str]:
    """Every create or upload the simulator saw (anything that could cost)."""
    return [
        r["path"]
        for r in sim.ledger()["requests"]
        if r["method"] == "POST" and not r["path"].startswith("/_sim")
    ]


def image(path: Path, colour: tuple[int, int, int] = (200, 80, 20)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), colour).save(path)
    return path


def pipeline(folder: Path, shots: str, output: str = "out") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "p.yaml"
    path.write_text(f"version: 1\noutput: {output}\nshots:\n{shots}", encoding="utf-8")
    return path


def tree(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    accounts = (SimAccount("111", "free", 2), SimAccount("222", "paid", 3))
    with running_simulator(SimConfig(accounts=accounts, speed=600.0)) as s:
        yield s


@pytest.mark.parametrize("bad", ESCAPES)
def test_shot_ids_that_leave_the_output_folder_are_refused(
    tmp_path: Path, bad: str, sim: Simulator
) -> None:
    quoted = bad.replace("\\", "\\\\")
    path = pipeline(
        tmp_path / "project",
        f'  - id: ok\n    prompt: fine\n  - id: "{quoted}"\n    prompt: escape\n',
    )
    before = tree(tmp_path)

    out = invoke("validate", str(path))
    assert_no_crash(out)
    assert out.code == 2
    assert f"{path}:6:9: error: shots[1].id" in out.stdout, out.stdout

    ran = run_reel(sim, path)
    assert_no_crash(ran)
    assert ran.code == 2, ran.text
    assert tree(tmp_path) == before  # not even the output folder was made
    assert spent(sim) == []


def test_a_frame_that_is_a_symlink_to_an_image_elsewhere_is_followed(
    tmp_path: Path, sim: Simulator
) -> None:
    target = image(tmp_path / "shared-assets" / "keeper.png")
    project = tmp_path / "project"
    (project / "frames").mkdir(parents=True)
    (project / "frames" / "first.png").symlink_to(target)
    path = pipeline(
        project,
        "  - id: a\n    model: I2V-01\n    prompt: hi\n    frames: {first: frames/first.png}\n",
    )

    assert invoke("validate", str(path)).code == 0
    assert invoke("plan", str(path)).code == 0
    ran = run_reel(sim, path)

    assert_no_crash(ran)
    assert ran.code == 0, ran.text
    uploads = sim.ledger()["uploads"]
    assert [u["sha256"] for u in uploads] == [hashlib.sha256(target.read_bytes()).hexdigest()]
    assert (project / "out" / "a.mp4").is_file()
    assert (project / "frames" / "first.png").is_symlink()  # left as it was


@pytest.mark.parametrize("kind", ["dangling", "loop", "folder"])
def test_a_symlinked_frame_that_leads_nowhere_is_a_located_error(
    tmp_path: Path, kind: str, sim: Simulator
) -> None:
    project = tmp_path / "project"
    link = project / "frames" / "first.png"
    link.parent.mkdir(parents=True)
    if kind == "dangling":
        link.symlink_to(tmp_path / "gone.png")
    elif kind == "loop":
        other = project / "frames" / "other.png"
        link.symlink_to(other)
        other.symlink_to(link)
    else:
        (tmp_path / "a-folder").mkdir()
        link.symlink_to(tmp_path / "a-folder")
    path = pipeline(
        project,
        "  - id: a\n    model: I2V-01\n    prompt: hi\n    frames: {first: frames/first.png}\n",
    )

    for out in (invoke("validate", str(path)), invoke("plan", str(path)), run_reel(sim, path)):
        assert_no_crash(out)
        assert out.code == 2, out.text
        assert f"{path}:7:" in out.text and "frames/first.png" in out.text, out.text
    assert spent(sim) == []


@pytest.mark.parametrize("how", ["output", "--out", "parent"])
def test_an_output_folder_that_is_a_file_stops_the_run_before_spending(
    tmp_path: Path, how: str, sim: Simulator
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    blocker = project / "renders"
    blocker.write_text("not a folder\n", encoding="utf-8")
    output = {"output": "renders", "--out": "elsewhere", "parent": "renders/the-film"}[how]
    path = pipeline(project, "  - id: a\n    prompt: hi\n  - id: b\n    prompt: ho\n", output)
    extra = ("--out", str(blocker)) if how == "--out" else ()

    ran = run_reel(sim, path, *extra)

    assert_no_crash(ran)
    assert ran.code == 2, ran.text
    said = ran.stderr.lower()
    assert "renders" in said and ("not a folder" in said or "is a file" in said), ran.stderr
    assert spent(sim) == []
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def test_a_frame_removed_during_the_run_fails_its_shot_only(
    tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user moves an image away while the run goes (after it was validated and planned):
    that shot-take fails, saying which file is gone; the others are made; exit 1."""
    project = tmp_path / "project"
    frame = image(project / "frames" / "first.png")
    path = pipeline(project, LINKED_SHOT + "  - id: b\n    prompt: no frame\n")

    def plan_then_remove(*args: Any, **kwargs: Any) -> Any:
        result = plan_with_frames(*args, **kwargs)
        frame.unlink()
        return result

    monkeypatch.setattr("runner.commands.run.plan_with_frames", plan_then_remove)
    ran = run_reel(sim, path)

    assert_no_crash(ran)
    assert ran.code == 1, ran.text
    assert "frames/first.png" in ran.text or str(frame) in ran.text, ran.text
    assert (project / "out" / "b.mp4").is_file()
    assert [c["body"]["prompt"] for c in sim.ledger()["creates"]] == ["no frame"]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_frame_that_is_a_fifo_or_a_device_is_refused_without_reading_it(
    tmp_path: Path, kind: str
) -> None:
    """Reading /dev/zero or a FIFO as an image would never end: it is refused by its type."""
    project = tmp_path / "project"
    (project / "frames").mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(project / "frames" / "first.png")
        frame = "frames/first.png"
    else:
        frame = "/dev/zero"
    path = pipeline(
        project, f"  - id: a\n    model: I2V-01\n    prompt: hi\n    frames: {{first: {frame}}}\n"
    )
    for out in (invoke("validate", str(path)), invoke("plan", str(path))):
        assert_no_crash(out)
        assert out.code == 2, out.text
        assert f"{path}:7:" in out.text and "not a regular file" in out.text, out.text
