"""`<output>/report.html`: the storyboard review page of a run, drawn from its manifest.

`write_report(output_dir)` is called at the end of every `reel run` and by `reel report`. It
reads `manifest.json`, makes the poster frames and frame thumbnails inside the output folder
(`.reel/report/`), and writes the page atomically; every path on the page is relative, so the
folder can be zipped and shared and still work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from runner.report.assets import Assets, VideoInfo
from runner.report.cards import PRELOAD_LIMIT, CardView, Thumb, Version
from runner.report.cut_view import cut_html, cut_view, select_command
from runner.report.format import inside
from runner.report.html import Orphan, page
from runner.report.model import FrameRef, RunView, ShotCard, read_manifest, run_view
from runner.report.storyboard import CastView
from runner.state.manifest import write_atomic

REPORT_NAME = "report.html"


def _frame_source(frame: FrameRef, run: RunView) -> Path | None:
    if frame.path is None:
        return None
    path = Path(frame.path)
    # Relative frame paths are relative to the pipeline file, as in the pipeline itself.
    return path if path.is_absolute() else Path(run.pipeline).parent / path


def _thumb(frame: FrameRef, run: RunView, assets: Assets) -> Thumb:
    source = _frame_source(frame, run)
    return Thumb(frame, assets.thumbnail(source, frame.sha256) if source is not None else None)


def _card(
    shot: ShotCard,
    n: int,
    run: RunView,
    assets: Assets,
    preload: str,
    selected: dict[str, int],
    anchors: dict[str, str] | None = None,
) -> CardView:
    video = inside(assets.output_dir, shot.output.path) if shot.output else None
    info = VideoInfo(None, None)
    if video is not None and shot.output is not None:
        info = assets.video(video, shot.output.sha256, shot.output.seconds)
    thumbs = [_thumb(frame, run, assets) for frame in shot.frames]
    versions = tuple(
        Version(p, inside(assets.output_dir, p.path)) for p in run.superseded if p.key == shot.key
    )
    chosen = selected.get(shot.id)  # None: no cut yet, so no take is in it
    command = None
    if shot.takes > 1 and shot.take != chosen:
        command = select_command(run.pipeline, shot.id, shot.take)
    upstream = tuple(
        (name, (anchors or {}).get(f"{name}#{selected.get(name, 1)}"))
        for name in dict.fromkeys(f.continues for f in shot.frames if f.continues)
    )
    return CardView(
        shot,
        f"shot-{n}",
        video,
        info,
        preload,
        tuple(thumbs),
        versions,
        in_cut=shot.take == chosen,
        select_command=command,
        upstream=upstream,
    )


def _pipeline_name(document: dict[str, Any]) -> None:
    """Give the document the pipeline's `name` when the manifest lacks one (best effort)."""
    path = document.get("pipeline")
    if isinstance(document.get("name"), str) or not isinstance(path, str):
        return
    # libyaml's loader where it is built in: the pure-Python one takes seconds on a long file.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        pipeline = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    if isinstance(pipeline, dict) and isinstance(pipeline.get("name"), str):
        document["name"] = pipeline["name"]


def write_report(output_dir: Path) -> Path:
    """Write `<output_dir>/report.html` from its manifest; the page's path.

    Raises UsageError when the folder has no readable manifest.
    """
    document = read_manifest(output_dir)
    _pipeline_name(document)
    run = run_view(document)
    assets = Assets(output_dir)
    many = sum(1 for shot in run.shots if shot.output is not None) > PRELOAD_LIMIT
    preload = "none" if many else "metadata"
    cut = cut_view(output_dir)
    selected = cut.selected() if cut is not None else {}
    anchors = {shot.key: f"shot-{n}" for n, shot in enumerate(run.shots, 1)}
    cards = [
        _card(shot, n, run, assets, preload, selected, anchors)
        for n, shot in enumerate(run.shots, 1)
    ]
    orphans = [Orphan(p, inside(output_dir, p.path)) for p in run.orphaned]
    cast = [
        CastView(member, tuple(_thumb(f, run, assets) for f in member.references))
        for member in run.cast
    ]
    assets.finish()
    target = output_dir / REPORT_NAME
    top = ""
    if cut is not None:
        top = cut_html(cut, {(c.shot.id, c.shot.take): c.anchor for c in cards})
    write_atomic(target, page(run, cards, orphans, cast, top))
    return target
