"""A whole run: accounts found, every shot-take started in ONE task group, the outcome.

`execute()` is what `reel run` calls once the pipeline is valid and the backend is up. It finds
the accounts (the pipeline's, else `GET /accounts`), learns from `GET /scheduler/available` what
others already run on them, then starts one task per shot-take in a single anyio task group
(`runner.run.upstream.run_linked`: a shot continuing from another waits for its frame first,
then `runner.run.job.run_take`), next to the manifest writer, the Ctrl-C watcher, the account
watchers that read jobs (`runner.run.watch`) and the task that keeps what others run current
(`runner.run.others`). Tasks wait for a slot in `runner.run.placement`; failures are values in
each `TakeState`; only bugs escape.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import httpx

from runner.api import useapi
from runner.errors import RunStopped
from runner.run.context import RunContext, account_event
from runner.run.download import media_client
from runner.run.events import Notice, RunFinished, RunStarted, Sink
from runner.run.others import count_others, keep_current
from runner.run.placement import AccountSlots, Placement
from runner.run.retry import Timing, patiently
from runner.run.upstream import Links, chained_shots, run_linked
from runner.run.watch import Watches
from runner.spec.pipeline import Account as PipelineAccount
from runner.state import rerun
from runner.state.frames import FrameStore
from runner.state.journal import Journal
from runner.state.manifest import (
    MANIFEST_NAME,
    Entries,
    ManifestWriter,
    RunInfo,
    build,
    carry_over,
    earlier_entries,
)
from runner.state.plan import ShotTake
from runner.state.supersede import History
from runner.state.takestate import Budget, TakeState

STATE_DIR = ".reel"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a run needs besides its shot-takes."""

    pipeline: Path
    output: Path
    accounts: tuple[PipelineAccount, ...]
    backend: str
    base_url: str
    timing: Timing
    backend_id: str = ""
    """Which API the journal files jobs under (`Backend.journal_id`)."""
    max_credits: int | None = None
    retry_failed: bool = False
    force: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()
    """Shot ids to send (`--only`); empty: all. The others are reported from the journal."""
    handle_sigint: bool = True
    note: str | None = None
    """A line the user must see first (the simulator says that nothing is spent)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    states: tuple[TakeState, ...]
    outcome: Outcome
    reason: str | None
    requests: int
    spent: int
    elapsed: float

    @property
    def counts(self) -> Counter[str]:
        return Counter(st.status for st in self.states)


async def find_accounts(
    client: useapi.UseApi,
    declared: Sequence[PipelineAccount],
    ours: set[str],
    sink: Sink,
    timing: Timing,
) -> list[AccountSlots]:
    """The run's accounts with their limits and what others already run on them."""
    if declared:
        slots = [AccountSlots(a.id, a.max_jobs) for a in declared]
    else:
        found = await patiently(client.accounts, timing)
        slots = [AccountSlots(a.id, a.max_jobs) for a in found if a.support_video and not a.error]
        for a in found:
            if not a.support_video or a.error:
                sink.emit(Notice(f"account {a.id} left out: {a.error or 'no video support'}"))
    try:
        available, executing = await patiently(client.available, timing)
    except useapi.Unauthorized:
        raise
    except useapi.ApiError as exc:
        sink.emit(
            Notice(
                f"could not read /scheduler/available ({exc}); assuming idle accounts", "warning"
            )
        )
        return slots
    counts = count_others(slots, available, executing, ours)
    for slot in slots:
        slot.others = counts[slot.id]
    return slots


async def _accounts(
    client: useapi.UseApi, settings: RunSettings, claimed: set[str], sink: Sink
) -> list[AccountSlots]:
    try:
        slots = await find_accounts(client, settings.accounts, claimed, sink, settings.timing)
    except useapi.Unauthorized:
        raise RunStopped("the API token was rejected (401): check USEAPI_TOKEN") from None
    except useapi.ApiError as exc:
        raise RunStopped(f"could not list the accounts (GET /accounts): {exc}") from None
    if not slots:
        raise RunStopped(
            "no account can render videos: GET /accounts lists none that supports video"
            " without an error; add one on useapi.net or name accounts in the pipeline"
        )
    return slots


def _selected(settings: RunSettings, take: ShotTake) -> bool:
    return not settings.only or take.shot.id in settings.only


