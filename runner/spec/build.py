"""Builds the typed records of a pipeline that passed validation: defaults applied, options and
aspect ratio resolved, accounts pinned, paths made absolute."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from runner.spec import catalogue
from runner.spec.checks import FILE_ID, ShotView
from runner.spec.continuity import upstream_of
from runner.spec.pipeline import (
    Account,
    CastMember,
    CutSettings,
    Frame,
    Frames,
    LeftOut,
    Pipeline,
    PromptPart,
    Shot,
)
from runner.spec.storyboard import CastSpec, Storyboard

DEFAULT_MUSIC_VOLUME = 0.3
DEFAULT_MAX_JOBS = 2
"""When an account gives no maxJobs: safe for a Free account (useapi's own advice)."""


def _normal(path: Path) -> Path:
    """Absolute, with `..` folded away (symlinks are left as the user wrote them)."""
    return Path(os.path.normpath(path.absolute()))


@lru_cache(maxsize=4096)
def _frame(source: str, base: Path) -> Frame:
    if FILE_ID.match(source):
        return Frame(source=source, file_id=source)
    return Frame(source=source, path=_normal(base / source))


def _any_frame(raw: Any, base: Path) -> Frame:
    if isinstance(raw, dict):
        upstream = upstream_of(raw)
        return Frame(source=upstream.describe(), upstream=upstream)
    return _frame(raw, base)


def _frames(raw: Any, base: Path) -> Frames:
    if not isinstance(raw, dict):
        return Frames()
    first, last = raw.get("first"), raw.get("last")
    return Frames(
        first=_any_frame(first, base) if first else None,
        last=_any_frame(last, base) if last else None,
        references=tuple(_any_frame(r, base) for r in raw.get("references") or ()),
    )


def _member(spec: CastSpec, base: Path) -> CastMember:
    return CastMember(spec.name, spec.description, tuple(_frame(r, base) for r in spec.references))


def _shot(view: ShotView, base: Path, story: Storyboard) -> Shot:
    cat = catalogue.load()
    raw = view.merged
    model = view.model
    assert model is not None  # validation passed
    frames = _frames(raw.get("frames"), base)
    account = raw.get("account")
    if account is None:
        account = next(
            (
                FILE_ID.match(f.file_id).group(1)  # type: ignore[union-attr]
                for _, f in frames.all()
                if f.file_id
            ),
            None,
        )
    return Shot(
        id=raw["id"],
        index=view.index,
        model=model.name,
        options=view.option,
        prompt=raw.get("prompt"),
        aspect_ratio=raw.get("aspectRatio", cat.default_aspect_ratio)
        if model.aspect_ratio
        else None,
        prompt_optimization=raw.get("promptOptimization"),
        frames=frames,
        takes=int(raw.get("takes", 1)),
        account=account,
        reply_url=raw.get("replyUrl"),
        reply_ref=raw.get("replyRef"),
        look=view.story.look,
        cast=tuple(_member(story.cast[name], base) for name in view.story.cast),
        prompt_parts=_parts(view),
        variant_of=view.story.variant_of,
        matrix=view.story.matrix,
        select=int(raw.get("select", 1)),
    )


def _cut(raw: Any, base: Path) -> CutSettings:
    if not isinstance(raw, dict):
        return CutSettings()
    size = raw.get("size")
    width, height = (int(n) for n in size.split("x")) if isinstance(size, str) else (0, 0)
    transition = raw.get("transition") or {}
    music = raw.get("music")
    return CutSettings(
        size=(width, height) if size else None,
        fps=int(raw.get("fps", 24)),
        crossfade=float(transition.get("crossfade", 0.0)),
        music=_normal(base / music) if music else None,
        music_volume=float(raw.get("musicVolume", DEFAULT_MUSIC_VOLUME)),
    )


def _parts(view: ShotView) -> tuple[PromptPart, ...]:
    resolved = view.story.resolved
    if resolved is not None:
        return resolved.parts
    prompt = view.merged.get("prompt")
    return (PromptPart(prompt),) if isinstance(prompt, str) and prompt else ()


def build_pipeline(
    path: Path,
    data: dict[str, Any],
    views: list[ShotView],
    story: Storyboard | None = None,
    left_out: list[LeftOut] | None = None,
) -> Pipeline:
    """The records of a valid pipeline file (`path` absolute)."""
    story = story or Storyboard()
    base = path.parent
    name = data.get("name") or path.stem
    output = base / (data.get("output") or f"renders/{name}")
    accounts = tuple(
        Account(id=k, max_jobs=int((v or {}).get("maxJobs", DEFAULT_MAX_JOBS)))
        for k, v in (data.get("accounts") or {}).items()
    )
    return Pipeline(
        path=path,
        name=name,
        output=_normal(output),
        accounts=accounts,
        shots=tuple(_shot(v, base, story) for v in views),
        cast=tuple(_member(c, base) for c in story.cast.values()),
        left_out=tuple(left_out or ()),
        catalogue_overlay=catalogue.overlay_source(),
        cut=_cut(data.get("cut"), base),
    )
