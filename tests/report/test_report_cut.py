"""The review page and the cut: which take is in it, and the command that changes it."""

from __future__ import annotations

import html
import shlex
from pathlib import Path

from runner.cut.make import write_cut
from runner.report.write import write_report
from runner.spec.validate import load_pipeline
from tests.report.conftest import shot, write_manifest, write_video

PIPELINE = (
    "version: 1\noutput: out\ncut: {size: 160x90}\nshots:\n  - {id: pick, prompt: p, takes: 3%s}\n"
)


def _folder(tmp_path: Path, select: str = "") -> Path:
    (tmp_path / "storyboard.yaml").write_text(PIPELINE % select, encoding="utf-8")
    out = tmp_path / "out"
    takes = [
        shot("pick", n, output=write_video(out / f"pick-take{n}.mp4", f"take {n}", 1))
        for n in (1, 2, 3)
    ]
    write_manifest(out, takes)
    return out


def _command(tmp_path: Path, take: int) -> str:
    pipeline = shlex.quote(str(tmp_path / "storyboard.yaml"))
    return html.escape(f"reel select {pipeline} pick {take}")


def test_without_a_cut_every_take_offers_its_select_command(tmp_path: Path) -> None:
    out = _folder(tmp_path)

    page = write_report(out).read_text("utf-8")

    assert 'class="cut"' not in page and "In the cut" not in page
    for take in (1, 2, 3):
        assert f"<code>{_command(tmp_path, take)}</code>" in page


def test_with_a_cut_its_take_is_marked_and_the_others_offer_their_command(tmp_path: Path) -> None:
    out = _folder(tmp_path, ", select: 2")
    pipeline, _ = load_pipeline(tmp_path / "storyboard.yaml")
    assert pipeline is not None
    write_cut(pipeline, out)

    page = write_report(out).read_text("utf-8")

    assert page.count('<p class="selected">In the cut</p>') == 1
    assert f"<code>{_command(tmp_path, 2)}</code>" not in page
    for take in (1, 3):
        assert f"<code>{_command(tmp_path, take)}</code>" in page
    assert page.index('<section class="cut">') < page.index('<article class="card')
    assert '<li class="marker" style="flex-grow:1.000" title="pick take 2: 0:00 to 0:01">' in page
