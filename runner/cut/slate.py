"""The picture that stands in for a shot without a video: its first frame, or a card with its id
and prompt; either way marked as missing, so an animatic never passes for the finished cut."""

from __future__ import annotations

import textwrap

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from runner.cut.timeline import Canvas, Segment

_CARD = (34, 36, 44)
_MARK = (214, 64, 64)
_TEXT = (235, 235, 235)
_PROMPT_LINES = 8


def _first_frame(segment: Segment, canvas: Canvas) -> Image.Image | None:
    first = segment.shot.frames.first
    if first is None or first.path is None:
        return None
    try:
        with Image.open(first.path) as image:
            fitted = ImageOps.contain(image.convert("RGB"), (canvas.width, canvas.height))
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    picture = Image.new("RGB", (canvas.width, canvas.height), (0, 0, 0))
    picture.paste(
        fitted, ((canvas.width - fitted.width) // 2, (canvas.height - fitted.height) // 2)
    )
    return picture


def _card(segment: Segment, canvas: Canvas) -> Image.Image:
    picture = Image.new("RGB", (canvas.width, canvas.height), _CARD)
    draw = ImageDraw.Draw(picture)
    unit = max(12, min(canvas.width, canvas.height) // 18)
    title = ImageFont.load_default(size=unit * 2)
    body = ImageFont.load_default(size=unit)
    margin = unit * 2
    draw.text((margin, margin * 2), segment.shot.id, fill=_TEXT, font=title)
    width = max(20, int((canvas.width - 2 * margin) / (unit * 0.55)))
    lines = textwrap.wrap(segment.shot.prompt or "(no prompt)", width)[:_PROMPT_LINES]
    draw.multiline_text(
        (margin, margin * 2 + unit * 3), "\n".join(lines), fill=_TEXT, font=body, spacing=unit // 3
    )
    return picture


def slate_picture(segment: Segment, canvas: Canvas) -> Image.Image:
    """The slate of a segment without a video, at the canvas's size."""
    picture = _first_frame(segment, canvas) or _card(segment, canvas)
    draw = ImageDraw.Draw(picture)
    unit = max(12, min(canvas.width, canvas.height) // 24)
    font = ImageFont.load_default(size=unit)
    label = f"MISSING  {segment.shot.id} take {segment.take}: {segment.status}"
    draw.rectangle((0, 0, canvas.width, unit * 2), fill=_MARK)
    draw.text((unit // 2, unit // 2), label, fill=_TEXT, font=font)
    return picture
