"""Shots that continue from another shot: wait for its video, take the frame, then render.

Every shot-take still runs as one task of the run's task group; a shot-take that uses a frame
of another shot's video (`ShotTake.waits_for`) first waits here until that shot-take has ended,
without holding a slot, so independent shots keep every account busy meanwhile. When the
upstream completed, the frame is extracted (PyAV, full resolution, fitted with Pillow where the
model needs an exact size) into `<output>/.reel/frames/`, recorded in the journal, and the
shot-take gets its real fingerprint (with the frame's sha256) before it is looked up in the
journal or sent: the frame is then uploaded like any local image, through the same cache.
An upstream that failed, was moderated or skipped skips its dependants, saying why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import anyio
import anyio.to_thread

from runner.run.context import RunContext
from runner.run.job import run_take
from runner.spec.continuity import upstreams
from runner.spec.pipeline import Shot, Upstream
from runner.state.frames import FrameStore, FrameUnavailable, frame_key
from runner.state.plan import ShotTake, exact_size, resolved, selected_key
from runner.state.takestate import TakeState


def chained_shots(shots: Iterable[Shot]) -> frozenset[str]:
    """Ids of the shots on a chain: those continuing from another and those continued from."""
    out: set[str] = set()
    for shot in shots:
        ups = upstreams(shot)
        if ups:
            out.add(shot.id)
            out.update(ups)
    return frozenset(out)


class Links:
    """When each shot-take of the run has ended, for the shot-takes that wait on it."""

    def __init__(self, states: Sequence[TakeState], store: FrameStore) -> None:
        self.states = {st.key: st for st in states}
        self.store = store
        self._ended = {st.key: anyio.Event() for st in states}

    def ended(self, st: TakeState) -> None:
        self._ended[st.key].set()

    async def wait(self, key: str) -> TakeState | None:
        """The upstream shot-take once it has ended (None: not in this run)."""
        event = self._ended.get(key)
        if event is None:
            return None
        await event.wait()
        return self.states[key]


async def run_linked(ctx: RunContext, st: TakeState, links: Links) -> None:
    """The task of one shot-take: its upstreams' frames first, if it needs any."""
    try:
        if st.take.waits_for and ctx.selected(st) and not await _frames_ready(ctx, st, links):
            ctx.changed()
            return
        await run_take(ctx, st)
    finally:
        links.ended(st)


def _why_not(up: TakeState | None, name: str) -> str:
    if up is None:
        return f"waits for {name}, which is not in this run"
    if up.status == "moderated":
        return f"waits for {name}, which was moderated"
    if up.status == "failed":
        return f"waits for {name}, which failed (--retry-failed renders the chain)"
    if up.status == "skipped":
        return f"waits for {name}, which was skipped"
    return f"waits for {name}, which did not finish"


async def _frames_ready(ctx: RunContext, st: TakeState, links: Links) -> bool:
    """Wait for the upstreams, extract their frames and give the shot-take its real
    fingerprint. False when it cannot render (then it has ended, saying why)."""
    ctx.show(st, "waiting", detail=f"waits for {st.take.waits_for[0].rsplit('#', 1)[0]}")
    for key in st.take.waits_for:
        up = await links.wait(key)
        if up is None or up.status != "completed" or up.output is None:
            st.end("skipped", _why_not(up, key.rsplit("#", 1)[0]))
            ctx.show(st, "skipped", detail=st.error)
            return False
    made: dict[tuple[str, Upstream, tuple[int, int] | None], Path] = {}
    for role, frame in st.take.shot.frames.all():
        if frame.upstream is None or frame.path is not None:
            continue
        key = selected_key(frame.upstream.shot, {k: s.take for k, s in links.states.items()})
        size = exact_size(st.take.shot, role.split("[")[0])
        up = links.states[key]
        assert up.output is not None
        try:
            made[(key, frame.upstream, size)] = await _frame(
                ctx, links.store, up, frame.upstream, size
            )
        except FrameUnavailable as exc:
            st.end("failed", f"cannot take the frame of {frame.upstream.describe()}: {exc}")
            ctx.show_end(st)
            return False

    def find(upstream: ShotTake, which: Upstream, size: tuple[int, int] | None) -> Path | None:
        return made.get((upstream.key, which, size))

    known = {key: s.take for key, s in links.states.items()}
    st.take = resolved(st.take, known, find, ctx.hasher)
    if st.take.waits_for:  # cannot happen once every upstream has its frame: a bug
        raise AssertionError(f"{st.key} still waits for {st.take.waits_for}")
    return True


async def _frame(
    ctx: RunContext, store: FrameStore, up: TakeState, which: Upstream, size: tuple[int, int] | None
) -> Path:
    """The frame file: recorded in the journal before it is used (and so before upload)."""
    assert up.output is not None
    key = frame_key(up.output.sha256, which, size)
    path = store.known(key)
    if path is None:
        path = await anyio.to_thread.run_sync(store.make, up.output.path, which, size)
        await ctx.journal.remember_frame(key, path)
    return path
