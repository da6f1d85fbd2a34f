"""Check a POST /videos/create body the way useapi.net does, straight from the catalogue.

Written apart from the pipeline validator on purpose: if one of them misreads the API, tests
that run the runner against the simulator show it. The first broken rule is the answer
(400 `{"error": ..., "code": 400}`), as the real service reports one problem at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runner.sim.jobs import CreateRequest, StoredFile
from runner.spec.catalogue import Catalogue, Model

MAX_REFERENCES = 14
REFERENCE_KEYS = tuple(f"fileID{n}" for n in range(2, MAX_REFERENCES + 1))
_STRINGS = (
    "account",
    "prompt",
    "model",
    "options",
    "aspectRatio",
    "fileID",
    "end_frame_fileID",
    "replyUrl",
    "replyRef",
    *REFERENCE_KEYS,
)
KNOWN = frozenset({*_STRINGS, "promptOptimization", "maxJobs"})
_FILE_ID = re.compile(r"^user:(\d+)-minimax:([^-:/]+)-file:([A-Za-z0-9]+)$")


class BodyError(Exception):
    """The body breaks a rule; the message is the API's error text."""


def check_create(
    body: object,
    *,
    catalogue: Catalogue,
    find_file: Callable[[str], StoredFile | None],
    accounts: frozenset[str],
    pick_account: Callable[[], str],
) -> CreateRequest:
    """The typed request, or BodyError naming the first rule the body breaks."""
    if not isinstance(body, dict):
        raise BodyError("Request body must be a JSON object")
    _check_shapes(body, catalogue)
    model = _model(body, catalogue)
    option = _option(body, model)
    account = _account(body, find_file, accounts, pick_account)
    first, last, references = _frames(body, model, option, catalogue, find_file, account)
    aspect = _aspect(body, model, catalogue, first)
    if first is not None and first.size_known and model.first_sizes is not None:
        want = model.first_sizes[aspect]
        if (first.width, first.height) != want:
            raise BodyError(
                f"Model {model.name} requires fileID image of exactly {want[0]}x{want[1]} for "
                f"aspectRatio {aspect}, got {first.width}x{first.height}"
            )
    return CreateRequest(
        account=account,
        model=model,
        option=option,
        prompt=body.get("prompt") or "",
        prompt_optimization=bool(body.get("promptOptimization", False)),
        first=first,
        last=last,
        references=references,
        aspect=aspect,
        max_jobs=body.get("maxJobs"),
        reply_url=body.get("replyUrl"),
        reply_ref=body.get("replyRef"),
        body=dict(body),
    )


def _check_shapes(body: dict[str, Any], catalogue: Catalogue) -> None:
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise BodyError(f"Unsupported parameter: {unknown[0]}")
    for key in _STRINGS:
        if key in body and not isinstance(body[key], str):
            raise BodyError(f"Parameter {key} must be a string")
    if "promptOptimization" in body and not isinstance(body["promptOptimization"], bool):
        raise BodyError("Parameter promptOptimization must be true or false")
    if len(body.get("prompt", "")) > catalogue.max_prompt_chars:
        raise BodyError(f"Parameter prompt is longer than {catalogue.max_prompt_chars} characters")
    for key in ("replyUrl", "replyRef"):
        if len(body.get(key, "")) > catalogue.max_reply_chars:
            raise BodyError(
                f"Parameter {key} is longer than {catalogue.max_reply_chars} characters"
            )
    url = body.get("replyUrl")
    if url is not None and not url.startswith(("http://", "https://")):
        raise BodyError("Parameter replyUrl must be an http(s) URL")
    if "maxJobs" in body:
        low, high = catalogue.max_jobs_range
        value = body["maxJobs"]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BodyError(f"Parameter maxJobs must be an integer within {low}...{high}")


def _model(body: dict[str, Any], catalogue: Catalogue) -> Model:
    name = body.get("model")
    if name is None:
        kind = "image" if body.get("fileID") else "text"
        return catalogue.model(catalogue.default_models[kind])
    if name not in catalogue.models:
        raise BodyError(f"Unsupported model {name}, supported: {', '.join(catalogue.model_names)}")
    return catalogue.model(name)


