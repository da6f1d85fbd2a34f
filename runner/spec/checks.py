"""The rules a JSON Schema cannot express, checked in code on each shot (defaults applied).

Local images (exist, PNG/JPEG/WebP by content, size in bytes, Sora-2's exact pixel sizes),
Director camera moves, fileIDs and accounts. Each finding is a `Finding` relative to its shot;
`runner.spec.validate` locates it in the file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.spec import camera
from runner.spec.catalogue import Catalogue, Model
from runner.spec.diagnostics import Severity
from runner.spec.images import ImageInfo, ImageProblem, inspect
from runner.spec.keypath import KeyPath
from runner.spec.schema_gen import ACCOUNT_PATTERN, FILE_ID_PATTERN, URL_PATTERN
from runner.spec.storyboard import StoryParts
from runner.spec.urls import url_problem

FILE_ID = re.compile(FILE_ID_PATTERN)
ACCOUNT = re.compile(ACCOUNT_PATTERN)
URL = re.compile(URL_PATTERN)


@dataclass(frozen=True, slots=True)
class ShotView:
    """A shot with defaults applied, as the checks see it."""

    index: int
    merged: dict[str, Any]
    origins: dict[str, str]
    """field → "defaults" or "inferred" for values the shot does not set itself."""
    model: Model | None
    """None when the model is not valid (the schema has said so)."""
    story: StoryParts = field(default_factory=StoryParts)
    """What vars, looks, the cast and a matrix made of the shot."""

    @property
    def option(self) -> str | None:
        """The option the shot renders with: its own when valid, else the model's default."""
        value = self.merged.get("options")
        if self.model is None or not self.model.options:
            return None
        return (
            value
            if isinstance(value, str) and self.model.option(value)
            else (self.model.default_option)
        )

    def frame_sources(self) -> list[tuple[KeyPath, str]]:
        """(path, text) of every non-empty frame, e.g. (("frames", "first"), "a.png")."""
        frames = self.merged.get("frames")
        if not isinstance(frames, dict):
            return []
        out: list[tuple[KeyPath, str]] = []
        for role in ("first", "last"):
            if isinstance(frames.get(role), str) and frames[role]:
                out.append((("frames", role), frames[role]))
        refs = frames.get("references")
        if isinstance(refs, list):
            out.extend(
                (("frames", "references", i), r)
                for i, r in enumerate(refs)
                if isinstance(r, str) and r
            )
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in code, relative to its shot."""

    path: KeyPath
    severity: Severity
    rule: str
    message: str
    model_rule: bool = False
    """True when the finding follows from the model (so an inferred model is mentioned)."""
    offset: int | None = None
    """Where in the value's text the problem is (a camera bracket in the prompt)."""


