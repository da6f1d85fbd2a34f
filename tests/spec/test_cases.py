"""Example files drive the rules: tests/cases/valid/*.yaml must validate (their `# expect:`
lines list the warnings they may give); each tests/cases/invalid/*.yaml states the diagnostics
it must produce, exactly, as `# expect: LINE:COL SEVERITY RULE: start of the message`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runner.spec.validate import load_pipeline

CASES = Path(__file__).parents[1] / "cases"
_EXPECT = re.compile(r"^# expect: (\d+):(\d+) (error|warning) ([a-z-]+): (.+)$", re.MULTILINE)


def _expected(path: Path) -> list[tuple[int, int, str, str, str]]:
    text = path.read_text(encoding="utf-8")
    return [(int(a), int(b), sev, rule, msg) for a, b, sev, rule, msg in _EXPECT.findall(text)]


def _cases(kind: str) -> list[Path]:
    return sorted((CASES / kind).glob("*.yaml"))


def _check(path: Path) -> None:
    _, diagnostics = load_pipeline(path, path.name)
    got = sorted((d.line, d.column, d.severity, d.rule) for d in diagnostics)
    want = _expected(path)
    rendered = "\n".join(d.render() for d in diagnostics)
    assert got == sorted(w[:4] for w in want), rendered
    for line, col, severity, rule, message in want:
        assert any(
            (d.line, d.column, d.severity, d.rule) == (line, col, severity, rule)
            and message in d.message
            for d in diagnostics
        ), f"no {line}:{col} {severity} {rule} saying {message!r} in:\n{rendered}"
    assert all(d.file == path.name and d.render().startswith(f"{path.name}:") for d in diagnostics)


@pytest.mark.parametrize("path", _cases("valid"), ids=lambda p: p.stem)
def test_valid_case(path: Path) -> None:
    pipeline, diagnostics = load_pipeline(path, path.name)
    assert pipeline is not None, "\n".join(d.render() for d in diagnostics)
    assert all(d.severity == "warning" for d in diagnostics)
    _check(path)


@pytest.mark.parametrize("path", _cases("invalid"), ids=lambda p: p.stem)
def test_invalid_case(path: Path) -> None:
    assert _expected(path), f"{path.name} states no expected diagnostic"
    pipeline, _ = load_pipeline(path, path.name)
    assert pipeline is None
    _check(path)