def _option(body: dict[str, Any], model: Model) -> str | None:
    name: str | None = body.get("options")
    if not model.options:
        if name is not None:
            raise BodyError(f"Model {model.name} does not support options")
        return None
    if name is None:
        return model.default_option
    if model.option(name) is None:
        raise BodyError(
            f"Model {model.name} does not support options {name}, "
            f"supported: {', '.join(model.option_names)}"
        )
    return name


def _account(
    body: dict[str, Any],
    find_file: Callable[[str], StoredFile | None],
    accounts: frozenset[str],
    pick_account: Callable[[], str],
) -> str:
    name: str | None = body.get("account")
    if name is not None:
        if name not in accounts:
            raise BodyError(f"Account {name} is not configured")
        return name
    stored = find_file(body.get("fileID") or "")
    return stored.account if stored is not None else pick_account()


def _file(
    body: dict[str, Any], key: str, find_file: Callable[[str], StoredFile | None], account: str
) -> StoredFile:
    file_id: str = body[key]
    found = _FILE_ID.match(file_id)
    if found is None:
        raise BodyError(f"Parameter {key} is not a valid file id: {file_id}")
    stored = find_file(file_id)
    if stored is None:
        raise BodyError(f"Parameter {key}: file {file_id} not found")
    if stored.account != account:
        raise BodyError(
            f"Parameter {key}: file {file_id} belongs to account {stored.account}, "
            f"not {account}; all files must belong to the same account"
        )
    return stored


def _frames(
    body: dict[str, Any],
    model: Model,
    option: str | None,
    catalogue: Catalogue,
    find_file: Callable[[str], StoredFile | None],
    account: str,
) -> tuple[StoredFile | None, StoredFile | None, tuple[StoredFile, ...]]:
    subject = model.references[1] > 0
    takes_first = model.first != "none" or subject
    needs_first = model.needs_first_with(option) or model.references[0] > 0
    has_first = "fileID" in body
    if has_first and not takes_first:
        raise BodyError(f"Model {model.name} does not support fileID")
    if needs_first and not has_first:
        what = f"Model {model.name}" + (f" with options {option}" if option else "")
        raise BodyError(f"{what} requires fileID")
    if "end_frame_fileID" in body:
        if not model.allows_last_with(option):
            what = f"Model {model.name}" + (f" with options {option}" if option else "")
            raise BodyError(f"{what} does not support end_frame_fileID")
        if catalogue.last_needs_first and not has_first:
            raise BodyError("Parameter end_frame_fileID requires fileID")
        if body["end_frame_fileID"] == body.get("fileID"):
            raise BodyError(
                "Parameters fileID and end_frame_fileID cannot be the same, "
                "reupload the end frame via POST /files"
            )
    extra = [k for k in REFERENCE_KEYS if k in body]
    if extra:
        if model.references[1] <= 1:
            raise BodyError(f"Model {model.name} does not support {extra[0]}")
        if not has_first:
            raise BodyError(f"Parameter {extra[0]} requires fileID")
        expected = list(REFERENCE_KEYS[: len(extra)])
        if extra != expected:
            gap = next(k for k, e in zip(extra, expected, strict=True) if k != e)
            raise BodyError(f"Parameter {gap} given without the ones before it (fileID2...)")
        if len(extra) + 1 > model.references[1]:
            raise BodyError(f"Model {model.name} takes up to {model.references[1]} images")
    first = _file(body, "fileID", find_file, account) if has_first else None
    last = (
        _file(body, "end_frame_fileID", find_file, account) if "end_frame_fileID" in body else None
    )
    references = tuple(_file(body, k, find_file, account) for k in extra)
    return first, last, references


def _aspect(
    body: dict[str, Any], model: Model, catalogue: Catalogue, first: StoredFile | None
) -> str:
    value: str | None = body.get("aspectRatio")
    if value is not None:
        if not model.aspect_ratio:
            raise BodyError(f"Model {model.name} does not support aspectRatio")
        if value not in catalogue.aspect_ratios:
            raise BodyError(
                f"Parameter aspectRatio must be one of {', '.join(catalogue.aspect_ratios)}"
            )
        return value
    if not model.aspect_ratio and first is not None and first.height > first.width:
        return "9:16"  # models without aspectRatio follow their first frame
    return catalogue.default_aspect_ratio
