"""yaml-language-server (the engine of VS Code's YAML extension) for the editor tests.

Installed with npm on first use into `tmp/yaml-language-server/` under the repository (ignored
by git) and reused afterwards; the tests skip, saying why, only where node or npm is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.editor.lsp import LanguageServer

ROOT = Path(__file__).resolve().parents[2]
VERSION = "1.25.0"
CACHE = ROOT / "tmp" / "yaml-language-server"
SERVER = CACHE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


def pytest_report_header() -> str:
    state = "installed" if SERVER.exists() else "installed by npm on first use"
    return f"yaml-language-server {VERSION}: {CACHE.relative_to(ROOT)} ({state})"


def _install(config: pytest.Config) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run yaml-language-server (tests/editor)")
    if not SERVER.exists():
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"npm install yaml-language-server@{VERSION} into {CACHE}")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(CACHE),
                f"yaml-language-server@{VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return SERVER


@pytest.fixture(scope="session")
def language_server(pytestconfig: pytest.Config) -> Iterator[LanguageServer]:
    server = _install(pytestconfig)
    node = shutil.which("node")
    assert node is not None
    ls = LanguageServer([node, str(server), "--stdio"], ROOT)
    yield ls
    ls.close()
