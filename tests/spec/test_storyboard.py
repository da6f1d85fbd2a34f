"""Vars, looks, a cast and matrices: what the resolved shots are, and every mistake located.

Each pipeline is written as a user would; the assertions are on what `reel validate` and
`reel plan` show (diagnostics with line and column, the resolved records, the fingerprints).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image

from runner.spec.diagnostics import Diagnostic
from runner.spec.pipeline import Pipeline
from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan

HEAD = """\
version: 1
vars:
  town: a windswept fishing village
looks:
  dusk: golden hour, long shadows
  night: moonlit, deep blue
cast:
  keeper:
    description: the old keeper
    references: [keeper-front.png, keeper-side.png]
  cat: {references: [cat.png]}
"""


def _write(folder: Path, body: str, head: str = HEAD) -> Path:
    for name, colour in (
        ("keeper-front.png", (30, 50, 90)),
        ("keeper-side.png", (30, 60, 90)),
        ("cat.png", (90, 90, 90)),
        ("own.png", (200, 80, 20)),
    ):
        if not (folder / name).exists():
            Image.new("RGB", (64, 36), colour).save(folder / name)
    path = folder / "story.yaml"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def _valid(folder: Path, body: str, head: str = HEAD) -> Pipeline:
    pipeline, diagnostics = load_pipeline(_write(folder, body, head))
    assert pipeline is not None, [d.render() for d in diagnostics]
    return pipeline


def _errors(folder: Path, body: str, head: str = HEAD) -> list[Diagnostic]:
    pipeline, diagnostics = load_pipeline(_write(folder, body, head), "story.yaml")
    assert pipeline is None
    return [d for d in diagnostics if d.severity == "error"]


def _at(folder: Path, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based (line, column) of the `nth` occurrence of `needle` in the pipeline file."""
    text = (folder / "story.yaml").read_text(encoding="utf-8")
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _prompts(pipeline: Pipeline) -> dict[str, str | None]:
    return {s.id: s.prompt for s in pipeline.shots}


# --- vars


def test_vars_are_replaced_and_doubled_braces_are_literal(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: "Dawn over {town}: a sign reads {{OPEN}} and }} stays"
        """,
    )
    assert _prompts(pipeline) == {
        "a": "Dawn over a windswept fishing village: a sign reads {OPEN} and } stays"
    }
    sources = [p.source for p in pipeline.shots[0].prompt_parts]
    assert "var:town" in sources
    assert "".join(p.text for p in pipeline.shots[0].prompt_parts) == pipeline.shots[0].prompt


def test_an_unknown_name_is_an_error_at_its_column(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: A walk through {twon} at noon
        """,
    )
    assert [(e.line, e.column, e.path, e.rule) for e in errors] == [
        (*_at(tmp_path, "{twon}"), "shots[0].prompt", "prompt")
    ]
    assert "unknown name {twon}" in errors[0].message
    assert "did you mean {town}?" in errors[0].message
    assert "vars:" in errors[0].message


def test_a_lone_brace_is_an_error_that_says_how_to_write_one(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: "A sign with a { on it"
        """,
    )
    assert [(e.line, e.column) for e in errors] == [_at(tmp_path, "{ on it")]
    assert "a lone '{' in the prompt; write {{ for a literal brace" in errors[0].message


def test_a_var_and_a_cast_member_of_one_name_are_an_error(tmp_path: Path) -> None:
    head = HEAD.replace("  town: a windswept fishing village\n", "  town: x\n  cat: y\n")
    errors = _errors(tmp_path, "shots:\n  - id: a\n    prompt: p\n", head)
    assert [(e.path, e.rule) for e in errors] == [("vars.cat", "vars")]
    assert "both a var and a cast member" in errors[0].message


# --- looks


def test_looks_are_appended_placed_overridden_and_turned_off(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        defaults:
          look: dusk
        shots:
          - id: appended
            prompt: The lamp turns
          - id: placed
            prompt: "{look}: the lamp turns"
          - id: other
            look: night
            prompt: The lamp turns.
          - id: off
            look: none
            prompt: The lamp turns
        """,
    )
    assert _prompts(pipeline) == {
        "appended": "The lamp turns, golden hour, long shadows",
        "placed": "golden hour, long shadows: the lamp turns",
        "other": "The lamp turns. moonlit, deep blue",
        "off": "The lamp turns",
    }
    assert [s.look for s in pipeline.shots] == ["dusk", "dusk", "night", None]


