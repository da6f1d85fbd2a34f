"""`reel init DIR`: a project a person can commit at once, that validates and runs as made."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.reliability.conftest import assert_no_crash, invoke

ROOT = Path(__file__).resolve().parents[2]
MADE = {
    "storyboard.yaml",
    "schema/pipeline.schema.json",
    "images/.gitkeep",
    ".gitignore",
    ".vscode/settings.json",
    "README.md",
}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_init_makes_a_project_that_validates_runs_and_commits_its_lock(tmp_path: Path) -> None:
    project = tmp_path / "spot"
    out = invoke("init", str(project))
    assert out.code == 0, out.text
    assert set(_files(project)) == MADE
    assert "reel validate storyboard.yaml" in out.stdout

    storyboard = (project / "storyboard.yaml").read_text("utf-8")
    first = storyboard.splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/pipeline.schema.json"
    schema = project / first.split("$schema=")[1]
    assert schema.read_text("utf-8") == (ROOT / "schema" / "pipeline.schema.json").read_text(
        "utf-8"
    )
    settings = json.loads((project / ".vscode" / "settings.json").read_text("utf-8"))
    assert settings == {"yaml.schemas": {"./schema/pipeline.schema.json": ["storyboard.yaml"]}}
    readme = (project / "README.md").read_text("utf-8")
    for command in ("reel validate", "reel plan", "reel run"):
        assert f"{command} storyboard.yaml" in readme

    assert invoke("validate", str(project / "storyboard.yaml")).code == 0
    run = invoke("run", str(project / "storyboard.yaml"))  # no token: the embedded simulator
    assert_no_crash(run)
    assert run.code == 0, run.text
    videos = {p.name for p in (project / "renders").glob("*.mp4")}
    assert videos == {"opening.mp4", "harbour.mp4", "cut.mp4"}  # the shots, and their cut
    assert (project / "storyboard.lock").is_file()

    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "storyboard.lock" in tracked and "images/.gitkeep" in tracked
    assert not [name for name in tracked if name.startswith("renders/")], "videos stay out of git"


def test_init_never_overwrites_anything(tmp_path: Path) -> None:
    project = tmp_path / "spot"
    project.mkdir()
    (project / "README.md").write_text("my own notes\n", encoding="utf-8")
    out = invoke("init", str(project))
    assert_no_crash(out)
    assert out.code == 2
    assert "already has README.md" in out.stderr and "nothing was written" in out.stderr
    assert _files(project) == {"README.md": b"my own notes\n"}

    fresh = tmp_path / "fresh"
    assert invoke("init", str(fresh)).code == 0
    before = _files(fresh)
    again = invoke("init", str(fresh))
    assert again.code == 2 and "never overwrites" in again.stderr
    assert _files(fresh) == before

    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    not_a_folder = invoke("init", str(tmp_path / "a-file"))
    assert not_a_folder.code == 2 and "is a file" in not_a_folder.stderr