@dataclass(slots=True)
class ShotChecker:
    """Checks shots of one pipeline; remembers each image it has looked at."""

    cat: Catalogue
    base: Path
    accounts: frozenset[str] | None
    images: dict[Path, ImageInfo | ImageProblem] = field(default_factory=dict)

    def image(self, path: Path) -> ImageInfo | ImageProblem:
        found = self.images.get(path)
        if found is None:
            found = self.images[path] = inspect(path)
        return found

    def check(self, shot: ShotView) -> list[Finding]:
        """Every problem of one shot that the schema cannot see."""
        out: list[Finding] = []
        out += self._frames(shot)
        out += self._accounts(shot)
        out += self._prompt(shot)
        out += self._cast(shot)
        out += _select(shot)
        out += _reply_url(shot)
        return out

    def _cast(self, shot: ShotView) -> list[Finding]:
        """A cast feeds the model's reference images: only the subject models take them."""
        model = shot.model
        if not shot.story.cast or model is None:
            return []
        frames = shot.merged.get("frames")
        refs = frames.get("references") if isinstance(frames, dict) else None
        count = len(refs) if isinstance(refs, list) else 0
        lo, hi = model.references
        subjects = [m for m in self.cat.models.values() if m.references[1] > 0]
        takers = "; ".join(
            f"{', '.join(m.name for m in subjects if m.references == r)} "
            + (f"(exactly {r[0]})" if r[0] == r[1] else f"({r[0]} to {r[1]})")
            for r in dict.fromkeys(m.references for m in subjects)
        )
        if hi == 0:
            message = (
                f"{model.name} takes no reference images, so it cannot show a cast; the "
                f"models that take references are {takers}"
            )
        elif count > hi:
            own = count - len(shot.story.ref_origins)
            limit = f"exactly {hi}" if lo == hi else f"at most {hi}"
            message = (
                f"{model.name} takes {limit} reference image{'s' * (hi > 1)}, and this shot "
                f"has {count}: {len(shot.story.ref_origins)} from its cast and {own} of its "
                "own; use fewer, or another model"
            )
        else:
            return []
        return [Finding(("cast",), "error", "cast", message, model_rule=True)]

    def _frames(self, shot: ShotView) -> list[Finding]:
        out: list[Finding] = []
        from_cast = len(shot.story.ref_origins)
        for path, source in shot.frame_sources():
            if source.startswith("user:") or not _takes(shot.model, str(path[1])):
                continue  # a frame the model does not take is reported once, by the schema
            if path[1] == "references" and int(path[2]) < from_cast:
                continue  # a cast image: checked once, where the cast is written
            local = self.base / source
            info = self.image(local)
            if isinstance(info, ImageProblem):
                where = ""
                if info.message == "no such file":
                    where = f" (looked for {local}){_near_name(source, local)}"
                out.append(Finding(path, "error", "image", f"{source}: {info.message}{where}"))
                continue
            if info.bytes > self.cat.image_max_bytes:
                out.append(
                    Finding(
                        path,
                        "error",
                        "image-size",
                        f"{source} is {info.bytes / 1e6:.1f} MB; the API takes images up to"
                        f" about {self.cat.image_warn_bytes / 1e6:.0f} MB and Reel sends none"
                        f" above {self.cat.image_max_bytes / 1e6:.0f} MB: shrink it",
                    )
                )
            elif info.bytes > self.cat.image_warn_bytes:
                out.append(
                    Finding(
                        path,
                        "warning",
                        "image-size",
                        f"{source} is {info.bytes / 1e6:.1f} MB; uploads above "
                        f"{self.cat.image_warn_bytes / 1e6:.0f} MB may be refused: "
                        "shrink it",
                    )
                )
            if path == ("frames", "first"):
                out += self._exact_size(shot, source, info)
        frames = shot.merged.get("frames")
        if isinstance(frames, dict):
            first, last = frames.get("first"), frames.get("last")
            if isinstance(first, str) and first == last and FILE_ID.match(first):
                out.append(
                    Finding(
                        ("frames", "last"),
                        "error",
                        "frames",
                        "the end frame is the same fileID as the first frame, which "
                        "the API refuses; upload the image again for a second fileID "
                        "(or give the local file: Reel uploads it twice)",
                    )
                )
        return out

    def _exact_size(self, shot: ShotView, source: str, info: ImageInfo) -> list[Finding]:
        model = shot.model
        if model is None or not model.first_sizes:
            return []
        ratio = shot.merged.get("aspectRatio", self.cat.default_aspect_ratio)
        want = model.first_sizes.get(ratio) if isinstance(ratio, str) else None
        if want is None or (info.width, info.height) == want:
            return []
        fits = [r for r, size in model.first_sizes.items() if size == (info.width, info.height)]
        if fits:
            hint = f'set aspectRatio: "{fits[0]}" for this image'
        else:
            hint = f"resize it to {want[0]}x{want[1]}"
        return [
            Finding(
                ("frames", "first"),
                "error",
                "image-size",
                f"{model.name} needs a first frame of exactly {want[0]}x{want[1]} for "
                f"aspectRatio {ratio}, and {source} is {info.width}x{info.height}; {hint}",
                model_rule=True,
            )
        ]

    def _accounts(self, shot: ShotView) -> list[Finding]:
        out: list[Finding] = []
        pinned = shot.merged.get("account")
        # An account id that is not one at all is the schema's to report, once.
        pinned = pinned if isinstance(pinned, str) and ACCOUNT.match(pinned) else None
        if pinned and self.accounts is not None and pinned not in self.accounts:
            out.append(
                Finding(
                    ("account",),
                    "error",
                    "account",
                    f"account {pinned!r} is not among accounts: "
                    f"({', '.join(sorted(self.accounts))}); add it there or fix it",
                )
            )
        owner: tuple[KeyPath, str] | None = None
        for path, source in shot.frame_sources():
            m = FILE_ID.match(source)
            if m is None:
                continue
            account = m.group(1)
            if owner is not None and owner[1] != account:
                out.append(
                    Finding(
                        path,
                        "error",
                        "file-id",
                        f"this fileID is on account {account} but "
                        f"{_show(owner[0])} is on {owner[1]}; all images of a shot "
                        "must belong to one account",
                    )
                )
                continue
            owner = owner or (path, account)
            if pinned and account != pinned:
                out.append(
                    Finding(
                        path,
                        "error",
                        "file-id",
                        f"this fileID is on account {account} but the shot is pinned "
                        f"to account {pinned}; a shot renders on the account that "
                        "holds its images",
                    )
                )
            elif self.accounts is not None and account not in self.accounts:
                out.append(
                    Finding(
                        path,
                        "error",
                        "file-id",
                        f"this fileID is on account {account}, which is not among "
                        f"accounts: ({', '.join(sorted(self.accounts))}); add it",
                    )
                )
        return out

    def _prompt(self, shot: ShotView) -> list[Finding]:
        prompt = shot.merged.get("prompt")
        if isinstance(prompt, str) and not prompt.strip() and not shot.frame_sources():
            message = "a shot without frames needs a prompt, and this one is empty; write one"
            return [Finding(("prompt",), "error", "prompt", message)]
        if not isinstance(prompt, str) or shot.model is None:
            return []
        cat = self.cat
        if shot.model.director:
            return [
                Finding(("prompt",), "error", "camera", p.message, model_rule=True, offset=p.offset)
                for p in camera.check_director(prompt, cat.camera_moves, cat.max_camera_moves)
            ]
        strays = camera.stray_moves(prompt, cat.camera_moves)
        if not strays:
            return []
        directors = [m.name for m in cat.models.values() if m.director]
        return [
            Finding(
                ("prompt",),
                "warning",
                "camera",
                f"{shot.model.name} ignores camera moves such as {strays[0][1]}; only "
                f"{' and '.join(directors)} read them",
                model_rule=True,
                offset=strays[0][0],
            )
        ]


