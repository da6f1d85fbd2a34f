"""The baseline: a client built the way useapi's own batch script works (video/videos.mjs).

What the script does, step by step, ported faithfully with httpx and every wait scaled by the
same factor as Reel's (1/speed):

- `GET /accounts`, keep those with `supportVideo` and no `error`;
- for each prompt in file order, one at a time: `GET /scheduler/available`, leave out accounts
  that ran out of credits, take the first one listed; none → sleep 20 s and ask again;
- upload the prompt's file to that account (cached per account and file name), then
  `POST /videos/create` with `{account, fileID, ...fields}`;
- 429, 502 and 504: sleep 20 s and resend (after a 502/504 the job may exist: it may pay
  twice); 412: drop the account and try again; 422 and others: log and move on; 596: stop;
- once every prompt is sent, for each video id in order: `GET /videos/{id}` every 30 s until
  `statusFinal`, then download `downloadURL ?? videoURL` (without the token);
- errors it does not handle end it as they end the script: a dropped connection or an odd
  reply while sending ends the run before any download (its `main()` catch), an error while
  polling ends the download phase; a failed media download is logged and skipped.

One charitable reading: the script takes `available[0]` without looking at its free slots,
trusting useapi to list only accounts that have some. The simulator lists every account, so
this port keeps only rows with `available > 0`; taken literally it would send every job to the
first account and 429 its way through, which would be far slower.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runner.state.plan import ShotTake

SLEEP_429 = 20.0
SLEEP_DOWNLOAD = 30.0


class _Exit(Exception):
    """Where the script calls process.exit(1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NaiveResult:
    elapsed: float
    submitted: float
    """Seconds until the last create was sent (then the script only polls and downloads)."""
    requests: int
    created: int
    downloaded: int
    moderated: int
    stopped: str | None


def prompt_fields(take: ShotTake) -> tuple[Path | None, dict[str, Any]]:
    """The script's prompt object for a shot: its local `file` and the fields sent as-is."""
    shot = take.shot
    fields: dict[str, Any] = {"model": shot.model}
    for key, value in (
        ("prompt", shot.prompt),
        ("options", shot.options),
        ("aspectRatio", shot.aspect_ratio),
        ("promptOptimization", shot.prompt_optimization),
    ):
        if value is not None:
            fields[key] = value
    first = shot.frames.first
    return (first.path if first is not None else None), fields


class NaiveClient:
    """useapi's batch script, sequential as it is."""

    def __init__(self, base_url: str, token: str, scale: float, out: Path) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.media = httpx.Client(timeout=60)
        self.scale = scale
        self.out = out
        self.requests = 0
        self.uploaded: dict[tuple[str, Path], str | None] = {}
        self.out_of_credits: list[str] = []

    def _get(self, path: str) -> httpx.Response:
        self.requests += 1
        return self.http.get(path)

    def _upload(self, account: str, file: Path) -> str | None:
        if (account, file) not in self.uploaded:
            self.requests += 1
            ext = file.suffix.lstrip(".").replace("jpg", "jpeg")
            r = self.http.post(
                "/files/",
                params={"account": account},
                content=file.read_bytes(),
                headers={"Content-Type": f"image/{ext}"},
            )
            self.uploaded[account, file] = r.json().get("fileID") if r.status_code == 200 else None
        return self.uploaded[account, file]

    def submit(self, file: Path | None, fields: dict[str, Any]) -> tuple[int, str | None]:
        """One pass of the script's submitPrompt: (status it returns, videoId)."""
        reply = self._get("/scheduler/available")
        data = reply.json()
        if not isinstance(data, dict) or "available" not in data:
            # The script reads `availableJSON.available.filter(...)`: a TypeError in Node.
            raise _Exit(
                f"error during execution: GET /scheduler/available answered HTTP "
                f"{reply.status_code} (the script's `available.filter` throws)"
            )
        rows = data["available"]
        free = [
            a for a in rows if a["account"] not in self.out_of_credits and a.get("available", 0) > 0
        ]
        if not free:
            return 429, None
        account = free[0]["account"]
        file_id = self._upload(account, file) if file is not None else None
        body = {"account": account, **({"fileID": file_id} if file_id else {}), **fields}
        self.requests += 1
        r = self.http.post("/videos/create", json=body)
        if r.status_code == 200:
            return 200, r.json().get("videoId")
        if r.status_code in (429, 502, 504):
            return 429, None
        if r.status_code == 412:
            self.out_of_credits.append(account)
        return r.status_code, None

    def download_all(self, video_ids: list[str]) -> tuple[int, int, str | None]:
        """The script's download(): poll each video in turn every 30 s, then fetch it. An
        error while polling ends the whole phase (its outer catch); a failed media fetch is
        logged and the next video goes on (its inner catch)."""
        done = moderated = 0
        try:
            for video_id in video_ids:
                while True:
                    r = self._get(f"/videos/{video_id}")
                    if r.status_code != 200:
                        moderated += 1
                        break
                    video = r.json()
                    if video.get("statusFinal"):
                        url = video.get("downloadURL") or video.get("videoURL")
                        if url:
                            done += self._fetch(video_id, url)
                        break
                    time.sleep(SLEEP_DOWNLOAD * self.scale)
        except (httpx.HTTPError, ValueError) as exc:
            return done, moderated, f"error during download: {type(exc).__name__}"
        return done, moderated, None

    def _fetch(self, video_id: str, url: str) -> int:
        self.requests += 1
        try:
            media = self.media.get(url)
        except httpx.HTTPError:
            return 0
        if media.status_code != 200:
            return 0
        (self.out / (video_id.replace(":", "_") + ".mp4")).write_bytes(media.content)
        return 1

    def submit_all(self, takes: list[ShotTake], video_ids: list[str]) -> None:
        """The script's execute(): every prompt in turn. Raises _Exit where it exits."""
        accounts = self._get("/accounts").json()
        usable = [a for a in accounts.values() if a.get("supportVideo") and not a.get("error")]
        for take in takes:
            file, fields = prompt_fields(take)
            while True:
                code, video_id = self.submit(file, fields)
                if code == 429:
                    time.sleep(SLEEP_429 * self.scale)
                elif code == 412:
                    if len(self.out_of_credits) == len(usable):
                        raise _Exit("all accounts out of credits")
                elif code == 596:
                    raise _Exit("an account is on hold")
                else:
                    if video_id:
                        video_ids.append(video_id)
                    break

    def run(self, takes: list[ShotTake]) -> NaiveResult:
        """The script's main(): submit everything, then download everything. Where the script
        exits or its outer catch ends it, nothing is downloaded (the user runs it again)."""
        start = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        video_ids: list[str] = []
        stopped: str | None = None
        try:
            self.submit_all(takes, video_ids)
        except _Exit as exc:
            stopped = exc.reason
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            stopped = f"error during execution: {type(exc).__name__}: {exc}"
        submitted = time.perf_counter() - start
        done = moderated = 0
        if stopped is None:
            done, moderated, stopped = self.download_all(video_ids)
        return NaiveResult(
            time.perf_counter() - start,
            submitted,
            self.requests,
            len(video_ids),
            done,
            moderated,
            stopped,
        )

    def close(self) -> None:
        self.http.close()
        self.media.close()
