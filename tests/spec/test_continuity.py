"""Continuity in the pipeline file: `{shot: ID, frame: ...}` as a frame, and every mistake in the
graph located at the line and column a user should look at."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
from PIL import Image

from runner.spec import schema_gen
from runner.spec.continuity import graph_order
from runner.spec.diagnostics import Diagnostic
from runner.spec.pipeline import Pipeline, Upstream
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan

CHAIN = """\
version: 1
shots:
  - id: door
    model: I2V-2.3
    frames: {first: door.png}
    prompt: The door swings open
  - id: hall
    model: I2V-2.3
    frames:
      first: {shot: door}
    prompt: We walk into the hall
  - id: stairs
    model: "02"
    options: 768p-6sec
    frames:
      first: {shot: hall, frame: 4.5}
      last: door.png
    prompt: Up the stairs
"""


def _write(folder: Path, text: str) -> Path:
    Image.new("RGB", (64, 36), (120, 80, 40)).save(folder / "door.png")
    path = folder / "story.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _valid(folder: Path, text: str) -> Pipeline:
    pipeline, diagnostics = load_pipeline(_write(folder, text))
    assert pipeline is not None, [d.render() for d in diagnostics]
    return pipeline


def _errors(folder: Path, text: str) -> list[Diagnostic]:
    pipeline, diagnostics = load_pipeline(_write(folder, text), "story.yaml")
    assert pipeline is None
    return [d for d in diagnostics if d.severity == "error"]


def _at(text: str, needle: str) -> tuple[int, int]:
    for n, line in enumerate(textwrap.dedent(text).splitlines(), 1):
        if needle in line:
            return n, line.index(needle) + 1
    raise AssertionError(needle)


def test_a_chain_becomes_upstream_frames(tmp_path: Path) -> None:
    pipeline = _valid(tmp_path, CHAIN)
    door, hall, stairs = pipeline.shots
    assert door.frames.first is not None and door.frames.first.upstream is None
    assert hall.frames.first is not None
    assert hall.frames.first.upstream == Upstream("door", "last", "crop")
    assert hall.frames.first.source == "door (last frame)"
    assert stairs.frames.first is not None
    assert stairs.frames.first.upstream == Upstream("hall", 4.5, "crop")
    assert stairs.frames.last is not None and stairs.frames.last.path == tmp_path / "door.png"


def test_an_upstream_frame_infers_an_image_model_and_may_be_a_reference(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        version: 1
        shots:
          - id: door
            prompt: A door
          - id: hall
            frames: {first: {shot: door, frame: first}}
          - id: crew
            model: Veo-3.1-S2V-Fast
            prompt: The crew
            frames: {references: [door.png, {shot: hall, frame: 2}]}
        """,
    )
    assert pipeline.shots[1].model == "I2V-01"
    refs = pipeline.shots[2].frames.references
    assert refs[1].upstream == Upstream("hall", 2.0, "crop")
    # The plan: crew, with no first frame, waits for hall's video (its second reference).
    plan = {t.key: t for t in make_plan(pipeline).takes}
    assert (plan["hall#1"].waits_for, plan["crew#1"].waits_for) == (("door#1",), ("hall#1",))


def test_unknown_shot_is_located_with_a_suggestion(tmp_path: Path) -> None:
    text = CHAIN.replace("{shot: door}", "{shot: dor}")
    (err,) = _errors(tmp_path, text)
    assert (err.line, err.column) == _at(text, "dor}")
    assert err.rule == "continuity"
    assert err.path == "shots[1].frames.first.shot"
    assert err.message == "there is no shot 'dor'; did you mean 'door'?"


def test_a_shot_cannot_use_itself(tmp_path: Path) -> None:
    text = CHAIN.replace("{shot: door}", "{shot: hall}")
    (err,) = _errors(tmp_path, text)
    assert err.path == "shots[1].frames.first.shot"
    assert "cannot continue from itself" in err.message


def test_a_cycle_is_reported_once_naming_its_shots(tmp_path: Path) -> None:
    text = CHAIN.replace("{first: door.png}", "{first: {shot: stairs}}")
    (err,) = _errors(tmp_path, text)
    assert err.rule == "continuity"
    assert err.path == "shots[1].frames.first.shot"
    assert err.message == (
        "these shots continue from each other in a circle (door → hall → stairs → door); "
        "one of them must start from an image instead"
    )


def test_a_moment_past_the_upstream_duration(tmp_path: Path) -> None:
    text = CHAIN.replace("frame: 4.5", "frame: 6.5")
    (err,) = _errors(tmp_path, text)
    assert (err.line, err.column) == _at(text, "6.5")
    assert err.path == "shots[2].frames.first.frame"
    assert err.message == (
        "hall is 6 s long (768p-6sec), so it has no frame at 6.5 s; choose a moment from 0 "
        "to 6, or `last`"
    )
    # The duration comes from the upstream's options: 10 s of video has a frame at 6.5 s.
    longer = text.replace(
        "  - id: hall\n    model: I2V-2.3\n",
        "  - id: hall\n    model: I2V-2.3\n    options: 768p-10sec\n",
    )
    assert _valid(tmp_path, longer).shots[2].frames.first is not None


