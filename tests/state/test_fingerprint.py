"""The fingerprint covers exactly what decides a video, and `reel plan` acts on it.

README: a shot-take's fingerprint covers model, options, aspect ratio, prompt optimisation,
prompt, each frame's content hash or fileID and the take number; not the account, the order of
shots or other fields. Changing any one field inside must change the fingerprint and make
`reel plan` say "render"; changing any field outside must change nothing (plan says "reuse").
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from runner.cli import main as reel
from runner.spec.validate import load_pipeline
from runner.spec.yaml_core import compose
from runner.state.journal import Journal
from runner.state.plan import ShotTake, make_plan, sha256_file

Fields = dict[str, Any]
Edit = Callable[[Fields, Path], None]

FILE = "user:1234-minimax:111-file:{}"
LOCAL: Fields = {
    "id": "lighthouse",
    "model": "Veo-3.1",
    "options": "veo-720p-8sec",
    "aspectRatio": "16:9",
    "promptOptimization": False,
    "prompt": "a lighthouse at dusk",
    "frames": {"first": "a.png", "last": "b.png"},
    "takes": 2,
}
FILE_IDS: Fields = {**LOCAL, "frames": {"first": FILE.format(41), "last": FILE.format(42)}}
REFERENCES: Fields = {
    **LOCAL,
    "model": "Veo-3.1-S2V",
    "frames": {"references": ["a.png", "b.png", "c.png"]},
}
BASES = {"local": LOCAL, "fileIDs": FILE_IDS, "references": REFERENCES}
COLOURS = st.tuples(*[st.integers(0, 255)] * 3)


def _read_as_text(prompt: str) -> bool:
    """PyYAML writes YAML 1.1 and leaves `0E0` unquoted; Reel reads YAML 1.2, where that is a
    number (and says so: "quote it"). Such a prompt is another test's business."""
    node = compose(yaml.safe_dump(prompt))
    return node is not None and node.tag == "tag:yaml.org,2002:str"


PROMPTS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(
    # Braces are the prompt's template syntax ({var}, {{ }}): a new prompt here is plain text.
    lambda p: (
        p.strip() == p and p != LOCAL["prompt"] and not set(p) & set("[{}") and _read_as_text(p)
    )
)


def _image(path: Path, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (64, 36), colour).save(path)


def _set(key: str, value: Any) -> Edit:
    def edit(shot: Fields, _folder: Path) -> None:
        shot[key] = value

    return edit


def _repaint(name: str, colour: tuple[int, int, int]) -> Edit:
    """The same file name, other pixels: only the content hash can notice."""

    def edit(_shot: Fields, folder: Path) -> None:
        _image(folder / name, colour)

    return edit


def _frame(role: str, value: Any) -> Edit:
    def edit(shot: Fields, _folder: Path) -> None:
        shot["frames"][role] = value

    return edit


# Inside the fingerprint: each field, with a strategy for (base, the edit that changes it).
INSIDE: dict[str, st.SearchStrategy[tuple[str, Edit]]] = {
    "model": st.sampled_from(["local", "fileIDs"]).map(
        lambda b: (b, _set("model", "Veo-3.1-Fast"))
    ),
    "options": st.sampled_from(["veo-1080p-8sec", "veo-4k-8sec"]).map(
        lambda o: ("local", _set("options", o))
    ),
    "aspectRatio": st.just(("references", _set("aspectRatio", "9:16"))),
    "promptOptimization": st.just(("local", _set("promptOptimization", True))),
    "prompt": PROMPTS.map(lambda p: ("fileIDs", _set("prompt", p))),
    "first frame content": COLOURS.filter(lambda c: c != (200, 80, 20)).map(
        lambda c: ("local", _repaint("a.png", c))
    ),
    "last frame content": COLOURS.filter(lambda c: c != (20, 80, 200)).map(
        lambda c: ("local", _repaint("b.png", c))
    ),
    "a reference's content": st.sampled_from(["a.png", "b.png", "c.png"]).map(
        lambda n: ("references", _repaint(n, (1, 2, 3)))
    ),
    "first fileID": st.integers(43, 10**6).map(
        lambda n: ("fileIDs", _frame("first", FILE.format(n)))
    ),
    "last fileID": st.integers(43, 10**6).map(
        lambda n: ("fileIDs", _frame("last", FILE.format(n)))
    ),
}


def _rename(name: str, new: str) -> Edit:
    """Another file name, the same bytes: not a change of the video."""

    def edit(shot: Fields, folder: Path) -> None:
        (folder / new).write_bytes((folder / name).read_bytes())
        frames = shot["frames"]
        for role, value in frames.items():
            if isinstance(value, list):
                frames[role] = [new if v == name else v for v in value]
            elif value == name:
                frames[role] = new

    return edit


OUTSIDE: dict[str, st.SearchStrategy[tuple[str, Edit]]] = {
    "account": st.just(("local", _set("account", "222"))),
    "takes (for the takes both have)": st.just(("local", _set("takes", 3))),
    "replyUrl": st.sampled_from(["https://example.com/hook", "http://example.org/x?y=1"]).map(
        lambda u: ("fileIDs", _set("replyUrl", u))
    ),
    "replyRef": PROMPTS.map(lambda r: ("references", _set("replyRef", r))),
    "a frame's file name": st.sampled_from(["a.png", "b.png"]).map(
        lambda n: ("local", _rename(n, "z.png"))
    ),
    "a reference's file name": st.just(("references", _rename("c.png", "y.png"))),
}


