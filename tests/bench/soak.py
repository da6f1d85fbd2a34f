"""The fault soak: 200 shot-takes with every fault at once, judged by the simulator's ledger.

Faults (runner/sim/faults.py): 20 % of creates answer 429; 10 % answer 502/504, half of those
with the job queued (and charged) anyway; 5 % of every other API call answers 502/504; 2 % of
calls lose their connection (half before the request is processed, half after: a create then
exists without its reply); 2 % of downloads are truncated. Account 222222 goes on hold after its
30th create; account 111111 runs out of credits after a few hundred.

Every shot has its own prompt, so the ledger's creates map to shot-takes by prompt:
- `duplicates`: shot-takes with more than one job in the ledger;
- `lost`: shot-takes neither completed (with an intact output file) nor ended by the API's own
  verdict (their job failed or was moderated in the ledger); giving up on a passing fault loses
  the shot-take, whatever reason the manifest gives.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.spec.validate import load_pipeline
from runner.state.plan import make_plan, sha256_file
from tests.bench import workload
from tests.bench.metrics import duplicates, prompt_of
from tests.bench.naive import NaiveClient
from tests.bench.runs import run_reel
from tests.bench.simproc import SimProcess, SimSpec

SHOTS = 200
SPEED = 600.0
ACCOUNTS: tuple[workload.Account, ...] = (
    ("111111", "free", 2, 600),
    ("222222", "paid", 3, None),
    ("333333", "paid", 3, None),
)
FAULTS: dict[str, Any] = {
    "spurious_429": 0.20,
    "busy_queued_502": 0.025,
    "busy_queued_504": 0.025,
    "busy_502": 0.025,
    "busy_504": 0.025,
    "reset_before": 0.01,
    "reset_after": 0.01,
    "truncate": 0.02,
    "own_endpoints": True,  # 502/504 and resets on /accounts and /scheduler* too
    "hold_after": [["222222", 30]],
}


@dataclass(frozen=True, slots=True)
class SoakResult:
    shot_takes: int
    duplicates: int
    lost: int
    lost_keys: tuple[str, ...]
    statuses: dict[str, int]
    reasons: dict[str, int]
    orphan_jobs: int
    """Jobs in the ledger (paid for) that the manifest does not name."""
    credits_manifest: int
    credits_ledger: int
    credits_unsure: int
    credits_named: int
    """What the ledger charged for the jobs the manifest names: must be creditsSpent."""
    """What the manifest counts as possibly charged (creates lost and never found)."""
    unsure_orphans: int
    """Orphan jobs the manifest owns up to: at most one per shot-take that stopped after its
    creates were lost (and counted them as unsure), telling the user to check the account."""
    peak_over_max: tuple[str, ...]
    met: dict[str, int]
    """Faults and refusals the run met (evidence that the soak soaked)."""
    elapsed: float
    outcome: str


def explained(shot: dict[str, Any], output: Path, jobs: dict[str, dict[str, Any]]) -> bool:
    """Completed with an intact file, or ended by the API's own verdict: its job failed or was
    moderated in the ledger. A shot-take Reel gave up on (a passing fault, a lookup that kept
    failing), or one whose job completed but whose video is not on disk, is lost, whatever
    reason the manifest gives."""
    status = shot["status"]
    if status == "completed":
        out = shot.get("output") or {}
        path = output / str(out.get("path", ""))
        return bool(out) and path.is_file() and sha256_file(path) == out.get("sha256")
    if (
        status == "failed"
        and shot.get("videoId") is None
        and shot.get("creditsUnsure", 0) > 0
        and "(not resent)" in str(shot.get("error"))
    ):
        # Reel stopped on purpose after its one blind resend, said what to check and counted
        # what may have been charged; a job it may have made is judged as an orphan (unsure).
        return True
    job = jobs.get(str(shot.get("videoId")))
    return (
        status in ("failed", "moderated")
        and bool(shot.get("error"))
        and job is not None
        and job["outcome"] == status
    )


def judge(manifest: dict[str, Any], ledger: dict[str, Any], output: Path) -> dict[str, Any]:
    shots: list[dict[str, Any]] = manifest["shots"]
    jobs = {j["videoId"]: j for j in ledger["jobs"]}
    lost = [s["key"] for s in shots if not explained(s, output, jobs)]
    named = {s["videoId"] for s in shots if s.get("videoId")}
    reasons = Counter((s.get("error") or "")[:60] for s in shots if s["status"] != "completed")
    over = tuple(
        a for a, peak in ledger["peakJobs"].items() if peak > ledger["accounts"][a]["maxJobs"]
    )
    return {
        "lost_keys": tuple(lost),
        "statuses": dict(Counter(s["status"] for s in shots)),
        "reasons": dict(reasons),
        "orphan_jobs": sum(1 for c in ledger["creates"] if c["videoId"] not in named),
        "credits_manifest": int(manifest["totals"]["creditsSpent"]),
        "credits_ledger": sum(int(c["credits"]) for c in ledger["creates"]),
        "credits_named": sum(int(c["credits"]) for c in ledger["creates"] if c["videoId"] in named),
        "credits_unsure": int(manifest["totals"].get("creditsUnsure", 0)),
        "unsure_orphans": sum(
            (s.get("creditsUnsure") or 0) // max(1, s.get("creditsEstimated") or 1)
            for s in shots
            if "check that account's videos" in (s.get("error") or "")
        ),
        "peak_over_max": over,
        "met": met(ledger),
    }


def met(ledger: dict[str, Any]) -> dict[str, int]:
    """How many of each fault the simulator injected and of each refusal it answered."""
    found: Counter[str] = Counter(str(f["kind"]) for f in ledger["faults"])
    found.update(f"HTTP {r['status']}" for r in ledger["refusals"])
    return dict(sorted(found.items()))


def soak(
    folder: Path,
    shots: int = SHOTS,
    speed: float = SPEED,
    seed: int = 7,
    accounts: tuple[workload.Account, ...] = ACCOUNTS,
    faults: dict[str, Any] | None = None,
) -> SoakResult:
    folder.mkdir(parents=True, exist_ok=True)
    pipeline = workload.storyboard(folder, shots, accounts)
    spec = SimSpec(accounts, speed, FAULTS if faults is None else faults, seed)
    with SimProcess(spec) as sim:
        child = run_reel(pipeline, sim, 1 / speed, folder)
        ledger = sim.ledger()
    (folder / "ledger.json").write_text(json.dumps(ledger), encoding="utf-8")
    output = Path(child["output"])
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    prompts = {s["prompt"] for s in manifest["shots"]}
    missing = {prompt_of(c) for c in ledger["creates"]} - prompts
    assert not missing, f"jobs for prompts not in the manifest: {sorted(missing)[:3]}"
    verdict = judge(manifest, ledger, output)
    return SoakResult(
        shot_takes=len(manifest["shots"]),
        duplicates=duplicates(ledger),
        lost=len(verdict["lost_keys"]),
        elapsed=float(child["elapsed"]),
        outcome=str(child["outcome"]),
        **verdict,
    )


@dataclass(frozen=True, slots=True)
class NaiveSoak:
    """useapi's script on the same soak: how far it got and what it paid twice."""

    created: int
    downloaded: int
    duplicates: int
    stopped: str | None
    credits_twice: int
    """Credits of the jobs beyond the first of each shot-take (paid for nothing)."""


