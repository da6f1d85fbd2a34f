"""Typed replies of the useapi.net MiniMax API, read leniently.

Each `from_json` takes whatever dict arrived: missing fields get defaults, wrong types are
ignored, extra fields are dropped. Nothing here raises on a surprising reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_ACCOUNT_IN_ID = re.compile(r"-minimax:([^-:]+)-")


def account_of(resource_id: str) -> str | None:
    """The MiniMax account named inside a fileID or videoId (`user:1-minimax:<account>-…`)."""
    m = _ACCOUNT_IN_ID.search(resource_id)
    return m.group(1) if m else None


def _str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _int(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _time(raw: dict[str, Any], *keys: str) -> float | None:
    """A timestamp (epoch seconds) from ISO text or epoch seconds/milliseconds."""
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) / 1000 if value > 1e11 else float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _origin_ids(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(f["id"] for f in value if isinstance(f, dict) and isinstance(f.get("id"), str))


@dataclass(frozen=True, slots=True)
class Account:
    """One configured MiniMax account (GET /accounts)."""

    id: str
    max_jobs: int
    support_video: bool
    error: str | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Account:
        support = raw.get("supportVideo")
        return cls(
            id=_str(raw, "account") or "",
            max_jobs=max(1, _int(raw, "maxJobs") or 1),
            support_video=support is not False,
            error=_str(raw, "error"),
        )


@dataclass(frozen=True, slots=True)
class Available:
    """Free video slots of one account (GET /scheduler/available)."""

    account: str
    max_jobs: int | None
    executing: int
    available: int | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Available:
        return cls(
            account=_str(raw, "account") or "",
            max_jobs=_int(raw, "maxJobs"),
            executing=_int(raw, "executing") or 0,
            available=_int(raw, "available"),
        )


@dataclass(frozen=True, slots=True)
class SchedulerJob:
    """A job useapi is tracking (GET /scheduler)."""

    video_id: str
    started: float | None
    reply_ref: str | None

    @property
    def account(self) -> str | None:
        return account_of(self.video_id)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SchedulerJob:
        return cls(
            video_id=_str(raw, "videoId") or "",
            started=_time(raw, "started"),
            reply_ref=_str(raw, "replyRef"),
        )


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded image (POST /files)."""

    file_id: str
    oss_path: str | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Upload:
        return cls(file_id=_str(raw, "fileID") or "", oss_path=_str(raw, "ossPath"))


@dataclass(frozen=True, slots=True)
class Created:
    """The answer to POST /videos/create."""

    video_id: str

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Created:
        return cls(video_id=_str(raw, "videoId") or "")


QUEUED_STATUSES = frozenset({11, 0})
COMPLETED = 2
FAILED = 3
MODERATED_STATUSES = frozenset({5, 7, 14})


@dataclass(frozen=True, slots=True)
class Video:
    """A video's state (GET /videos/{videoId} or one item of GET /videos)."""

    video_id: str
    status: int | None
    status_label: str | None
    final: bool
    percent: int | None
    message: str | None
    desc: str | None
    model: str | None
    options: str | None
    aspect_ratio: str | None
    file_ids: frozenset[str]
    """The ids of its frames (originFiles), when the reply lists them."""
    created: float | None
    video_url: str | None
    download_url: str | None
    width: int | None
    height: int | None

    @property
    def queued(self) -> bool:
        return self.status in QUEUED_STATUSES

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def moderated(self) -> bool:
        return self.status in MODERATED_STATUSES

    @property
    def media_url(self) -> str | None:
        """downloadURL (no watermark, paid accounts) when present, else videoURL."""
        return self.download_url or self.video_url

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Video:
        status = _int(raw, "status")
        final = raw.get("statusFinal")
        if not isinstance(final, bool):
            final = status in {COMPLETED, FAILED} | MODERATED_STATUSES
        return cls(
            video_id=_str(raw, "videoId") or _str(raw, "id") or "",
            status=status,
            status_label=_str(raw, "statusLabel"),
            final=final,
            percent=_int(raw, "percent"),
            message=_str(raw, "message"),
            desc=_str(raw, "desc") if "desc" in raw else _str(raw, "prompt"),
            model=_str(raw, "model"),
            options=_str(raw, "options"),
            aspect_ratio=_str(raw, "aspectRatio"),
            file_ids=_origin_ids(raw.get("originFiles")),
            created=_time(raw, "createdAt", "created", "createTime", "created_at"),
            video_url=_str(raw, "videoURL"),
            download_url=_str(raw, "downloadURL"),
            width=_int(raw, "width"),
            height=_int(raw, "height"),
        )