def test_an_unknown_look_is_reported_where_it_is_written(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        defaults:
          look: sunset
        shots:
          - id: a
            prompt: p
          - id: b
            look: noon
            prompt: p
        """,
    )
    found = sorted((e.line, e.path, e.rule) for e in errors)
    assert found == [
        (_at(tmp_path, "sunset")[0], "defaults.look", "look"),
        (_at(tmp_path, "noon")[0], "shots[1].look", "look"),
    ]
    assert all("the looks are dusk, night (or `none`)" in e.message for e in errors)


# --- cast


def test_a_cast_feeds_each_reference_model_in_order_with_the_shots_own(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        shots:
          - id: s2v
            model: S2V-01
            cast: [cat]
            prompt: "{cat} naps"
          - id: veo
            model: Veo-3.1-S2V
            cast: [keeper, cat]
            prompt: "{keeper} and {cat}"
            frames: {references: [own.png]}
          - id: fast
            model: Veo-3.1-S2V-Fast
            cast: [cat, keeper]
            prompt: "{keeper} feeds {cat}"
          - id: inferred
            cast: [cat]
            prompt: "{cat} yawns"
        """,
    )
    refs = {s.id: [f.source for f in s.frames.references] for s in pipeline.shots}
    assert refs == {
        "s2v": ["cat.png"],
        "veo": ["keeper-front.png", "keeper-side.png", "cat.png", "own.png"],
        "fast": ["cat.png", "keeper-front.png", "keeper-side.png"],
        "inferred": ["cat.png"],
    }
    assert pipeline.shots[3].model == "S2V-01"
    assert _prompts(pipeline)["veo"] == "the old keeper and cat"  # cat has no description
    assert [m.name for m in pipeline.shots[1].cast] == ["keeper", "cat"]
    assert [m.name for m in pipeline.cast] == ["keeper", "cat"]


def test_a_cast_on_a_model_without_references_says_which_models_take_them(
    tmp_path: Path,
) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            model: T2V-2.3
            cast: [cat]
            prompt: "{cat} naps"
        """,
    )
    assert [(e.line, e.column, e.path, e.rule) for e in errors] == [
        (*_at(tmp_path, "[cat]"), "shots[0].cast", "cast")
    ]
    message = errors[0].message
    assert message.startswith("T2V-2.3 takes no reference images, so it cannot show a cast")
    assert "S2V-01 (exactly 1)" in message
    assert "Veo-3.1-S2V, Veo-3.1-S2V-Fast (1 to 14)" in message


def test_a_cast_on_a_model_from_defaults_says_where_the_model_comes_from(
    tmp_path: Path,
) -> None:
    errors = _errors(
        tmp_path,
        """\
        defaults:
          model: T2V-2.3
        shots:
          - id: a
            cast: [cat]
            prompt: "{cat} naps"
        """,
    )
    assert [e.path for e in errors] == ["shots[0].cast"]
    line = _at(tmp_path, "model: T2V-2.3")[0]
    assert errors[0].message.endswith(f"(the model comes from defaults.model on line {line})")


def test_too_many_references_from_a_cast_are_counted_by_source(tmp_path: Path) -> None:
    head = HEAD + "  crowd:\n    references: [" + ", ".join(["cat.png"] * 14) + "]\n"
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: one
            model: S2V-01
            cast: [keeper]
            prompt: "{keeper} waves"
          - id: many
            model: Veo-3.1-S2V-Fast
            cast: [crowd]
            prompt: a crowd
            frames: {references: [own.png]}
        """,
        head,
    )
    assert [(e.path, e.rule) for e in errors] == [
        ("shots[0].cast", "cast"),
        ("shots[1].cast", "cast"),
    ]
    assert "S2V-01 takes exactly 1 reference image, and this shot has 2: 2 from its cast and 0" in (
        errors[0].message
    )
    assert "takes at most 14 reference images, and this shot has 15: 14 from its cast and 1" in (
        errors[1].message
    )


