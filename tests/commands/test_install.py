"""What an installed `reel` offers besides its commands: its version and shell completion
(click's own mechanism, as the README documents it)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from runner import __version__
from runner.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _reel(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, prog_name="reel")
    return result.exit_code, result.stdout


def test_version_is_the_packages_and_the_changelogs_latest() -> None:
    assert _reel("--version") == (0, f"reel, version {__version__}\n")
    project = (ROOT / "pyproject.toml").read_text("utf-8")
    assert 'name = "reel-storyboard"' in project and 'dynamic = ["version"]' in project
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    releases = re.findall(r"^## \[?([0-9][^\]\s]*)", changelog, re.MULTILINE)
    assert releases and releases[0] == __version__


def test_shell_completion_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_REEL_COMPLETE={shell}_source reel" in readme
        code, script = _reel(env={"_REEL_COMPLETE": f"{shell}_source"})
        assert code == 0 and "_REEL_COMPLETE" in script, shell
    # What bash asks when the user types `reel ru<TAB>` and `reel init --<TAB>`.
    code, words = _reel(
        env={"_REEL_COMPLETE": "bash_complete", "COMP_WORDS": "reel ru", "COMP_CWORD": "1"}
    )
    assert code == 0 and words.split() == ["plain,run"]
    code, words = _reel(
        env={
            "_REEL_COMPLETE": "bash_complete",
            "COMP_WORDS": "reel run x --retry",
            "COMP_CWORD": "3",
        }
    )
    assert sorted(words.split()) == ["plain,--retry-failed", "plain,--retry-wait"]
