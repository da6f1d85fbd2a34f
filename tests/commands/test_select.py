"""`reel select PIPELINE SHOT TAKE`: the one value changes, every other byte of the file stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner.spec.select_edit import set_select
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan
from tests.commands.test_commands import reel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted([*ROOT.glob("examples/*.yaml"), ROOT / "pipelines" / "demo.yaml"])

COMMENTED = (
    "\ufeff# a storyboard with comments everywhere\r\n"
    "version: 1   # the format\r\n"
    "\r\n"
    "shots:  # the shots\r\n"
    "  # before the first shot\r\n"
    "  - id: 'first'   # quoted id\r\n"
    "    # between keys\r\n"
    '    prompt: "a: quoted prompt"  # trailing\r\n'
    "    takes: 3 # three takes\r\n"
    "\r\n"
    "    # after the shot\r\n"
    "  - {id: flow, prompt: x, takes: 2}   # a flow mapping\r\n"
    "  - id: chosen\r\n"
    "    takes: 4\r\n"
    "    select: 1    # the first take, for now\r\n"
    "    prompt: >\r\n"
    "      folded\r\n"
    "      text\r\n"
    "  - prompt: |\r\n"
    "      a literal block\r\n"
    "    takes: 2\r\n"
    "    id: last\r\n"
    "# the end, without a final newline"
)


def _copy_tree(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines")


def _without_line(after: str, line: str) -> str:
    """`after` with the one line `line` (with its line ending) taken out; fails if absent."""
    lines = after.splitlines(keepends=True)
    hits = [i for i, text in enumerate(lines) if text.rstrip("\r\n") == line]
    assert len(hits) == 1, f"{line!r} not added exactly once:\n{after}"
    return "".join(lines[: hits[0]] + lines[hits[0] + 1 :])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_select_adds_one_line_to_every_shot_of_every_example(path: Path, tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    target = tmp_path / path.relative_to(ROOT)
    before_bytes = target.read_bytes()
    before = before_bytes.decode("utf-8")
    pipeline, _ = load_pipeline(target)
    assert pipeline is not None
    # One edit per shot as written (a matrix shot's variants share its index and its text).
    for shot in {s.index: s for s in reversed(pipeline.shots)}.values():
        take = shot.takes  # 1 for most shots: written explicitly all the same
        after = set_select(before, shot.index, take)
        indent = " " * _key_column(before, shot.variant_of or shot.id)
        added = f"{indent}select: {take}"
        assert _without_line(after, added) == before
        target.write_text(after, encoding="utf-8", newline="")
        edited, diagnostics = load_pipeline(target)
        assert edited is not None, [d.render() for d in diagnostics]
        assert [s.select for s in edited.shots] == [
            take if s.index == shot.index else 1 for s in pipeline.shots
        ]
        target.write_bytes(before_bytes)


def _key_column(text: str, shot_id: str) -> int:
    """The column of the shot's keys: where its `id:` sits on its line."""
    for line in text.splitlines():
        if line.lstrip(" -").split("#")[0].strip() in (f"id: {shot_id}", f'id: "{shot_id}"'):
            return len(line) - len(line.lstrip(" -"))
    raise AssertionError(f"no id line for {shot_id}")


def test_select_in_a_file_with_comments_everywhere() -> None:
    first = set_select(COMMENTED, 0, 2)
    assert _without_line(first, "    select: 2") == COMMENTED
    assert "    takes: 3 # three takes\r\n    select: 2\r\n" in first
    flow = set_select(COMMENTED, 1, 2)
    assert flow == COMMENTED.replace("takes: 2}", "takes: 2, select: 2}")
    chosen = set_select(COMMENTED, 2, 4)
    assert chosen == COMMENTED.replace("select: 1    #", "select: 4    #")
    last = set_select(COMMENTED, 3, 2)
    assert last == COMMENTED.replace(
        "    takes: 2\r\n    id: last", "    takes: 2\r\n    select: 2\r\n    id: last"
    )


def test_reel_select_writes_the_file_and_changes_no_fingerprint(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    demo = tmp_path / "pipelines" / "demo.yaml"
    before = demo.read_bytes()
    pipeline, _ = load_pipeline(demo)
    assert pipeline is not None
    prints = [t.fingerprint for t in make_plan(pipeline).takes]

    code, out, _ = reel("select", "pipelines/demo.yaml", "keeper", "2", cwd=tmp_path)

    assert code == 0
    assert out.startswith("keeper: take 2 selected in pipelines/demo.yaml; `reel cut pipelines/")
    after = demo.read_bytes()
    assert _without_line(after.decode(), "    select: 2") == before.decode()
    edited, _ = load_pipeline(demo)
    assert edited is not None
    assert {s.id: s.select for s in edited.shots}["keeper"] == 2
    assert [t.fingerprint for t in make_plan(edited).takes] == prints


def test_reel_select_refuses_a_take_or_shot_that_does_not_exist(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    demo = tmp_path / "pipelines" / "demo.yaml"
    before = demo.read_bytes()

    code, _, err = reel("select", "pipelines/demo.yaml", "keeper", "4", cwd=tmp_path)
    assert code == 2
    assert err == "reel: shot 'keeper' has no take 4; it has takes 1 to 3\n"

    code, _, err = reel("select", "pipelines/demo.yaml", "kepeer", "1", cwd=tmp_path)
    assert code == 2
    assert "has no shot 'kepeer'; its shots: opening, arrival, stairs, lamp, keeper" in err

    code, _, err = reel("select", "pipelines/demo.yaml", "keeper", "0", cwd=tmp_path)
    assert code == 2
    assert "0 is not in the range x>=1" in err
    assert demo.read_bytes() == before
