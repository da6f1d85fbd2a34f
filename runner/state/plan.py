"""What a run would do: every shot-take with its price and fingerprint.

A shot-take is one independent render of a shot (a shot with `takes: 3` has three). Its
fingerprint covers exactly what decides the video (model, options, aspect ratio, prompt
optimisation, prompt, each frame's content hash or fileID, the take number), so a rerun can
tell an unchanged shot from a changed one. The account, the order of shots and unrelated
fields are deliberately left out.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runner.spec import catalogue
from runner.spec.pipeline import Frame, Pipeline, Shot

FINGERPRINT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ShotTake:
    """One render to be made: a shot and its take number (1-based)."""

    shot: Shot
    take: int
    credits: int
    fingerprint: str

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


def _frame_identity(frame: Frame, hasher: FileHasher) -> str:
    if frame.path is not None:
        return "sha256:" + hasher(frame.path)
    return "fileID:" + (frame.file_id or "")


def fingerprint(shot: Shot, take: int, hasher: FileHasher) -> str:
    """The fingerprint of one shot-take (hex sha256 of a canonical JSON document)."""
    frames = shot.frames
    doc = {
        "v": FINGERPRINT_VERSION,
        "model": shot.model,
        "options": shot.options,
        "aspectRatio": shot.aspect_ratio,
        "promptOptimization": shot.prompt_optimization,
        "prompt": shot.prompt,
        "first": _frame_identity(frames.first, hasher) if frames.first else None,
        "last": _frame_identity(frames.last, hasher) if frames.last else None,
        "references": [_frame_identity(f, hasher) for f in frames.references],
        "take": take,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_plan(pipeline: Pipeline, hasher: FileHasher | None = None) -> Plan:
    """Expand takes, price every shot-take and fingerprint it."""
    cat = catalogue.load()
    hasher = hasher or FileHasher()
    takes: list[ShotTake] = []
    for shot in pipeline.shots:
        credits = cat.model(shot.model).credits_for(shot.options)
        takes.extend(
            ShotTake(shot=shot, take=n, credits=credits, fingerprint=fingerprint(shot, n, hasher))
            for n in range(1, shot.takes + 1)
        )
    return Plan(pipeline=pipeline, takes=tuple(takes))
