"""`pip install .` ships what Reel reads at run time (the catalogue and the JSON Schemas) under
the distribution name `reel-storyboard`, with the `reel` command."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runner import __version__

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_catalogue_and_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("reel_storyboard-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "site")
        metadata = z.read(f"reel_storyboard-{__version__}.dist-info/METADATA").decode()
        scripts = z.read(f"reel_storyboard-{__version__}.dist-info/entry_points.txt").decode()
    assert "Name: reel-storyboard\n" in metadata and f"Version: {__version__}\n" in metadata
    assert "reel = runner.cli:main" in scripts
    assert "runner/spec/catalogue.json" in names
    assert "runner/report/templates/report.css" in names
    assert "runner/schema_files/pipeline.schema.json" in names
    assert {n for n in os.listdir(ROOT / "schema") if n.endswith(".json")} <= {
        n.removeprefix("runner/schema_files/") for n in names
    }
    # Run from the unpacked wheel, away from the source tree: the packaged copies are used.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run(
        [sys.executable, "-m", "runner", "schema"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == (ROOT / "schema" / "pipeline.schema.json").read_text(encoding="utf-8")
    where = subprocess.run(
        [sys.executable, "-c", "import runner; print(runner.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(tmp_path / "site"))
    models = subprocess.run(
        [sys.executable, "-m", "runner", "models", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"model": "Veo-3.1-S2V-Fast"' in models.stdout


@pytest.mark.slow
def test_the_wheel_installs_under_its_name_and_reel_prints_its_version(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("reel_storyboard-*.whl")
    site = tmp_path / "site"
    # Installed by pip (no index: the wheel alone, its dependencies are this test's own).
    install = ["install", "--no-deps", "--no-index", "-q", "--target", str(site), str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", *install],
        check=True,
        capture_output=True,
    )
    assert (site / f"reel_storyboard-{__version__}.dist-info").is_dir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    version = subprocess.run(
        [str(site / "bin" / "reel"), "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout == f"reel, version {__version__}\n"
    shown = subprocess.run(
        [sys.executable, "-m", "pip", "show", "reel-storyboard"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Version: {__version__}" in shown.stdout and str(site) in shown.stdout
