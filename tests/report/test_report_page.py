"""The review page's HTML: escaped, self-contained, every path relative and inside the folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main as cli
from runner.commands.report import main as report_command
from runner.errors import UsageError
from runner.report.cards import PRELOAD_LIMIT
from runner.report.format import href, inside
from runner.report.write import write_report
from tests.report.conftest import Links, shot, write_image, write_manifest, write_video

EVIL = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "quoted"'


def storyboard(tmp_path: Path) -> Path:
    """An output folder with every kind of shot-take, frames living outside it."""
    images = tmp_path / "images"
    first = write_image(images / "first frame.png", (200, 80, 20))
    last = write_image(images / "last.png", (20, 80, 200))
    out = tmp_path / "out"
    shots = [
        shot(
            "opening",
            output=write_video(out / "opening.mp4", "opening"),
            prompt=EVIL,
            frames=[
                {
                    "role": "first",
                    "path": str(images / "first frame.png"),
                    "sha256": first,
                    "fileID": None,
                },
                {"role": "last", "path": str(images / "last.png"), "sha256": last, "fileID": None},
            ],
        ),
        shot("tall", output=write_video(out / "tall.mp4", "tall", 3, "9:16"), aspectRatio="9:16"),
        shot("broken", status="failed", error="render failed: the model gave up"),
        shot("banned", status="moderated", error="moderated: <b>unsafe</b> prompt"),
        shot("epic", status="skipped", error="over the --max-credits budget of 100"),
        shot(
            "later", status="pending", times={"queued": None, "submitted": None, "completed": None}
        ),
    ]
    return write_manifest(out, shots)


def page_of(out: Path) -> str:
    return write_report(out).read_text(encoding="utf-8")


def test_every_user_string_is_escaped(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    text = page_of(out)

    assert "<script" not in text.lower()
    assert "onerror=" not in text.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in text
    assert "moderated: &lt;b&gt;unsafe&lt;/b&gt; prompt" in text
    parsed = Links(text)
    assert "script" not in parsed.tags
    assert "img" in parsed.tags  # thumbnails, and only ours (see the next test)


def test_every_reference_is_relative_and_inside_the_folder(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    text = page_of(out)

    assert "http://" not in text and "https://" not in text
    assert "//" not in "".join(url for _, _, url in Links(text).urls)
    targets = []
    for tag, attribute, url in Links(text).urls:
        if url.startswith("#"):
            assert re.fullmatch(r"#shot-\d+", url), url
            continue
        assert url.startswith("./"), (tag, attribute, url)
        target = (out / url.replace("%20", " ")).resolve()
        assert target.is_relative_to(out.resolve()) and target.is_file(), url
        targets.append((tag, attribute, target))
    kinds = {(tag, attribute) for tag, attribute, _ in targets}
    assert {("video", "src"), ("video", "poster"), ("img", "src"), ("a", "href")} <= kinds


def test_the_folder_still_works_when_moved_without_the_frames(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    write_report(out)
    moved = shutil.copytree(out, tmp_path / "elsewhere" / "shared")
    shutil.rmtree(tmp_path / "images")
    shutil.rmtree(out)

    text = (moved / "report.html").read_text(encoding="utf-8")
    for _, _, url in Links(text).urls:
        if not url.startswith("#"):
            assert (moved / url.replace("%20", " ")).is_file(), url
    thumbs = [u for t, _, u in Links(text).urls if t == "img"]
    assert len(thumbs) == 2
    assert all(u.startswith("./.reel/report/frames/") and u.endswith(".jpg") for u in thumbs)


def test_problems_stand_out_with_their_reason(tmp_path: Path) -> None:
    text = page_of(storyboard(tmp_path))

    for status, reason in (
        ("failed", "render failed: the model gave up"),
        ("moderated", "moderated: &lt;b&gt;unsafe&lt;/b&gt; prompt"),
        ("skipped", "over the --max-credits budget of 100"),
    ):
        card = re.search(rf'<article class="card st-{status}".*?</article>', text)
        assert card is not None, status
        assert f'<span class="badge st-{status}">{status}</span>' in card.group()
        assert f'<p class="reason">{reason}</p>' in card.group()
        assert "<video" not in card.group()
    nav = re.search(r'<nav class="attention">.*?</nav>', text)
    assert nav is not None
    assert re.findall(r">(\w+)#1</a>", nav.group()) == ["broken", "banned", "epic"]
    assert '<ul class="counts"><li class="total">6 shot-takes</li>' in text


def test_cards_follow_the_manifest_order_with_video_and_facts(tmp_path: Path) -> None:
    text = page_of(storyboard(tmp_path))

    ids = re.findall(r"<h2>([^<]+)</h2>", text)
    assert ids == ["Needs attention", "opening", "tall", "broken", "banned", "epic", "later"]
    videos = re.findall(r"<video [^>]*>", text)
    assert len(videos) == 2
    for video in videos:
        assert 'controls preload="metadata"' in video and 'poster="./.reel/report/posters/' in video
    assert 'width="180" height="320"' in videos[1]
    assert "<dt>length</dt><dd>3.0 s</dd>" in text  # from the file itself
    assert "<dt>render</dt><dd>42 s</dd>" in text
    assert "<dt>wall time, this run</dt><dd>2 min 05 s</dd>" in text
    # T2V-01 takes no options and no aspect ratio: the card says what it renders instead.
    assert "<dt>options</dt><dd>none (720p, 6 s)</dd>" in text
    assert "<dt>aspect</dt><dd>\u2014</dd>" in text
    assert "<dt>aspect</dt><dd>9:16</dd>" in text


def test_the_simulator_is_obvious_and_a_real_run_is_not_called_one(tmp_path: Path) -> None:
    sim = page_of(storyboard(tmp_path))
    assert "Simulated run: nothing real was rendered." in sim
    assert "(simulated)" in sim

    real = write_manifest(tmp_path / "real", [shot("a", status="failed", error="x")], "useapi")
    text = page_of(real)
    assert "Simulated" not in text and "simulated" not in text
    assert "useapi <span class='dim'>api.useapi.net/v1/minimax</span>" in text


def test_an_unfinished_run_says_so(tmp_path: Path) -> None:
    out = write_manifest(tmp_path / "o", [shot("a", status="running")], "useapi", ended=None)
    text = page_of(out)
    assert "This run has not finished" in text
    assert "Rendering…" in text


def test_superseded_versions_hang_off_their_shot_and_orphans_are_listed(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    old = write_video(out / ".reel" / "superseded" / "opening.1.mp4", "older")
    write_video(out / "gone.mp4", "gone")
    manifest["superseded"] = [
        {
            "key": "opening#1",
            "path": ".reel/superseded/opening.1.mp4",
            "sha256": old["sha256"],
            "supersededAt": "2026-11-23T10:00:00Z",
        },
        {"id": "opening", "take": 1, "path": "../../etc/passwd"},
    ]
    manifest["orphaned"] = [{"key": "gone#1", "path": "gone.mp4"}, {"id": "lost", "path": "/x"}]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    text = page_of(out)

    opening = re.search(r'<article class="card st-completed" id="shot-1">.*?</article>', text)
    assert opening is not None
    versions = re.search(r'<details class="versions">.*?</details>', opening.group())
    assert versions is not None
    assert "<summary>2 earlier versions</summary>" in versions.group()
    assert '<a href="./.reel/superseded/opening.1.mp4">2026-11-23 10:00:00 UTC</a>' in text
    assert '../../etc/passwd <span class="dim">(file not in this folder)</span>' in text
    orphans = re.search(r'<section class="orphans">.*?</section>', text)
    assert orphans is not None
    assert '<strong>gone#1</strong> <a href="./gone.mp4">gone.mp4</a>' in orphans.group()
    assert "<strong>lost#1</strong> /x" in orphans.group()


def test_pictures_are_made_once_and_stale_ones_removed(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    write_report(out)
    posters = sorted((out / ".reel" / "report" / "posters").glob("*.jpg"))
    assert len(posters) == 2
    mtimes = [p.stat().st_mtime_ns for p in posters]

    write_report(out)
    assert [p.stat().st_mtime_ns for p in posters] == mtimes

    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["shots"] = manifest["shots"][1:]  # "opening" and its two frames leave the page
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_report(out)
    tall = manifest["shots"][0]["output"]["sha256"]
    assert list((out / ".reel" / "report" / "posters").glob("*.jpg")) == [
        out / ".reel" / "report" / "posters" / f"{tall}.jpg"
    ]
    assert list((out / ".reel" / "report" / "frames").glob("*.jpg")) == []
    index = json.loads((out / ".reel" / "report" / "index.json").read_text("utf-8"))
    assert index == {tall: 3.0}


def test_a_damaged_or_missing_video_still_gets_its_card(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    (out / "opening.mp4").write_bytes(b"not a video at all")
    (out / "tall.mp4").unlink()
    text = page_of(out)

    assert "<video" not in text
    assert '<span class="placeholder">Video file unreadable</span>' in text
    assert '<a href="./opening.mp4">opening.mp4</a>' in text  # still there to download
    assert '<span class="placeholder">Video file missing</span>' in text


def test_a_folder_without_a_manifest_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"has no manifest\.json: give the output folder"):
        write_report(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot be read as JSON"):
        write_report(tmp_path)
    (tmp_path / "manifest.json").write_text("[]", encoding="utf-8")
    with pytest.raises(UsageError, match="is not a Reel manifest"):
        write_report(tmp_path)
    with pytest.raises(UsageError, match="is not a folder"):
        report_command(str(tmp_path / "nowhere"))


def test_reel_report_command_rewrites_the_page(tmp_path: Path) -> None:
    out = storyboard(tmp_path)
    result = CliRunner().invoke(cli, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out / 'report.html'}\n"
    assert (out / "report.html").read_text("utf-8").startswith("<!doctype html>")

    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["report", str(empty)])
    assert result.exit_code == 2
    assert "has no manifest.json" in result.output


def test_reused_shots_and_frames_given_as_file_ids(tmp_path: Path) -> None:
    out = tmp_path / "out"
    file_id = "user:1234-minimax:111-file:4000000000000001"
    write_manifest(
        out,
        [
            shot(
                "again",
                reused=True,
                output=write_video(out / "again.mp4", "again"),
                frames=[{"role": "first", "path": None, "sha256": None, "fileID": file_id}],
            )
        ],
    )
    text = page_of(out)

    assert '<span class="badge st-other">reused</span>' in text
    assert (
        f'<li title="{file_id}"><span class="nothumb">no preview</span><span class="role">first'
        '</span><span class="file">file:4000000000000001</span></li>'
    ) in text
    assert "<title>storyboard · Reel storyboard (simulated)</title>" in text


def test_after_a_no_op_rerun_the_header_says_which_credits_are_this_runs(tmp_path: Path) -> None:
    """A rerun that reused everything spent nothing itself: its wall time sits next to what
    this run spent (0), and the 257-of-257 totals are labelled as all runs'."""
    out = tmp_path / "out"
    earlier = {
        "queued": "2026-11-23T10:00:00.000Z",
        "submitted": "2026-11-23T10:00:01.000Z",
        "completed": "2026-11-23T10:01:00.000Z",
    }
    write_manifest(
        out,
        [
            shot("a", reused=True, times=earlier, output=write_video(out / "a.mp4", "a")),
            shot("b", reused=True, times=earlier, output=write_video(out / "b.mp4", "b")),
            shot("c"),  # submitted after this run started: this run's own job
        ],
        backend="useapi",
    )
    text = page_of(out)
    assert "<dt>credits, all runs</dt><dd>75 <span class='dim'>of 75 estimated</span></dd>" in text
    assert "<dt>credits, this run</dt><dd>25</dd>" in text
    assert "<dt>wall time, this run</dt>" in text