def _settle(states: Sequence[TakeState], reason: str | None) -> None:
    """After a stop: a shot-take never sent is skipped; one with a job stays running."""
    for st in states:
        if st.final:
            continue
        if st.video_id is None:
            st.end("skipped", f"not sent: {reason}" if reason else "not sent")
        else:
            st.status = "running"
            st.error = f"{reason}; the job exists and a rerun resumes it" if reason else None


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, and what CI systems, `docker stop` and a closed terminal send: all end a run the
same way (stop sending, keep every job id, write the manifest and review page, exit 130)."""
_SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


async def _watch_signals(ctx: RunContext) -> None:
    with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
        async for signum in signals:
            if ctx.interrupted:  # a second one: stop waiting for the creates in flight
                ctx.abandon()
                continue
            ctx.interrupted = True
            ctx.stop(f"interrupted ({_SIGNAL_NAMES.get(signum, signum)})")


async def execute(
    settings: RunSettings,
    takes: Sequence[ShotTake],
    client: useapi.UseApi,
    sink: Sink,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    """Render every shot-take; return how each ended. Raises RunStopped for a bad token."""
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = time.time()
    settings.output.mkdir(parents=True, exist_ok=True)
    journal = Journal(settings.output / STATE_DIR, settings.backend_id or settings.base_url)
    journal.start_run(run_id, str(settings.pipeline))
    states = [TakeState(t, selected=_selected(settings, t)) for t in takes]
    earlier = earlier_entries(settings.output / MANIFEST_NAME)
    for st in states:
        carry_over(st, earlier.get(st.key))
    info = RunInfo(
        settings.pipeline, settings.output, run_id, settings.backend, settings.base_url, started
    )
    ended: list[float] = []
    history = History(settings.output)
    history.tidy()
    history.find_orphans(journal, (t.key for t in takes))
    entries = Entries(settings.output)
    writer = ManifestWriter(
        settings.output / MANIFEST_NAME,
        lambda: build(
            info,
            states,
            ended[0] if ended else None,
            history.superseded(),
            history.orphaned(),
            entries,
        ),
        entries=entries,
    )
    claimed = journal.known_video_ids()
    ctx: RunContext | None = None
    try:
        # Nothing to create (all reused, resumed by id or kept failed): no account is asked for.
        held = rerun.held_jobs(
            journal,
            [t for t in takes if _selected(settings, t)],
            retry_failed=settings.retry_failed,
            force=settings.force,
        )
        if held.needs_accounts:
            slots = await _accounts(client, settings, claimed, sink)
        else:
            slots = [AccountSlots(a.id, a.max_jobs) for a in settings.accounts]
        placement = Placement(slots, lambda a: sink.emit(account_event(a)))
        for account in held.slots.values():
            placement.occupy(account)
        async with media_client(media_transport) as media:
            ctx = RunContext(
                run_id=run_id,
                output=settings.output,
                client=client,
                media=media,
                journal=journal,
                placement=placement,
                timing=settings.timing,
                budget=Budget(settings.max_credits),
                sink=sink,
                changed=writer.changed,
                estimate=sum(t.credits for t in takes if _selected(settings, t)),
                retry_failed=settings.retry_failed,
                force=settings.force,
                only=settings.only,
                claimed=claimed,
                held=dict(held.slots),
                history=history,
                chained=chained_shots(t.shot for t in takes),
            )
            writer.on_error = ctx.stop
            sink.emit(
                RunStarted(
                    run_id=run_id,
                    backend=settings.backend,
                    base_url=settings.base_url,
                    pipeline=str(settings.pipeline),
                    output=str(settings.output),
                    takes=len(takes),
                    estimate=ctx.estimate,
                    accounts=tuple((s.id, s.max_jobs) for s in slots),
                    note=settings.note,
                )
            )
            for s in slots:
                sink.emit(account_event(s))
            writer.write()
            await _run_group(ctx, states, writer, settings.handle_sigint)
    finally:
        ended.append(time.time())
        reason = ctx.stop_reason if ctx is not None else None
        _settle(states, reason)
        writer.write()
        journal.end_run(run_id, reason or "finished")
        journal.close()
    assert ctx is not None
    outcome = _outcome(ctx, states)
    result = RunResult(
        run_id,
        tuple(states),
        outcome,
        ctx.stop_reason or _why_incomplete(ctx),
        client.requests,
        ctx.budget.spent,
        ended[0] - started,
    )
    sink.emit(
        RunFinished(
            outcome,
            tuple(sorted(result.counts.items())),
            result.spent,
            result.elapsed,
            result.requests,
            result.reason,
        )
    )
    return result


async def _run_group(
    ctx: RunContext, states: list[TakeState], writer: ManifestWriter, sigint: bool
) -> None:
    async with anyio.create_task_group() as outer:
        outer.start_soon(writer.run)
        ctx.watches = Watches(ctx.client, ctx.timing, outer, ctx.show_watched, ctx.stop)
        if sigint and threading.current_thread() is threading.main_thread():
            outer.start_soon(_watch_signals, ctx)
        outer.start_soon(
            keep_current, ctx.client, ctx.placement, lambda: _ours(ctx, states), ctx.timing
        )
        links = Links(states, FrameStore(ctx.output, ctx.journal))
        async with anyio.create_task_group() as tg:
            ctx.scope = tg.cancel_scope
            for st in states:
                tg.start_soon(run_linked, ctx, st, links)
        outer.cancel_scope.cancel()


def _ours(ctx: RunContext, states: Sequence[TakeState]) -> set[str]:
    """Every job id of this output folder: never counted as another client's."""
    return ctx.claimed | {st.video_id for st in states if st.video_id}


Outcome = Literal["completed", "incomplete", "stopped", "interrupted"]


def _outcome(ctx: RunContext, states: Sequence[TakeState]) -> Outcome:
    if ctx.interrupted:
        return "interrupted"
    if ctx.stop_reason:
        return "stopped"
    done = all(st.status == "completed" for st in states if st.selected)
    return "completed" if done else "incomplete"


def _why_incomplete(ctx: RunContext) -> str | None:
    parked = [f"{a.id} {a.parked}" for a in ctx.placement.accounts.values() if a.parked]
    return "; ".join(parked) or None