def _write(
    folder: Path, shot: Fields, *, before: bool = False, extra: Fields | None = None
) -> Path:
    shots = [{"id": "earlier", "prompt": "another shot"}] if before else []
    doc = {"version": 1, "output": "out", "accounts": {"111": {"maxJobs": 2}, "222": {}}}
    doc |= extra or {}
    path = folder / "p.yaml"
    path.write_text(yaml.safe_dump({**doc, "shots": [*shots, shot]}, sort_keys=False), "utf-8")
    return path


def _takes(path: Path) -> dict[str, ShotTake]:
    pipe, diagnostics = load_pipeline(path)
    assert pipe is not None, [d.render() for d in diagnostics]
    return {t.key: t for t in make_plan(pipe).takes}


def _completed(folder: Path, takes: dict[str, ShotTake]) -> None:
    """A journal in which every shot-take completed, its output intact."""
    out = folder / "out"
    out.mkdir()
    journal = Journal(out / ".reel", "https://api.useapi.net/v1/minimax")

    async def write() -> None:
        for take in takes.values():
            video = out / take.output_name
            video.write_bytes(take.key.encode())
            job = await journal.intend(
                key=take.key,
                fingerprint=take.fingerprint,
                run_id="r",
                account="111",
                prompt=take.shot.prompt,
                model=take.shot.model,
            )
            await journal.set_video_id(job, f"video-{take.key}", take.credits)
            await journal.set_output(
                job,
                path=str(video),
                size=video.stat().st_size,
                sha256=sha256_file(video),
                width=None,
                height=None,
            )

    anyio.run(write)
    journal.close()


def _plan(path: Path) -> dict[str, str]:
    """`reel plan --json`: the next run's action for each shot-take."""
    result = CliRunner().invoke(reel, ["plan", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {t["key"]: t["action"] for t in json.loads(result.stdout)["takes"]}


def _before_and_after(base: str, edit: Edit, **where: Any) -> tuple[Any, ...]:
    """Fingerprints before, fingerprints after the edit, and `reel plan`'s actions after."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, colour in (
            ("a.png", (200, 80, 20)),
            ("b.png", (20, 80, 200)),
            ("c.png", (9, 9, 9)),
        ):
            _image(folder / name, colour)
        shot = copy.deepcopy(BASES[base])
        before = _takes(_write(folder, shot))
        _completed(folder, before)
        edit(shot, folder)
        path = _write(folder, shot, **where)
        return before, _takes(path), _plan(path)


PROFILE = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("field", INSIDE)
@PROFILE
@given(data=st.data())
def test_changing_any_field_inside_the_fingerprint_makes_plan_render(
    field: str, data: st.DataObject
) -> None:
    base, edit = data.draw(INSIDE[field])
    before, after, actions = _before_and_after(base, edit)
    for key, take in after.items():
        assert take.fingerprint != before[key].fingerprint, f"{field} changed, {key} did not"
        assert actions[key] == "render", (field, key, actions)


@pytest.mark.parametrize("field", OUTSIDE)
@PROFILE
@given(data=st.data())
def test_changing_a_field_outside_the_fingerprint_changes_nothing(
    field: str, data: st.DataObject
) -> None:
    base, edit = data.draw(OUTSIDE[field])
    before, after, actions = _before_and_after(base, edit)
    for key, take in before.items():
        assert after[key].fingerprint == take.fingerprint, f"{field} changed {key}"
        assert actions[key] == "reuse", (field, key, actions)


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("the order of shots", {"before": True}),
        ("the pipeline's name", {"extra": {"name": "another-name"}}),
        ("an account's maxJobs", {"extra": {"accounts": {"111": {"maxJobs": 5}, "222": {}}}}),
    ],
)
def test_the_rest_of_the_file_is_outside_the_fingerprint(field: str, where: Fields) -> None:
    before, after, actions = _before_and_after("local", _set("id", "lighthouse"), **where)
    for key, take in before.items():
        assert after[key].fingerprint == take.fingerprint, f"{field} changed {key}"
        assert actions[key] == "reuse", (field, key, actions)


def test_each_take_has_its_own_fingerprint() -> None:
    before, _after, _actions = _before_and_after("local", _set("id", "lighthouse"))
    assert before["lighthouse#1"].fingerprint != before["lighthouse#2"].fingerprint


def test_a_fingerprint_is_the_same_in_every_release(tmp_path: Path) -> None:
    """Journals and locks of earlier releases match by fingerprint: if this value changes, every
    rerun and every clone renders (and pays for) everything again. Change it only on purpose."""
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "shots": [FILE_IDS]}), encoding="utf-8")
    pipeline, diagnostics = load_pipeline(path)
    assert pipeline is not None, [d.render() for d in diagnostics]
    assert {t.key: t.fingerprint for t in make_plan(pipeline).takes} == {
        "lighthouse#1": "88767cbe1f61b5111025e981a9a90814bccb905b49d87d0537b2522a1705a0b5",
        "lighthouse#2": "9755d27110e659ff01696763ec754d9c75a034ff8575864a9da562bc8825b465",
    }