def _select(shot: ShotView) -> list[Finding]:
    """`select:` names one of the shot's takes (the schema has checked its type and range)."""
    select, takes = shot.merged.get("select"), shot.merged.get("takes", 1)
    if not isinstance(select, int) or not isinstance(takes, int) or select <= takes:
        return []
    which = "take 1" if takes == 1 else f"takes 1 to {takes}"
    return [
        Finding(
            ("select",),
            "error",
            "select",
            f"select: {select} names no take; the shot has {which}: choose one of them or "
            f"raise takes to {select}",
        )
    ]


def _near_name(source: str, local: Path) -> str:
    """`; did you mean 'images/door-closed.png'?` for a file of a close name beside it."""
    try:
        names = [p.name for p in local.parent.iterdir() if p.is_file()]
    except OSError:
        return ""
    found = difflib.get_close_matches(local.name, names, n=1, cutoff=0.75)
    if not found:
        return ""
    head, sep, _ = source.replace("\\", "/").rpartition("/")
    return f"; did you mean {head + sep + found[0]!r}?"


def _reply_url(shot: ShotView) -> list[Finding]:
    """What the schema's pattern lets through: a URL without a valid host or port."""
    url = shot.merged.get("replyUrl")
    if not isinstance(url, str) or URL.match(url) is None:
        return []  # the schema has said so
    problem = url_problem(url)
    if problem is None:
        return []
    message = f"{url[:60]!r} is not a valid URL: {problem}"
    return [Finding(("replyUrl",), "error", "reply", message)]


def _takes(model: Model | None, role: str) -> bool:
    """Whether the model takes this kind of frame at all (any model might, if unknown)."""
    if model is None:
        return True
    if role == "first":
        return model.first != "none"
    if role == "last":
        return model.allows_last
    return model.references[1] > 0


def _show(path: KeyPath) -> str:
    from runner.spec.keypath import render

    return render(path)
