"""`reel cut`: the selected take of every shot, in order, on one canvas, with its sound; slates
where a shot has no video; cut.otio for editors; rebuilt only when its inputs change."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PIL import Image

from runner.cut.make import write_cut
from runner.spec.pipeline import Pipeline
from runner.spec.validate import load_pipeline
from tests.commands.test_commands import reel
from tests.cut.clips import decode, make_clip, make_music, write_manifest

FPS = 24
FRAME = 1 / FPS
RED_BAND = np.array([214, 64, 64])

STORYBOARD = """\
version: 1
output: out
cut: {size: 320x180, fps: 24%(extra)s}
shots:
  - id: talk           # 16:9 with sound (as Veo makes)
    prompt: two people talk
  - id: tall           # 9:16, silent: pillarboxed
    prompt: a tall tower
  - id: pick           # two takes, the second selected
    prompt: a choice
    takes: 2
    select: 2
  - id: later          # never rendered: a card with its id and prompt, 4 s (Sora-2 720p-4sec)
    model: Sora-2
    prompt: a scene not rendered yet
  - id: broke          # failed: its first frame, 6 s (I2V-01)
    model: I2V-01
    frames: {first: first.png}
"""


def _pipeline(tmp_path: Path, extra: str = "") -> Pipeline:
    (tmp_path / "out").mkdir(exist_ok=True)
    Image.new("RGB", (64, 36), (20, 60, 220)).save(tmp_path / "first.png")
    path = tmp_path / "p.yaml"
    path.write_text(STORYBOARD % {"extra": extra}, encoding="utf-8")
    pipeline, diagnostics = load_pipeline(path)
    assert pipeline is not None, [d.render() for d in diagnostics]
    return pipeline


def _outputs(out: Path, tall: tuple[int, int, int] = (250, 250, 250)) -> dict[str, float]:
    """Clips in the output folder and a manifest that says which completed; their lengths."""
    make_clip(out / "talk.mp4", 2.0, (160, 90), 25, colour=(40, 160, 60), tone=440.0)
    make_clip(out / "tall.mp4", 2.5, (90, 160), 12, colour=tall)
    make_clip(out / "pick-take1.mp4", 3.0, (160, 90), 12, colour=(250, 0, 0))
    make_clip(out / "pick-take2.mp4", 1.5, (160, 90), 12, colour=(0, 0, 250))
    write_manifest(
        out,
        [
            {"id": "talk", "status": "completed", "file": "talk.mp4"},
            {"id": "tall", "status": "completed", "file": "tall.mp4"},
            {"id": "pick", "take": 1, "status": "completed", "file": "pick-take1.mp4"},
            {"id": "pick", "take": 2, "status": "completed", "file": "pick-take2.mp4"},
            {"id": "broke", "status": "failed"},
        ],
    )
    return {"talk": 2.0, "tall": 2.5, "pick": 1.5, "later": 4.0, "broke": 6.0}


def _close(a: np.ndarray, b: tuple[int, int, int] | np.ndarray, tolerance: int = 40) -> bool:
    return bool(np.all(np.abs(a.astype(int) - np.asarray(b)) < tolerance))


def test_the_cut_plays_every_shot_in_order_on_one_canvas_with_its_sound(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    lengths = _outputs(tmp_path / "out")

    result = write_cut(pipeline, tmp_path / "out")

    cut = decode(tmp_path / "out" / "cut.mp4")
    assert (cut.width, cut.height, cut.fps) == (320, 180, FPS)
    assert abs(cut.seconds - sum(lengths.values())) <= FRAME
    assert len(cut.pictures) == round(sum(lengths.values()) * FPS)
    assert cut.audio_codec == "aac"
    starts = dict(zip(lengths, np.cumsum([0.0, *lengths.values()]), strict=False))
    middle = {k: starts[k] + lengths[k] / 2 for k in lengths}
    # talk: green, with its tone; tall: white in the middle, black bars left and right
    assert _close(cut.picture_at(middle["talk"])[9, 16], (40, 160, 60))
    assert cut.loudness(starts["talk"] + 0.1, starts["talk"] + 1.9) > 0.2
    tall = cut.picture_at(middle["tall"])
    assert _close(tall[9, 16], (250, 250, 250)) and _close(tall[9, 1], (0, 0, 0))
    assert cut.loudness(starts["tall"] + 0.1, starts["tall"] + 2.4) < 0.001
    # pick: the selected take 2 (blue), not take 1 (red)
    assert _close(cut.picture_at(middle["pick"])[9, 16], (0, 0, 250))
    # later and broke: slates marked missing (a red band at the top); broke shows its frame
    for shot in ("later", "broke"):
        assert _close(cut.picture_at(middle[shot])[0, 16], RED_BAND), shot
    assert _close(cut.picture_at(middle["broke"])[12, 16], (20, 60, 220))
    assert not _close(cut.picture_at(middle["talk"])[0, 16], RED_BAND)
    assert cut.loudness(starts["later"], starts["later"] + 4) < 0.001
    assert [s.missing for s in result.timeline.segments] == [False, False, False, True, True]


def test_cut_otio_has_one_item_per_shot_pointing_at_the_original_clips(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    lengths = _outputs(tmp_path / "out")

    write_cut(pipeline, tmp_path / "out")

    timeline = otio.adapters.read_from_file(str(tmp_path / "out" / "cut.otio"))
    (track,) = timeline.tracks
    clips = list(track.find_clips())
    assert [c.name for c in clips] == list(lengths)
    for clip, seconds in zip(clips, lengths.values(), strict=True):
        assert clip.source_range.start_time.to_seconds() == 0
        assert abs(clip.source_range.duration.to_seconds() - seconds) <= FRAME
    by_name = {c.name: c for c in clips}
    assert by_name["pick"].media_reference.target_url == "pick-take2.mp4"
    assert by_name["pick"].metadata["reel"]["take"] == 2
    assert by_name["talk"].metadata["reel"]["prompt"] == "two people talk"
    assert by_name["talk"].metadata["reel"]["model"] == "T2V-01"
    assert (tmp_path / "out" / by_name["tall"].media_reference.target_url).is_file()
    for missing in ("later", "broke"):
        assert isinstance(by_name[missing].media_reference, otio.schema.GeneratorReference)
    assert abs(timeline.duration().to_seconds() - sum(lengths.values())) <= FRAME


def test_crossfades_overlap_the_shots_and_shorten_the_cut(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, ", transition: {crossfade: 0.5}")
    lengths = _outputs(tmp_path / "out")

    write_cut(pipeline, tmp_path / "out")

    cut = decode(tmp_path / "out" / "cut.mp4")
    expected = sum(lengths.values()) - 0.5 * (len(lengths) - 1)
    assert abs(cut.seconds - expected) <= FRAME
    # Half-way through the first crossfade, green (talk) and white (tall) are mixed.
    mixed = cut.picture_at(2.0 - 0.25)[9, 16].astype(int)
    assert 40 + 20 < mixed[0] < 250 - 20, mixed
    timeline = otio.adapters.read_from_file(str(tmp_path / "out" / "cut.otio"))
    transitions = [t for t in timeline.tracks[0] if isinstance(t, otio.schema.Transition)]
    assert len(transitions) == len(lengths) - 1
    assert abs(timeline.duration().to_seconds() - expected) <= FRAME
    first, second = list(timeline.tracks[0].find_clips())[:2]
    assert first.source_range.start_time.to_seconds() == 0
    assert abs(first.source_range.duration.to_seconds() - (2.0 - 0.25)) <= FRAME
    assert abs(second.source_range.start_time.to_seconds() - 0.25) <= FRAME


def test_music_is_mixed_under_the_whole_cut(tmp_path: Path) -> None:
    make_music(tmp_path / "bed.m4a", 30.0)
    pipeline = _pipeline(tmp_path, ", music: bed.m4a, musicVolume: 0.5")
    lengths = _outputs(tmp_path / "out")

    write_cut(pipeline, tmp_path / "out")

    cut = decode(tmp_path / "out" / "cut.mp4")
    start_tall = lengths["talk"]
    # The silent clip and the slates now carry the bed at half its level (0.5 * 0.35 RMS).
    assert 0.1 < cut.loudness(start_tall + 0.1, start_tall + 2.4) < 0.25
    assert cut.loudness(sum(lengths.values()) - 5, sum(lengths.values()) - 1) > 0.1


def test_an_unchanged_cut_is_not_encoded_again(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    _outputs(tmp_path / "out")
    first = write_cut(pipeline, tmp_path / "out")
    made = (tmp_path / "out" / "cut.mp4").stat().st_mtime_ns

    again = write_cut(pipeline, tmp_path / "out")

    assert first.rebuilt and not again.rebuilt
    assert (tmp_path / "out" / "cut.mp4").stat().st_mtime_ns == made
    code, _, _ = reel("select", "p.yaml", "pick", "1", cwd=tmp_path)
    assert code == 0
    edited, _ = load_pipeline(tmp_path / "p.yaml")
    assert edited is not None
    third = write_cut(edited, tmp_path / "out")
    assert third.rebuilt
    cut = decode(tmp_path / "out" / "cut.mp4")
    assert abs(cut.seconds - (2.0 + 2.5 + 3.0 + 4.0 + 6.0)) <= FRAME
    # A clip rendered again, of the same length but other pictures: the cut is made again.
    _outputs(tmp_path / "out", tall=(250, 200, 0))
    assert write_cut(edited, tmp_path / "out").rebuilt


def test_reel_cut_on_a_pipeline_never_run_is_an_animatic(tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            output: renders
            cut: {size: 160x90}
            shots:
              - {id: one, prompt: a first idea, model: Sora-2}
              - {id: two, prompt: a second idea, model: Sora-2, options: 720p-8sec}
            """
        ),
        encoding="utf-8",
    )

    code, out, _ = reel("cut", "board.yaml", cwd=tmp_path)

    assert code == 0
    assert out.startswith("cut written: ")
    assert "(12.00 s, 2 shots, 2 of them slates, 160x90 at 24 fps)" in out
    cut = decode(tmp_path / "renders" / "cut.mp4")
    assert abs(cut.seconds - 12.0) <= FRAME
    assert _close(cut.picture_at(2)[0, 16], RED_BAND)
    assert not (tmp_path / "renders" / "manifest.json").exists()
    # The cut's fingerprint is the same in every release: a cut an earlier release made from
    # the same inputs is not encoded again. Change this value only on purpose.
    record = json.loads((tmp_path / "renders" / ".reel" / "cut.json").read_text("utf-8"))
    assert record["fingerprint"] == (
        "7588a5bfa91599132d02711d0d1e7933f67909b8cf00e9a814e4386a6da7bd3a"
    )


