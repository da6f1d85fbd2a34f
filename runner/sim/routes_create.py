"""POST /videos/create: read the body, check it, admit it, meet its fault, queue the job.

The order follows the real service: a bad body (400) is refused by useapi before anything
else; then a held account (596), missing credits (412), a full queue (429); then MiniMax
itself may moderate the prompt (422), be too busy (502/504, sometimes queueing the job
anyway) or drop the connection.
"""

from __future__ import annotations

import contextlib
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.sim.abrupt import Abrupt
from runner.sim.accounts import queue_full_message
from runner.sim.context import BUSY_MESSAGE, SimContext, set_account
from runner.sim.faults import create_fault
from runner.sim.jobs import CreateRequest
from runner.sim.validate_body import BodyError, check_create

MODERATED_MESSAGE = "Your prompt is too short, please provide more details"
_FORCE_MODERATE = re.compile(r"sim:moderate(?!-late)")


async def read_body(request: Request) -> Any:
    """The create body as JSON types, from JSON, multipart or urlencoded form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if kind == "multipart/form-data":
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        fields = {
            str(part.get_param("name", header="content-disposition")): str(part.get_content())
            for part in message.iter_parts()
        }
        return _typed_form(fields)
    if kind == "application/x-www-form-urlencoded":
        return _typed_form(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
    try:
        return json.loads(raw)
    except ValueError:
        raise BodyError("Request body is not valid JSON") from None


def _typed_form(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields are strings; the two non-string parameters get their JSON types."""
    body: dict[str, Any] = dict(fields)
    if "promptOptimization" in body:
        text = body["promptOptimization"].lower()
        body["promptOptimization"] = {"true": True, "false": False}.get(text, text)
    if "maxJobs" in body:
        with contextlib.suppress(ValueError):  # else left a string: the type check refuses it
            body["maxJobs"] = int(body["maxJobs"])
    return body


async def create(ctx: SimContext, request: Request) -> Response:
    world = ctx.world
    try:
        body = await read_body(request)
        with world.lock:
            checked = check_create(
                body,
                catalogue=world.catalogue,
                find_file=world.find_file,
                accounts=frozenset(world.accounts),
                pick_account=world.pick_account,
            )
    except BodyError as exc:
        return ctx.refuse(request, 400, str(exc))
    set_account(request, checked.account)
    credits = checked.model.credits_for(checked.option)
    refusal = world.admit(checked, credits)
    if refusal is not None:
        status, reply = refusal
        extra = {k: v for k, v in reply.items() if k not in ("error", "code")}
        return ctx.refuse(request, status, reply["error"], **extra)
    key = checked.account + "|" + json.dumps(body, sort_keys=True)
    rates = world.config.faults
    moderated = _FORCE_MODERATE.search(checked.prompt) or (
        rates.moderate_submit and world.dice.draw("moderate", key) < rates.moderate_submit
    )
    if moderated:
        return ctx.refuse(request, 422, MODERATED_MESSAGE)
    return _queue(ctx, request, checked, credits, key)


def _queue(
    ctx: SimContext, request: Request, checked: CreateRequest, credits: int, key: str
) -> Response:
    """Meet this attempt's fault (if any) and queue the job unless the fault prevents it."""
    world = ctx.world
    fault = create_fault(world.config.faults, world.dice.draw("create", key))
    if fault in ("429", "502", "504", "reset"):
        ctx.fault(request, str(fault))
    if fault == "429":
        cap = world.accounts[checked.account].config.queue_cap
        return ctx.refuse(request, 429, queue_full_message(cap))
    if fault in ("502", "504"):
        return ctx.refuse(request, int(fault), BUSY_MESSAGE)
    if fault == "reset":
        return Abrupt()
    job = world.create(checked, credits, tracked=fault not in ("502q", "504q"), key=key)
    if fault is not None:
        ctx.fault(request, fault, videoId=job.video_id)
    if fault in ("502q", "504q"):
        return ctx.refuse(request, int(fault[:3]), BUSY_MESSAGE)
    if fault == "reset_after":
        return Abrupt()
    batch = str(int(job.number) - 100_000_000_000_000_000)
    reply: dict[str, Any] = {
        "id": job.number,
        "task": {"batchID": batch, "videoIDs": [job.number]},
        "videoId": job.video_id,
    }
    if checked.reply_url:
        reply["replyUrl"] = checked.reply_url
    if checked.reply_ref is not None:
        reply["replyRef"] = checked.reply_ref
    return JSONResponse(reply)