CREATE_FAULTS: dict[str, Any] = {
    "spurious_429": 0.20,
    "busy_queued_502": 0.05,
    "busy_queued_504": 0.05,
}
"""Only the faults the naive client survives (it ends at the first error it does not handle):
429s and 502/504s on creates, half of the soak's 502/504s being queued anyway."""
PLENTY_ACCOUNTS = tuple((a, plan, n, None) for a, plan, n, _c in ACCOUNTS)


def naive_soak(
    folder: Path,
    shots: int = SHOTS,
    speed: float = SPEED,
    seed: int = 7,
    faults: dict[str, Any] | None = None,
    accounts: tuple[workload.Account, ...] = ACCOUNTS,
) -> NaiveSoak:
    folder.mkdir(parents=True, exist_ok=True)
    pipe, diagnostics = load_pipeline(workload.storyboard(folder, shots, accounts))
    assert pipe is not None, [d.render() for d in diagnostics[:5]]
    spec = SimSpec(accounts, speed, FAULTS if faults is None else faults, seed)
    with SimProcess(spec) as sim:
        client = NaiveClient(sim.base_url, sim.token, 1 / speed, folder / "naive-out")
        try:
            result = client.run(list(make_plan(pipe).takes))
        finally:
            client.close()
        ledger = sim.ledger()
    (folder / "ledger.json").write_text(json.dumps(ledger), encoding="utf-8")
    return NaiveSoak(
        created=len(ledger["creates"]),
        downloaded=result.downloaded,
        duplicates=duplicates(ledger),
        stopped=result.stopped,
        credits_twice=credits_twice(ledger),
    )


def credits_twice(ledger: dict[str, Any]) -> int:
    """Credits spent on creates beyond the first of each prompt (shot-take)."""
    seen: set[str] = set()
    extra = 0
    for create in ledger["creates"]:
        prompt = prompt_of(create)
        if prompt in seen:
            extra += int(create["credits"])
        seen.add(prompt)
    return extra