def test_a_model_that_takes_no_such_frame(tmp_path: Path) -> None:
    text = CHAIN.replace(
        "model: I2V-2.3\n    frames:\n      first: {shot: door}",
        "model: T2V-2.3\n    frames:\n      first: {shot: door}",
    )
    (err,) = _errors(tmp_path, text)
    assert err.path == "shots[1].frames.first"
    assert "T2V-2.3 takes no first frame" in err.message


def test_bad_forms_say_what_is_allowed(tmp_path: Path) -> None:
    text = CHAIN.replace("{shot: door}", "{shot: door, frame: middle, fit: stretch, at: 1}")
    errors = {e.path: e.message for e in _errors(tmp_path, text)}
    assert errors["shots[1].frames.first.frame"] == (
        "frame must be first, last or a moment in seconds, not 'middle'"
    )
    assert errors["shots[1].frames.first.fit"] == "'stretch' is not one of: crop, pad"
    assert "unknown key 'at'" in errors["shots[1].frames.first.at"]


def test_the_schema_accepts_the_form_and_rejects_bad_ones() -> None:
    schema = schema_gen.generate()
    validator = jsonschema.Draft7Validator(schema)
    ok = {
        "version": 1,
        "shots": [
            {"id": "a", "prompt": "x"},
            {"id": "b", "model": "I2V-2.3", "frames": {"first": {"shot": "a"}}},
            {
                "id": "c",
                "model": "Sora-2",
                "frames": {"first": {"shot": "a", "frame": 2, "fit": "pad"}},
            },
        ],
    }
    assert list(validator.iter_errors(ok)) == []
    bad = json.loads(json.dumps(ok))
    bad["shots"][1]["frames"]["first"] = {"shot": "a", "frame": -1}
    assert [e.validator for e in validator.iter_errors(bad)] == ["minimum"]
    committed = json.loads(schema_gen.schema_path().read_text(encoding="utf-8"))
    assert committed["definitions"]["upstreamFrame"] == schema["definitions"]["upstreamFrame"]


def test_graph_order_puts_upstreams_first(tmp_path: Path) -> None:
    text = """\
    version: 1
    shots:
      - id: late
        model: I2V-2.3
        frames: {first: {shot: early}}
      - id: alone
        prompt: x
      - id: early
        prompt: y
    """
    pipeline = _valid(tmp_path, text)
    assert [s.id for s in graph_order(pipeline.shots)] == ["early", "late", "alone"]


def test_a_long_chain_is_ordered_and_checked_without_running_out_of_stack(tmp_path: Path) -> None:
    n = 3000  # deeper than Python's default recursion limit
    shots = ["  - id: s0\n    prompt: start\n"]
    shots += [
        f"  - id: s{i}\n    model: I2V-2.3\n    frames: {{first: {{shot: s{i - 1}}}}}\n"
        for i in range(n - 1, 0, -1)  # written last link first
    ]
    pipeline = _valid(tmp_path, "version: 1\nshots:\n" + "".join(shots))
    assert [s.id for s in graph_order(pipeline.shots)] == [f"s{i}" for i in range(n)]
    looped = "version: 1\nshots:\n" + "".join(shots).replace(
        "  - id: s0\n    prompt: start\n",
        "  - id: s0\n    model: I2V-2.3\n    frames: {first: {shot: s2999}}\n",
    )
    (err,) = _errors(tmp_path, looped)
    assert err.message.startswith("these shots continue from each other in a circle (s0 → s1")


def test_a_chain_follows_the_upstreams_selected_take(tmp_path: Path) -> None:
    """Selecting another take of an upstream shot re-renders what continues from it (and only
    that): the downstream waits for the selected take and its fingerprint changes."""
    from runner.state.plan import make_plan

    two_takes = CHAIN.replace(
        "    prompt: The door swings open\n", "    prompt: The door swings open\n    takes: 2\n"
    )
    before = {t.key: t for t in make_plan(_valid(tmp_path, two_takes)).takes}
    selected = two_takes.replace("    takes: 2\n", "    takes: 2\n    select: 2\n")
    after = {t.key: t for t in make_plan(_valid(tmp_path, selected)).takes}
    assert before["hall#1"].waits_for == ("door#1",)
    assert after["hall#1"].waits_for == ("door#2",)
    assert after["hall#1"].fingerprint != before["hall#1"].fingerprint
    assert after["stairs#1"].fingerprint != before["stairs#1"].fingerprint  # the cascade
    for key in ("door#1", "door#2"):  # a selection renders no take of the shot itself again
        assert after[key].fingerprint == before[key].fingerprint
