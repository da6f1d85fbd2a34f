"""The records built from a valid pipeline: defaults applied, options and aspect ratio
resolved, accounts pinned, paths absolute."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner.spec.pipeline import Account
from runner.spec.validate import load_pipeline

CASES = Path(__file__).parents[1] / "cases"


def _write(tmp_path: Path, text: str) -> Path:
    shutil.copytree(CASES / "images", tmp_path / "images")
    path = tmp_path / "sub" / "story.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_resolution(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
accounts:
  "111": {maxJobs: 3}
  "222":
defaults:
  promptOptimization: true
  takes: 2
shots:
  - id: text
    prompt: x
  - id: image
    frames: {first: ../images/small.png}
  - id: subject
    prompt: y
    frames: {references: [../images/small.png, ../images/other.png]}
    model: Veo-3.1-S2V-Fast
  - id: fileids
    model: Veo-3.1
    aspectRatio: 9:16
    takes: 1
    frames:
      first: user:9-minimax:222-file:1
      last: ../images/other.png
  - id: sora
    model: Sora-2
    account: "111"
    prompt: z
    replyUrl: https://example.com/h
    replyRef: r1
""",
    )
    pipeline, diagnostics = load_pipeline(path)
    assert diagnostics == []
    assert pipeline is not None
    assert pipeline.path == path.resolve()
    assert pipeline.name == "story"
    assert pipeline.output == (tmp_path / "sub" / "renders" / "story").resolve()
    assert pipeline.accounts == (Account("111", 3), Account("222", 2))
    text, image, subject, fileids, sora = pipeline.shots
    assert (text.model, text.options, text.aspect_ratio, text.takes) == ("T2V-01", None, None, 2)
    assert text.prompt_optimization is True
    assert (image.model, image.frames.first and image.frames.first.path) == (
        "I2V-01",
        (tmp_path / "images" / "small.png").resolve(),
    )
    assert (subject.options, subject.aspect_ratio) == ("veo-720p-8sec", "16:9")
    assert len(subject.frames.references) == 2
    assert fileids.account == "222"
    assert fileids.frames.first is not None and fileids.frames.first.file_id is not None
    assert fileids.frames.last is not None and fileids.frames.last.is_local
    assert (fileids.aspect_ratio, fileids.takes) == ("9:16", 1)
    assert (sora.options, sora.account, sora.reply_url, sora.reply_ref) == (
        "720p-4sec",
        "111",
        "https://example.com/h",
        "r1",
    )
    assert [s.index for s in pipeline.shots] == [0, 1, 2, 3, 4]


def test_name_and_output_as_written(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "version: 1\nname: spot\noutput: ../out/spot\nshots: [{id: a, prompt: x}]\n"
    )
    pipeline, _ = load_pipeline(path)
    assert pipeline is not None
    assert pipeline.name == "spot"
    assert pipeline.output == (tmp_path / "out" / "spot").resolve()


def test_large_image_is_a_warning_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nshots: [{id: a, frames: {first: ../images/big.png}}]\n")
    big = tmp_path / "images" / "big.png"
    shutil.copy(CASES / "images" / "small.png", big)
    with big.open("ab") as f:
        f.write(b"\0" * 5_100_000)  # trailing bytes after IEND: still a readable PNG
    pipeline, diagnostics = load_pipeline(path, "story.yaml")
    assert pipeline is not None
    assert [d.render() for d in diagnostics] == [
        "story.yaml:2:33: warning: shots[0].frames.first: ../images/big.png is 5.1 MB; "
        "uploads above 5 MB may be refused: shrink it"
    ]


@pytest.mark.parametrize(("size", "warned"), [(5_000_000, False), (5_000_001, True)])
def test_the_size_warning_starts_one_byte_above_5_mb(
    tmp_path: Path, size: int, warned: bool
) -> None:
    path = _write(tmp_path, "version: 1\nshots: [{id: a, frames: {first: ../images/big.png}}]\n")
    big = tmp_path / "images" / "big.png"
    shutil.copy(CASES / "images" / "small.png", big)
    with big.open("ab") as f:
        f.write(b"\0" * (size - big.stat().st_size))
    assert big.stat().st_size == size
    pipeline, diagnostics = load_pipeline(path, "story.yaml")
    assert pipeline is not None
    assert [d.rule for d in diagnostics] == (["image-size"] if warned else [])


def test_shots_of_one_shape_share_a_schema_run() -> None:
    from runner.spec import catalogue
    from runner.spec.shot_schema import shape_key

    cat = catalogue.load()

    def shot(i: int) -> dict[str, object]:
        return {
            "id": f"s{i}",
            "model": "02",
            "prompt": f"p{i}",
            "account": str(100 + i),
            "replyUrl": f"https://example.com/{i}",
            "replyRef": f"r{i}",
            "frames": {"first": f"a{i}.png", "last": f"user:1-minimax:{i}-file:{i}"},
        }

    assert shape_key(shot(1), cat) == shape_key(shot(2), cat)
    # A value that breaks a rule on its own keeps its own shape, so its error is reported.
    for field, bad in [
        ("id", "bad id"),
        ("prompt", "x" * 2001),
        ("account", "abc"),
        ("replyUrl", "ftp://x"),
        ("replyRef", "r" * 1025),
    ]:
        assert shape_key({**shot(1), field: bad}, cat) != shape_key(shot(1), cat)
    bad_frames = {"first": "user:nope", "last": ""}
    assert shape_key({**shot(1), "frames": bad_frames}, cat) != shape_key(shot(1), cat)
