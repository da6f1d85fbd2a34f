"""What a run would do: every shot-take with its price and fingerprint.

A shot-take is one independent render of a shot (a shot with `takes: 3` has three). Its
fingerprint covers exactly what decides the video (model, options, aspect ratio, prompt
optimisation, prompt, each frame's content hash or fileID, the take number), so a rerun can
tell an unchanged shot from a changed one. The account, the order of shots and unrelated
fields are deliberately left out.

A frame taken from another shot's video counts by the sha256 of the frame actually used, known
once that video exists: until then the shot-take waits for it (`waits_for`) and carries a
provisional fingerprint made of the upstream's, so that a change upstream shows downstream.
Shot-takes are listed in the order of the graph: every upstream before the shots using it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from runner.spec import catalogue
from runner.spec.continuity import graph_order
from runner.spec.pipeline import Frame, Frames, Pipeline, Shot, Upstream

FINGERPRINT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ShotTake:
    """One render to be made: a shot and its take number (1-based)."""

    shot: Shot
    take: int
    credits: int
    fingerprint: str
    waits_for: tuple[str, ...] = ()
    """Keys of the upstream shot-takes whose frames this one needs and that do not exist yet
    (then `fingerprint` is provisional: the real one includes the frames' sha256)."""

    @property
    def key(self) -> str:
        """Stable identity of the shot-take inside a pipeline: `<shot-id>#<take>`."""
        return f"{self.shot.id}#{self.take}"

    @property
    def output_name(self) -> str:
        """`<shot-id>.mp4`, or `<shot-id>-take<N>.mp4` when the shot has several takes."""
        if self.shot.takes > 1:
            return f"{self.shot.id}-take{self.take}.mp4"
        return f"{self.shot.id}.mp4"


@dataclass(frozen=True, slots=True)
class Plan:
    """Every shot-take of a pipeline, in file order."""

    pipeline: Pipeline
    takes: tuple[ShotTake, ...]

    @property
    def total_credits(self) -> int:
        return sum(t.credits for t in self.takes)

    def credits_by_model(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for t in self.takes:
            totals[t.shot.model] += t.credits
        return dict(totals)


def with_variants(names: Iterable[str], pipeline: Pipeline) -> tuple[str, ...]:
    """Shot ids as `--only` and `--force` take them: a matrix shot's own id stands for all of
    its variants; every other name is kept as given."""
    variants: dict[str, list[str]] = {}
    for shot in pipeline.shots:
        if shot.variant_of is not None:
            variants.setdefault(shot.variant_of, []).append(shot.id)
    return tuple(v for name in names for v in variants.get(name, [name]))


class FileHasher:
    """sha256 of local files, each read once per plan (a pipeline reuses its images)."""

    def __init__(self) -> None:
        self._known: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        digest = self._known.get(path)
        if digest is None:
            digest = sha256_file(path)
            self._known[path] = digest
        return digest


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


FrameFinder = Callable[["ShotTake", Upstream, "tuple[int, int] | None"], Path | None]
"""(upstream shot-take, which frame, exact size or None) → the extracted frame's file, or None
while the upstream's video does not exist (`runner.state.frames.FrameStore.find`)."""


def selected_key(shot_id: str, known: Mapping[str, ShotTake]) -> str:
    """The shot-take an upstream frame comes from: the shot's selected take (`select:`, take 1
    by default). `known` holds the upstream's shot-takes (the graph puts them first)."""
    first = known.get(f"{shot_id}#1")
    return f"{shot_id}#{first.shot.select if first is not None else 1}"


def _frame_identity(frame: Frame, hasher: FileHasher, known: dict[str, ShotTake]) -> str:
    if frame.path is not None:
        return "sha256:" + hasher(frame.path)
    if frame.upstream is not None:
        up = frame.upstream
        upstream = known.get(selected_key(up.shot, known))
        source = upstream.fingerprint if upstream is not None else up.shot
        return f"pending:{source}@{up.moment}/{up.fit}"
    return "fileID:" + (frame.file_id or "")


def fingerprint(
    shot: Shot, take: int, hasher: FileHasher, known: dict[str, ShotTake] | None = None
) -> str:
    """The fingerprint of one shot-take (hex sha256 of a canonical JSON document); `known`:
    the shot-takes planned so far, by key (for frames of another shot not extracted yet)."""
    known = known or {}
    frames = shot.frames

    def identity(frame: Frame) -> str:
        return _frame_identity(frame, hasher, known)

    doc = {
        "v": FINGERPRINT_VERSION,
        "model": shot.model,
        "options": shot.options,
        "aspectRatio": shot.aspect_ratio,
        "promptOptimization": shot.prompt_optimization,
        "prompt": shot.prompt,
        "first": identity(frames.first) if frames.first else None,
        "last": identity(frames.last) if frames.last else None,
        "references": [identity(f) for f in frames.references],
        "take": take,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def exact_size(shot: Shot, role: str) -> tuple[int, int] | None:
    """The size a frame in `role` must have for the shot's model (Sora-2's first frame)."""
    model = catalogue.load().model(shot.model)
    if role != "first" or not model.first_sizes or shot.aspect_ratio is None:
        return None
    return model.first_sizes.get(shot.aspect_ratio)


def with_frames(
    shot: Shot, known: dict[str, ShotTake], find: FrameFinder | None
) -> tuple[Shot, tuple[str, ...]]:
    """The shot with each upstream frame that exists given as its file, and the keys of the
    upstream shot-takes it still waits for."""
    waits: list[str] = []

    def one(role: str, frame: Frame) -> Frame:
        if frame.upstream is None or frame.path is not None:
            return frame
        key = selected_key(frame.upstream.shot, known)
        upstream = known.get(key)
        found = None
        if upstream is not None and not upstream.waits_for and find is not None:
            found = find(upstream, frame.upstream, exact_size(shot, role))
        if found is None:
            waits.append(key)
            return frame
        return replace(frame, path=found)

    frames = shot.frames
    if not any(f.upstream for _, f in frames.all()):
        return shot, ()
    new = Frames(
        first=one("first", frames.first) if frames.first else None,
        last=one("last", frames.last) if frames.last else None,
        references=tuple(one("references", f) for f in frames.references),
    )
    return replace(shot, frames=new), tuple(dict.fromkeys(waits))


def make_plan(
    pipeline: Pipeline, hasher: FileHasher | None = None, frames: FrameFinder | None = None
) -> Plan:
    """Expand takes, price every shot-take and fingerprint it, in the order of the graph.
    `frames` finds the frames of upstream videos that exist (None: none is looked for)."""
    cat = catalogue.load()
    hasher = hasher or FileHasher()
    known: dict[str, ShotTake] = {}
    for listed in graph_order(pipeline.shots):
        shot, waits = with_frames(listed, known, frames)
        credits = cat.model(shot.model).credits_for(shot.options)
        for n in range(1, shot.takes + 1):
            take = ShotTake(shot, n, credits, fingerprint(shot, n, hasher, known), waits)
            known[take.key] = take
    return Plan(pipeline=pipeline, takes=tuple(known.values()))


def resolved(
    take: ShotTake, known: dict[str, ShotTake], find: FrameFinder, hasher: FileHasher
) -> ShotTake:
    """The shot-take once its upstreams have rendered: its frames as files and its real
    fingerprint (still waiting, with the keys it waits for, if a frame cannot be had)."""
    shot, waits = with_frames(take.shot, known, find)
    return replace(
        take, shot=shot, fingerprint=fingerprint(shot, take.take, hasher, known), waits_for=waits
    )
