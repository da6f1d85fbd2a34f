"""Continuity: shots that start (or end, or are referenced) on a frame of another shot's video.

`{shot: ID, frame: first|last|SECONDS, fit: crop|pad}` may stand wherever a local image may.
The schema checks its form; this module checks what needs the whole storyboard (the shot
exists, is not the shot itself, no cycle, the moment lies within the upstream's video) and gives
the graph to later stages: which shots a shot waits for, and an order in which every upstream
comes before the shots that use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from runner.spec.camera import did_you_mean
from runner.spec.checks import Finding, ShotView
from runner.spec.keypath import KeyPath
from runner.spec.pipeline import Shot, Upstream

RULE = "continuity"
DEFAULT_MOMENT = "last"
DEFAULT_FIT = "crop"


def upstream_of(raw: dict[str, Any]) -> Upstream:
    """The record of a valid `{shot: ..., frame: ..., fit: ...}`."""
    moment = raw.get("frame", DEFAULT_MOMENT)
    if not isinstance(moment, str):
        moment = float(moment)
    return Upstream(shot=str(raw["shot"]), moment=moment, fit=str(raw.get("fit", DEFAULT_FIT)))


def upstream_refs(merged: dict[str, Any]) -> list[tuple[KeyPath, dict[str, Any]]]:
    """(path, value) of every `{shot: ...}` frame of a shot (defaults applied)."""
    frames = merged.get("frames")
    if not isinstance(frames, dict):
        return []
    out: list[tuple[KeyPath, dict[str, Any]]] = []
    for role in ("first", "last"):
        value = frames.get(role)
        if isinstance(value, dict) and isinstance(value.get("shot"), str):
            out.append((("frames", role), value))
    refs = frames.get("references")
    if isinstance(refs, list):
        out.extend(
            (("frames", "references", i), r)
            for i, r in enumerate(refs)
            if isinstance(r, dict) and isinstance(r.get("shot"), str)
        )
    return out


def check(views: Sequence[ShotView]) -> list[tuple[ShotView, Finding]]:
    """Every problem of the graph: unknown shots, self-use, moments past the end, cycles."""
    by_id: dict[str, ShotView] = {}
    matrices: dict[str, list[str]] = {}
    for view in views:
        shot_id = view.merged.get("id")
        if isinstance(shot_id, str):
            by_id.setdefault(shot_id, view)
            if view.story.variant_of is not None:
                matrices.setdefault(view.story.variant_of, []).append(shot_id)
    out: list[tuple[ShotView, Finding]] = []
    edges: dict[str, list[tuple[str, KeyPath]]] = {}
    for view in views:
        shot_id = view.merged.get("id")
        for path, raw in upstream_refs(view.merged):
            name = raw["shot"]
            problem = _reference(name, shot_id, by_id, matrices)
            if problem is not None:
                out.append((view, Finding((*path, "shot"), "error", RULE, problem)))
                continue
            moment = _moment(raw, by_id[name])
            if moment is not None:
                out.append((view, Finding((*path, "frame"), "error", RULE, moment)))
            if isinstance(shot_id, str):
                edges.setdefault(shot_id, []).append((name, path))
    out += [(by_id[a], f) for a, f in _cycles(edges)]
    return out


def _reference(
    name: str, shot_id: Any, by_id: dict[str, ShotView], matrices: dict[str, list[str]]
) -> str | None:
    if name == shot_id:
        return (
            f"shot {name!r} cannot continue from itself; name the shot whose video comes before it"
        )
    if name in by_id:
        return None
    if name in matrices:
        variants = ", ".join(matrices[name][:4]) + ("…" if len(matrices[name]) > 4 else "")
        return f"{name!r} is a matrix shot; name one of its variants ({variants})"
    return f"there is no shot {name!r}{did_you_mean(name, list(by_id))}"


def _moment(raw: dict[str, Any], upstream: ShotView) -> str | None:
    moment = raw.get("frame")
    if isinstance(moment, bool) or not isinstance(moment, int | float) or upstream.model is None:
        return None
    seconds = upstream.model.seconds_for(upstream.option)
    if moment <= seconds:
        return None
    option = f" ({upstream.option})" if upstream.option else ""
    return (
        f"{raw['shot']} is {seconds} s long{option}, so it has no frame at {moment:g} s; "
        f"choose a moment from 0 to {seconds}, or `last`"
    )


def _cycles(edges: dict[str, list[tuple[str, KeyPath]]]) -> list[tuple[str, Finding]]:
    """One finding per cycle, at the edge that closes it (depth-first, in file order; with an
    explicit stack, so a chain of thousands of shots cannot overflow Python's)."""
    out: list[tuple[str, Finding]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        stack = [iter(edges.get(root, []))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            upstream, where = step
            if state.get(upstream) == 1:
                loop = [*path[path.index(upstream) :], upstream]
                message = (
                    "these shots continue from each other in a circle ("
                    + " → ".join(reversed(loop))
                    + "); one of them must start from an image instead"
                )
                out.append((path[-1], Finding((*where, "shot"), "error", RULE, message)))
            elif upstream not in state:
                state[upstream] = 1
                path.append(upstream)
                stack.append(iter(edges.get(upstream, [])))
    return out


def upstreams(shot: Shot) -> tuple[str, ...]:
    """The ids of the shots whose frames this shot uses, in order, without repeats."""
    return tuple(dict.fromkeys(f.upstream.shot for _, f in shot.frames.all() if f.upstream))


def graph_order(shots: Iterable[Shot]) -> tuple[Shot, ...]:
    """The shots in file order, except that each comes after the shots it continues from
    (depth-first with an explicit stack: a long chain cannot overflow Python's)."""
    listed = list(shots)
    by_id = {s.id: s for s in listed}
    placed: dict[str, Shot] = {}
    for shot in listed:
        if shot.id in placed:
            continue
        visiting = {shot.id}
        stack = [(shot, iter(upstreams(shot)))]
        while stack:
            node, ups = stack[-1]
            name = next(
                (u for u in ups if u in by_id and u not in placed and u not in visiting), None
            )
            if name is None:
                stack.pop()
                placed[node.id] = node
                continue
            visiting.add(name)
            stack.append((by_id[name], iter(upstreams(by_id[name]))))
    return tuple(placed.values())