def test_model_names_never_break_inside(tmp_path: Path) -> None:
    """`Veo-3.1-S2V-Fast` is a value a user types: kept on one line even at phone width."""
    out = tmp_path / "out"
    write_manifest(out, [shot("crew", model="Veo-3.1-S2V-Fast")])
    text = page_of(out)
    assert "<code class='id'>Veo-3.1-S2V-Fast</code>" in text
    assert "<code>Veo-3.1-S2V-Fast</code>" not in text
    css = (Path(__file__).parents[2] / "runner/report/templates/report.css").read_text("utf-8")
    assert "code.id { word-break: normal; white-space: nowrap; }" in css


def test_big_runs_load_video_data_only_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    video = write_video(out / "one.mp4", "one")
    shots = []
    for i in range(PRELOAD_LIMIT + 1):
        (out / f"s{i}.mp4").hardlink_to(out / "one.mp4")
        shots.append(shot(f"s{i}", output={**video, "path": f"s{i}.mp4"}))
    write_manifest(out, shots)
    text = page_of(out)

    assert text.count('preload="none"') == PRELOAD_LIMIT + 1
    assert text.count(f'poster="./.reel/report/posters/{video["sha256"]}.jpg"') == len(shots)

    write_manifest(out, shots[:PRELOAD_LIMIT])
    assert page_of(out).count('preload="metadata"') == PRELOAD_LIMIT


def test_links_encode_what_a_browser_would_misread() -> None:
    assert href("take #2 of 3?.mp4") == "./take%20%232%20of%203%3F.mp4"
    assert href("c:d/é.mp4") == "./c%3Ad/%C3%A9.mp4"  # never read as a scheme
    assert href('a"b<c>.mp4') == "./a%22b%3Cc%3E.mp4"
    out = Path("/nonexistent")
    assert inside(out, "../x.mp4") is None and inside(out, "/etc/passwd") is None


def test_nothing_is_fetched_from_elsewhere(tmp_path: Path) -> None:
    text = page_of(storyboard(tmp_path))
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert "<script" not in text and "<iframe" not in text
    assert "script-src" not in text and "default-src &#x27;none&#x27;;" in text  # no script at all