def test_default_canvas_is_the_most_common_aspect_at_720p(tmp_path: Path) -> None:
    path = tmp_path / "tall.yaml"
    path.write_text(
        "version: 1\nshots:\n"
        "  - {id: a, prompt: x, model: Sora-2, aspectRatio: '9:16'}\n"
        "  - {id: b, prompt: y, model: Veo-3.1-Fast, aspectRatio: '9:16'}\n"
        "  - {id: c, prompt: z, model: Sora-2}\n",
        encoding="utf-8",
    )
    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    from runner.cut.timeline import canvas_for

    assert canvas_for(pipeline) == type(canvas_for(pipeline))(720, 1280, 24)


@pytest.mark.parametrize("music", ["notes.txt", "empty.m4a"])
def test_music_that_is_not_audio_is_a_clear_error(tmp_path: Path, music: str) -> None:
    (tmp_path / "notes.txt").write_text("not audio", encoding="utf-8")
    make_clip(tmp_path / "empty.m4a", 1.0)  # a video without sound
    _pipeline(tmp_path, f", music: {music}")

    code, _, err = reel("cut", "p.yaml", cwd=tmp_path)

    assert code == 2
    assert err.startswith(f"reel: cut.music: {tmp_path / music} ")
    assert "Traceback" not in err


def test_a_damaged_clip_becomes_a_slate_and_the_cut_is_still_made(tmp_path: Path) -> None:
    _pipeline(tmp_path)
    lengths = _outputs(tmp_path / "out")
    talk = tmp_path / "out" / "talk.mp4"
    talk.write_bytes(talk.read_bytes()[: talk.stat().st_size // 2])  # cut off mid-download

    code, out, _ = reel("cut", "p.yaml", cwd=tmp_path)

    assert code == 0
    assert "3 of them slates" in out
    cut = decode(tmp_path / "out" / "cut.mp4")
    # The damaged clip keeps its place, as a slate for its planned duration (T2V-01: 6 s).
    assert abs(cut.seconds - (sum(lengths.values()) - lengths["talk"] + 6.0)) <= FRAME
    assert _close(cut.picture_at(3.0)[0, 16], RED_BAND)
