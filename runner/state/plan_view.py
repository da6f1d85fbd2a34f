"""What `reel plan` shows: one row per shot-take and the credits, as values (no printing).

Kept apart from the printing so that other commands can build on it. With the decisions of
`runner.state.rerun`, each row also says what the next run does with it (reuse, resume, render,
keep) and why, and the plan says what the rerun will spend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.spec.pipeline import Frames
from runner.state.plan import Plan, ShotTake
from runner.state.rerun import Decision, lookup_credits, rerun_credits


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One shot-take as shown by `reel plan`."""

    key: str
    shot: str
    take: int
    takes: int
    model: str
    options: str | None
    aspect_ratio: str | None
    frames: str
    credits: int
    account: str | None
    output: str
    fingerprint: str


def frames_summary(frames: Frames) -> str:
    """`first+last`, `first`, `2 refs`, or `-`; a frame of another shot: `first←door`."""
    parts = [
        role + (f"←{frame.upstream.shot}" if frame.upstream else "")
        for role, frame in (("first", frames.first), ("last", frames.last))
        if frame
    ]
    if frames.references:
        n = len(frames.references)
        parts.append(f"{n} ref{'s' if n > 1 else ''}")
    return "+".join(parts) or "-"


def rows(plan: Plan) -> list[PlanRow]:
    """One row per shot-take, in file order."""
    return [
        PlanRow(
            key=t.key,
            shot=t.shot.id,
            take=t.take,
            takes=t.shot.takes,
            model=t.shot.model,
            options=t.shot.options,
            aspect_ratio=t.shot.aspect_ratio,
            frames=frames_summary(t.shot.frames),
            credits=t.credits,
            account=t.shot.account,
            output=t.output_name,
            fingerprint=t.fingerprint,
        )
        for t in plan.takes
    ]


def _frames_json(frames: Frames) -> dict[str, Any]:
    def one(f: Any) -> str | dict[str, Any] | None:
        if f is not None and f.upstream is not None:
            up = f.upstream
            found = {"path": str(f.path)} if f.path else {}
            return {"shot": up.shot, "frame": up.moment, "fit": up.fit, **found}
        return None if f is None else (str(f.path) if f.path else f.file_id)

    return {
        "first": one(frames.first),
        "last": one(frames.last),
        "references": [one(f) for f in frames.references],
    }


def rerun_json(decisions: Sequence[Decision]) -> dict[str, Any]:
    """What the next run does, in sum: counts by action and the credits it will spend."""
    counts = Counter(d.action for d in decisions)
    return {
        **{
            action: counts.get(action, 0)
            for action in ("reuse", "resume", "render", "keep", "fetch")
        },
        "credits": rerun_credits(decisions),
        "ifLookupsFindNothing": lookup_credits(decisions),
        "creditsUnsure": sum(d.unsure for d in decisions),
    }


def to_json(
    plan: Plan, output: Path | None = None, decisions: Sequence[Decision] | None = None
) -> dict[str, Any]:
    """The plan as JSON-ready values (`reel plan --json`); with `decisions`, what the next run
    does with each shot-take (`action`, `reason`, `rerunCredits`) and `rerun` in sum."""
    pipeline = plan.pipeline
    takes = [_take_json(r, t) for r, t in zip(rows(plan), plan.takes, strict=True)]
    if decisions is not None:
        for entry, d in zip(takes, decisions, strict=True):
            entry.update(action=d.action, reason=d.reason, rerunCredits=d.credits)
    return {
        "pipeline": str(pipeline.path),
        "name": pipeline.name,
        "output": str(output or pipeline.output),
        "takes": takes,
        "creditsByModel": plan.credits_by_model(),
        "totalCredits": plan.total_credits,
        "leftOut": [{"id": o.id, "shot": o.shot, "reason": o.reason} for o in pipeline.left_out],
        **({} if decisions is None else {"rerun": rerun_json(decisions)}),
    }


def _take_json(r: PlanRow, t: ShotTake) -> dict[str, Any]:
    return {
        "key": r.key,
        "id": r.shot,
        "take": r.take,
        "model": r.model,
        "options": r.options,
        "aspectRatio": r.aspect_ratio,
        "frames": _frames_json(t.shot.frames),
        "credits": r.credits,
        "account": r.account,
        "output": r.output,
        "fingerprint": r.fingerprint,
        "waitsFor": list(t.waits_for),
        "prompt": t.shot.prompt,
        **_story_json(t),
    }


def _story_json(t: ShotTake) -> dict[str, Any]:
    """What vars, looks, the cast and a matrix made of the shot (only what applies)."""
    shot = t.shot
    out: dict[str, Any] = {}
    if shot.look is not None:
        out["look"] = shot.look
    if shot.cast:
        out["cast"] = list(shot.cast)
    if shot.variant_of is not None:
        out["variantOf"] = shot.variant_of
        out["matrix"] = dict(shot.matrix)
    return out
