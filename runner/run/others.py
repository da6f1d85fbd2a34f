"""What other clients run on the run's accounts, from `GET /scheduler/available`, kept current.

Another client (a second Reel, useapi's own script, the web site) may hold slots of the same
accounts. Reel counts them at the start and looks again every `POLL_MAX` (scaled) while any
account still has slots held by others, so that a slot they free is used, and a shot pinned to
an account that others fill waits for it instead of forever.

The docs leave open whether a full account is listed with `available: 0` or left out; both
readings are handled the same way. An account's others are the jobs of the `executing` list on
it that are not Reel's; without that list, the row's `executing` count less Reel's own jobs; an
account absent from a list that has no jobs on it either is full (held by others) until a later
look lists it. Absent never means gone: the account stays in the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence

import anyio

from runner.api import useapi
from runner.api.records import Available, SchedulerJob
from runner.run.placement import AccountSlots, Placement
from runner.run.retry import Timing


def count_others(
    slots: Sequence[AccountSlots],
    available: Sequence[Available],
    executing: Sequence[SchedulerJob],
    ours: Collection[str],
) -> dict[str, int]:
    """Jobs others hold per account of the run, by the rules of the module docstring."""
    on_account: Counter[str] = Counter(
        j.account for j in executing if j.account and j.video_id not in ours
    )
    listed = {a.account: a for a in available}
    counts: dict[str, int] = {}
    for slot in slots:
        row = listed.get(slot.id)
        if executing:
            counts[slot.id] = on_account[slot.id]
        elif row is not None:  # counts without the job list: all but ours are others'
            counts[slot.id] = max(0, row.executing - slot.ours)
        elif available:  # left out of a list that names accounts: full
            counts[slot.id] = max(0, slot.max_jobs - slot.ours)
        else:  # nothing listed and nothing running: no one else holds a slot
            counts[slot.id] = 0
    return counts


async def keep_current(
    client: useapi.UseApi,
    placement: Placement,
    ours: Callable[[], Collection[str]],
    timing: Timing,
) -> None:
    """Look again while others hold slots; hand the slots they free to waiting shot-takes."""
    while True:
        busy = [a for a in placement.accounts.values() if a.others and a.parked is None]
        if not busy:
            return
        await anyio.sleep(timing.poll_max)
        try:
            available, executing = await client.available()
        except useapi.Unauthorized:
            return  # the shot-takes meet it too and stop the run
        except useapi.ApiError:
            continue  # a look that failed changes nothing; the next one may work
        counts = count_others(list(placement.accounts.values()), available, executing, ours())
        placement.set_others(counts)