def test_unknown_cast_members_and_missing_cast_images_are_located(tmp_path: Path) -> None:
    head = HEAD.replace("[cat.png]", "[kitten.png]")
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            model: Veo-3.1-S2V
            cast: [keeper, dog]
            prompt: p
        """,
        head,
    )
    found = [(e.line, e.path, e.rule) for e in errors]
    assert found == [
        (_at(tmp_path, "kitten.png")[0], "cast.cat.references[0]", "image"),
        (_at(tmp_path, "dog")[0], "shots[0].cast[1]", "cast"),
    ]
    assert (errors[1].line, errors[1].column) == _at(tmp_path, "dog")
    assert "kitten.png: no such file" in errors[0].message
    assert "unknown cast member 'dog'; the cast is keeper, cat" in errors[1].message


# --- the resolved prompt is what is checked


def test_the_resolved_prompt_is_checked_and_problems_point_at_the_template(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        shots:
          - id: a
            model: T2V-2.3
            prompt: "{town} [Pan left]"
        """,
    )
    pipeline, diagnostics = load_pipeline(path, "story.yaml")
    assert pipeline is not None
    (warning,) = diagnostics
    line = path.read_text().splitlines()[warning.line - 1]
    assert line[warning.column - 1 :].startswith("[Pan left]")
    long = HEAD.replace("a windswept fishing village", "x" * 1990)
    errors = _errors(tmp_path, "shots:\n  - id: a\n    prompt: '{town} and more words'\n", long)
    assert [(e.path, e.rule) for e in errors] == [("shots[0].prompt", "prompt")]
    assert "2,005 characters; the API takes at most 2,000" in errors[0].message


# --- matrices


def test_a_matrix_expands_into_the_combinations_a_model_can_take(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        defaults:
          options: 768p-6sec
        shots:
          - id: compare-lamp
            prompt: The great lamp sweeps its beam across {town}
            look: night
            matrix:
              model: [T2V-2.3, Veo-3.1-Fast, T2V-01]
              options: [768p-6sec, veo-720p-8sec]
          - id: ratio
            model: Sora-2
            prompt: boats
            matrix:
              aspectRatio: ["16:9", "9:16"]
              look: [dusk, none]
        """,
    )
    shots = {s.id: s for s in pipeline.shots}
    assert list(shots) == [
        "compare-lamp.T2V-2.3.768p-6sec",
        "compare-lamp.Veo-3.1-Fast.veo-720p-8sec",
        "ratio.16x9.dusk",
        "ratio.16x9.none",
        "ratio.9x16.dusk",
        "ratio.9x16.none",
    ]
    veo = shots["compare-lamp.Veo-3.1-Fast.veo-720p-8sec"]
    assert (veo.model, veo.options, veo.variant_of) == (
        "Veo-3.1-Fast",
        "veo-720p-8sec",
        "compare-lamp",
    )
    assert dict(veo.matrix) == {"model": "Veo-3.1-Fast", "options": "veo-720p-8sec"}
    assert (
        veo.prompt
        == "The great lamp sweeps its beam across a windswept fishing village, moonlit, deep blue"
    )
    assert shots["ratio.9x16.dusk"].aspect_ratio == "9:16"
    assert shots["ratio.9x16.none"].prompt == "boats"
    assert [(o.id, o.reason) for o in pipeline.left_out] == [
        ("compare-lamp.T2V-2.3.veo-720p-8sec", "T2V-2.3 has no option veo-720p-8sec"),
        ("compare-lamp.Veo-3.1-Fast.768p-6sec", "Veo-3.1-Fast has no option 768p-6sec"),
        ("compare-lamp.T2V-01.768p-6sec", "T2V-01 takes no options"),
        ("compare-lamp.T2V-01.veo-720p-8sec", "T2V-01 takes no options"),
    ]
    plan = make_plan(pipeline)
    assert [t.credits for t in plan.takes] == [25, 60, 40, 40, 40, 40]


def test_a_matrix_with_nothing_left_is_an_error_listing_why(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: p
            matrix:
              model: [T2V-01, I2V-2.3]
              aspectRatio: ["9:16"]
        """,
    )
    assert [(e.path, e.rule) for e in errors] == [("shots[0].matrix", "matrix")]
    assert "no combination of this matrix can be rendered" in errors[0].message
    assert "a.T2V-01.9x16: T2V-01 takes no aspect ratio" in errors[0].message


