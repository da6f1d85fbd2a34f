"""The test command says what it does to the machine: chromium is installed with apt-get only
as root, and never silently; where it cannot be, the browser tests' skip says why (issue 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_STEP = ROOT / ".ci" / "chromium"


def _bin(tmp_path: Path, *, apt: bool) -> Path:
    """A PATH without chromium: `id` (as the real one) and, if asked, an apt-get that records
    its arguments and 'installs' a chromium."""
    folder = tmp_path / "bin"
    folder.mkdir()
    real_id = shutil.which("id")
    assert real_id is not None
    (folder / "id").symlink_to(real_id)
    if apt:
        apt_get = folder / "apt-get"
        apt_get.write_text(
            "#!/bin/sh\n"
            f'echo "$@" >> {tmp_path / "apt.log"}\n'
            f'printf "#!/bin/sh\\n" > {folder / "chromium"}; chmod +x {folder / "chromium"}\n',
            encoding="utf-8",
        )
        apt_get.chmod(0o755)
    return folder


def _run_step(path: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(CHROMIUM_STEP)],
        env={"PATH": str(path), "HOME": os.environ["HOME"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="the install branch runs only as root")
def test_as_root_the_install_is_announced(tmp_path: Path) -> None:
    done = _run_step(_bin(tmp_path, apt=True))
    assert done.returncode == 0
    assert "installing Debian's chromium with apt-get (running as root)" in done.stderr
    assert "install -y -q chromium" in (tmp_path / "apt.log").read_text("utf-8")


def test_without_apt_it_says_the_browser_tests_will_be_skipped(tmp_path: Path) -> None:
    done = _run_step(_bin(tmp_path, apt=False))
    assert done.returncode == 0
    assert "the review page's browser tests will be skipped" in done.stderr
    assert not (tmp_path / "apt.log").exists()


def test_the_test_command_runs_the_chromium_step_before_pytest() -> None:
    lines = [line.split("#")[0].strip() for line in (ROOT / ".ci/test").read_text().splitlines()]
    assert lines.index("bash .ci/chromium") < lines.index('.venv/bin/pytest -q "$@"')


def test_skips_are_shown_with_their_reason_and_nothing_installs_from_pytest() -> None:
    from tests.report.conftest import NO_CHROMIUM

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "-ra" in config["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "apt-get install chromium" in NO_CHROMIUM
    conftest = (ROOT / "tests" / "report" / "conftest.py").read_text("utf-8")
    assert '["apt-get"' not in conftest and "subprocess" not in conftest
