"""The JSON the simulated API answers with: video models, accounts, scheduler entries."""

from __future__ import annotations

from typing import Any

from runner.sim.accounts import AccountState
from runner.sim.jobs import FINAL, MODERATED, STATUS_LABELS, Job, StoredFile
from runner.sim.world import World


def media_paths(job: Job) -> dict[str, str]:
    """Paths (under the server root) of a job's media: public, fetched without a token."""
    return {
        "coverURL": f"/cdn/cover/{job.number}.jpg",
        "videoURL": f"/cdn/video/{job.number}-wm.mp4",
        "downloadURL": f"/cdn/video/{job.number}.mp4",
    }


def file_url(root: str, stored: StoredFile) -> str:
    ext = "png" if stored.content_type == "image/png" else "jpg"
    return f"{root}/cdn/files/{stored.key}.{ext}"


def video_model(world: World, job: Job, root: str, *, percent: bool = True) -> dict[str, Any]:
    """GET /videos/{videoId}'s body for a job (GET /videos lists them without percent)."""
    now = world.now()
    status = job.reported_status()
    request = job.request
    model: dict[str, Any] = {
        "id": job.number,
        "videoId": job.video_id,
        "account": job.account,
        "desc": request.prompt,
        "model": request.model.name,
        "status": status,
        "statusLabel": "cancelled" if job.cancelled else STATUS_LABELS.get(status, "unknown"),
        "statusFinal": status in FINAL,
        "message": job.message(now),
        "width": job.width,
        "height": job.height,
        "duration": job.seconds,
        "createTime": world.iso(job.created_at),
        "originFiles": [
            {"id": f.file_id, "url": file_url(root, f), "type": "image"}
            for f in (request.first, request.last, *request.references)
            if f is not None
        ],
        "canAppeal": status in MODERATED,
        "canRetry": status == 3,
    }
    if request.option:
        model["options"] = request.option
    if request.model.aspect_ratio:
        model["aspectRatio"] = request.aspect
    if percent:
        model["percent"] = job.percent(now)
    if job.status() == 2:
        paths = media_paths(job)
        model["coverURL"] = root + paths["coverURL"]
        model["videoURL"] = root + paths["videoURL"]
        if world.accounts[job.account].config.plan == "paid":
            model["downloadURL"] = root + paths["downloadURL"]
    if request.reply_url:
        model["replyUrl"] = request.reply_url
    if request.reply_ref is not None:
        model["replyRef"] = request.reply_ref
    return model


def account_view(state: AccountState, world: World) -> dict[str, Any]:
    """GET /accounts/{account}: the docs' fields (get-minimax-accounts-account), no secret.

    The jwt's token is shown as the docs show it, elided; `plan` is the simulator's own.
    """
    account = state.config.id
    issued = world.iso(0.0)
    expires = world.iso(30 * 24 * 3600.0)
    view: dict[str, Any] = {
        "account": account,
        "jwt": {
            "token": "abc…secured…xyz",
            "user": {
                "deviceID": f"9{account}",
                "id": account,
                "isAnonymous": False,
                "name": f"Simulated {state.config.plan} account",
                "avatar": "",
            },
            "exp": round(world.wall(30 * 24 * 3600.0), 3),
            "iat": round(world.wall(0.0), 3),
            "host": "hailuoai.video",
            "searchParams": f"device_platform=web&app_id=3001&device_id=9{account}",
            "iat_Issued": issued,
            "exp_Expire": expires,
            "plan": state.config.plan,
        },
        "maxJobs": state.config.max_jobs,
        "supportVideo": True,
        "supportChat": True,
        "supportAudio": True,
        "supportMusic": True,
    }
    if state.on_hold:
        view["error"] = "Account on hold: unusual account activities detected"
    return view


def scheduler_entry(world: World, job: Job) -> dict[str, Any]:
    elapsed = max(0, int(world.now() - job.created_at))
    entry: dict[str, Any] = {
        "videoId": job.video_id,
        "started": world.iso(job.created_at),
        "elapsed": f"{elapsed // 60:02d}:{elapsed % 60:02d}",
    }
    if job.request.reply_url:
        entry["replyUrl"] = job.request.reply_url
    if job.request.reply_ref is not None:
        entry["replyRef"] = job.request.reply_ref
    return entry


def available(world: World) -> dict[str, Any]:
    """GET /scheduler/available: what runs, and free slots per account.

    With the `with-room` listing (the default), an account without a free slot (full or on
    hold) is left out, as useapi's own batch script assumes; with `all` it is listed with
    `available: 0`.
    """
    tracked = world.tracked()
    rows = []
    for account, state in world.accounts.items():
        executing = sum(1 for j in tracked if j.account == account)
        free = 0 if state.on_hold else max(0, state.config.max_jobs - executing)
        if free == 0 and world.config.listing == "with-room":
            continue
        rows.append(
            {
                "account": account,
                "maxJobs": state.config.max_jobs,
                "executing": executing,
                "available": free,
            }
        )
    return {"executing": [scheduler_entry(world, j) for j in tracked], "available": rows}