def test_a_matrix_leaves_out_a_model_that_needs_a_first_frame_the_shot_lacks(
    tmp_path: Path,
) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        shots:
          - id: lamp
            prompt: The great lamp sweeps its beam
            matrix:
              model: [T2V-01, I2V-01]
        """,
    )
    assert [s.id for s in pipeline.shots] == ["lamp.T2V-01"]
    assert [(o.id, o.reason) for o in pipeline.left_out] == [
        ("lamp.I2V-01", "I2V-01 needs a first frame")
    ]


def test_a_matrix_axis_also_set_on_the_shot_is_an_error(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            model: T2V-2.3
            prompt: p
            matrix: {model: [T2V-2.3, T2V-01]}
        """,
    )
    assert [(e.line, e.column, e.path, e.rule) for e in errors] == [
        (*_at(tmp_path, "model: T2V-2.3"), "shots[0].model", "matrix")
    ]


def test_a_problem_of_one_variant_points_at_its_matrix_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: "A pan [Pan left]"
            matrix:
              model: [T2V-01-Director, T2V-2.3]
        """,
    )
    pipeline, diagnostics = load_pipeline(path, "story.yaml")
    assert pipeline is not None
    assert [(d.severity, d.rule) for d in diagnostics] == [("warning", "camera")]
    assert "(matrix variant a.T2V-2.3)" in diagnostics[0].message


def test_variant_ids_that_collide_with_a_shot_are_reported(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a.T2V-01
            prompt: p
          - id: a
            prompt: p
            matrix: {model: [T2V-01, T2V-2.3]}
        """,
    )
    assert [(e.path, e.rule) for e in errors] == [("shots[1].id", "duplicate-id")]


# --- fingerprints follow the resolved prompt


STORY = """\
shots:
  - id: lamp
    prompt: The lamp of {town}
    look: night
  - id: quay
    prompt: The quay at dawn
    look: dusk
  - id: cat
    model: S2V-01
    cast: [cat]
    prompt: "{cat} naps"
"""


def _fingerprints(folder: Path, body: str, head: str = HEAD) -> dict[str, str]:
    return {t.key: t.fingerprint for t in make_plan(_valid(folder, body, head)).takes}


def test_a_look_edit_changes_exactly_the_shots_that_use_it(tmp_path: Path) -> None:
    before = _fingerprints(tmp_path, STORY)
    edited = _fingerprints(tmp_path, STORY, HEAD.replace("moonlit, deep blue", "moonlit, cold"))
    assert {k for k in before if before[k] != edited[k]} == {"lamp#1"}
    var = _fingerprints(tmp_path, STORY, HEAD.replace("a windswept", "a quiet"))
    assert {k for k in before if before[k] != var[k]} == {"lamp#1"}
    picture = tmp_path / "cat.png"
    Image.new("RGB", (64, 36), (1, 2, 3)).save(picture)
    assert {k for k, v in _fingerprints(tmp_path, STORY).items() if before[k] != v} == {"cat#1"}


def test_edits_that_leave_every_resolved_prompt_alone_change_no_fingerprint(
    tmp_path: Path,
) -> None:
    before = _fingerprints(tmp_path, STORY)
    unrelated = HEAD + "  dog: {references: [own.png]}\n"  # a new cast member, unused
    unrelated = unrelated.replace("looks:\n", "looks:\n  noon: bright\n")  # a new look, unused
    unrelated = unrelated.replace("vars:\n", "vars:\n  harbour: a harbour\n")  # a new var
    assert _fingerprints(tmp_path, STORY, unrelated) == before
    written_out = STORY.replace("The lamp of {town}", "The lamp of a windswept fishing village")
    assert _fingerprints(tmp_path, written_out) == before
    described = HEAD.replace(
        "cat: {references: [cat.png]}", "cat: {description: cat, references: [cat.png]}"
    )
    assert _fingerprints(tmp_path, STORY, described) == before


def test_a_mistake_in_a_matrix_shot_is_reported_once_not_per_variant(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        shots:
          - id: a
            prompt: A walk through {twon}
            matrix: {model: [T2V-01, T2V-2.3, Veo-3.1-Fast]}
        """,
    )
    assert [(e.line, e.column, e.rule) for e in errors] == [(*_at(tmp_path, "{twon}"), "prompt")]


def test_a_shot_of_frames_alone_takes_the_look_as_its_prompt(tmp_path: Path) -> None:
    pipeline = _valid(
        tmp_path,
        """\
        defaults:
          look: dusk
        shots:
          - id: still
            frames: {first: own.png}
          - id: bare
            look: none
            frames: {first: own.png}
        """,
    )
    assert _prompts(pipeline) == {"still": "golden hour, long shadows", "bare": None}
