"""Figures computed from the simulator's ledger (GET /_sim/ledger), the judge of every run.

Times in the ledger are seconds on the simulator's clock. The lower bound of a run is the
physical limit of the accounts: max(longest render, total render time / total render slots),
render slots being 1 per free account and 2 per paid one, whatever any client does.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tests.bench.workload import RENDER_SLOTS

Ledger = dict[str, Any]
VIDEO_MEDIA = "/cdn/video/"
"""Where the simulator serves videos (`/cdn/video/<number>.mp4`, `-wm` when watermarked)."""


@dataclass(frozen=True, slots=True)
class RunFigures:
    """What one client's run achieved, judged by the ledger."""

    makespan: float
    lower_bound: float
    utilisation_min: float
    utilisation_mean: float
    requests: int
    videos: int
    detection_lag: float
    duplicates: int
    renders_ratio: float
    """(last render's end - first request) / lower bound: the makespan without the tail of
    downloads after the last render (where a client that downloads one by one loses)."""

    @property
    def makespan_ratio(self) -> float:
        return self.makespan / self.lower_bound

    @property
    def requests_per_video(self) -> float:
        return self.requests / max(1, self.videos)


def lower_bound(ledger: Ledger) -> float:
    """max(longest render, total render seconds / render slots of all accounts)."""
    renders = [float(j["renderSeconds"]) for j in ledger["jobs"] if j["startedAt"] is not None]
    slots = sum(RENDER_SLOTS[a["plan"]] for a in ledger["accounts"].values())
    return max(max(renders, default=0.0), sum(renders) / slots)


def window(ledger: Ledger) -> tuple[float, float]:
    """From the client's first request to its last download, on the simulator's clock."""
    api = [r["t"] for r in ledger["requests"] if not r["path"].startswith("/_sim")]
    ends = [d["t"] for d in ledger["downloads"]] or api
    return min(api), max(ends)


def utilisation(ledger: Ledger, start: float, end: float) -> dict[str, float]:
    """Per account: rendering seconds inside [start, end] / (its render slots x (end - start))."""
    busy: dict[str, float] = defaultdict(float)
    for job in ledger["jobs"]:
        began, ended = job["startedAt"], job["finishedAt"]
        if began is None:
            continue
        ended = end if ended is None else ended
        busy[job["account"]] += max(0.0, min(ended, end) - max(began, start))
    span = max(end - start, 1e-9)
    return {
        account: busy[account] / (RENDER_SLOTS[info["plan"]] * span)
        for account, info in ledger["accounts"].items()
    }


def detection_lag(ledger: Ledger) -> float:
    """Median over completed jobs of (first download start - finishedAt) / renderSeconds.

    A download starts when its request reaches the simulator (the `requests` table); the
    `downloads` table is written only once the simulator has made the media, tens of
    milliseconds later, which is the simulator's time, not the client's."""
    number_of = {j["videoId"].rsplit(":", 1)[-1]: j for j in ledger["jobs"]}
    first: dict[str, float] = {}
    for r in ledger["requests"]:
        path: str = r["path"]
        if path.startswith(VIDEO_MEDIA):
            number = path[len(VIDEO_MEDIA) :].removesuffix(".mp4").removesuffix("-wm")
            first[number] = min(r["t"], first.get(number, r["t"]))
    lags = [
        (first[n] - j["finishedAt"]) / j["renderSeconds"]
        for n, j in number_of.items()
        if n in first and j["finishedAt"] is not None and j["renderSeconds"] > 0
    ]
    return statistics.median(lags) if lags else float("nan")


def api_requests(ledger: Ledger) -> int:
    """Every HTTP request of the client (API calls and media downloads), not the ledger's own."""
    return sum(1 for r in ledger["requests"] if not r["path"].startswith("/_sim"))


def prompt_of(create: dict[str, Any]) -> str:
    body = create.get("body") or {}
    return str(body.get("prompt", ""))


def duplicates(ledger: Ledger) -> int:
    """Prompts (one per shot-take) that got more than one job."""
    counts: dict[str, int] = defaultdict(int)
    for create in ledger["creates"]:
        counts[prompt_of(create)] += 1
    return sum(1 for n in counts.values() if n > 1)


def figures(ledger: Ledger, makespan: float) -> RunFigures:
    start, end = window(ledger)
    shares = utilisation(ledger, start, start + makespan if makespan else end)
    videos = sum(1 for j in ledger["jobs"] if j["status"] == 2)
    ends = [j["finishedAt"] for j in ledger["jobs"] if j["finishedAt"] is not None]
    bound = lower_bound(ledger)
    return RunFigures(
        makespan=makespan,
        lower_bound=bound,
        utilisation_min=min(shares.values()),
        utilisation_mean=statistics.fmean(shares.values()),
        requests=api_requests(ledger),
        videos=videos,
        detection_lag=detection_lag(ledger),
        duplicates=duplicates(ledger),
        renders_ratio=(max(ends, default=start) - start) / bound if bound else float("nan"),
    )


def chain_of(prompt: str) -> str | None:
    """`Chain 3, link 1` → `3` (the benchmark's chained shots say so in their prompt)."""
    if not prompt.startswith("Chain "):
        return None
    return prompt.removeprefix("Chain ").split(",", 1)[0]


def dag_lower_bound(ledger: Ledger) -> float:
    """max(the longest chain's render seconds, total render seconds / render slots): no run of
    that storyboard can finish sooner. Extraction and upload between links are not added, so
    the bound is, if anything, lower than the true one (the ratio errs against Reel)."""
    prompt = {c["videoId"]: prompt_of(c) for c in ledger["creates"]}
    chains: dict[str, float] = defaultdict(float)
    for job in ledger["jobs"]:
        chain = chain_of(prompt.get(job["videoId"], ""))
        if chain is not None and job["startedAt"] is not None:
            chains[chain] += float(job["renderSeconds"])
    return max(max(chains.values(), default=0.0), lower_bound(ledger))
