"""The storyboard parts of the review page: matrix shots as grids, and the cast as a strip.

A matrix shot's variants are laid out for comparison: one row per model, one column per
combination of the other axes (options, aspect ratio, look), each cell the video with its
credits and render time. The cast strip shows each member's reference images, so a reviewer
can check that "the person" is the same in every shot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from runner.report.cards import (
    PROBLEMS,
    CardView,
    Thumb,
    badge,
    card_html,
    credits_html,
    media_html,
    prompt_html,
    status_class,
    thumbs_html,
)
from runner.report.format import between, esc, span
from runner.report.model import CastRef


@dataclass(frozen=True, slots=True)
class CastView:
    member: CastRef
    thumbs: tuple[Thumb, ...]


def groups(cards: Sequence[CardView]) -> Iterator[tuple[str | None, list[CardView]]]:
    """Consecutive cards of one matrix shot together (its id), every other card alone."""
    group: list[CardView] = []
    for card in cards:
        owner = card.shot.variant_of
        if group and (owner is None or owner != group[0].shot.variant_of):
            yield group[0].shot.variant_of, group
            group = []
        if owner is None:
            yield None, [card]
        else:
            group.append(card)
    if group:
        yield group[0].shot.variant_of, group


def sheet_html(cards: Sequence[CardView]) -> str:
    """Every card in order, with the variants of each matrix shot as one grid."""
    out = []
    for owner, group in groups(cards):
        out.append(card_html(group[0]) if owner is None else grid_html(owner, group))
    return "".join(out)


def _column(card: CardView) -> str:
    values = [v for axis, v in card.shot.matrix if axis != "model"]
    return " · ".join(values) or card.shot.options or "\u2014"


def _cell(card: CardView) -> str:
    shot = card.shot
    take = f'<span class="take">take {shot.take}</span>' if shot.takes > 1 else ""
    reason = ""
    if shot.status in PROBLEMS or shot.error:
        reason = f'<p class="reason">{esc(shot.error or "no reason given")}</p>'
    render = esc(span(between(shot.submitted, shot.completed)))
    return (
        f'<div class="cell {status_class(shot.status)}" id="{card.anchor}">'
        f"{media_html(card)}"
        f'<p class="cellhead"><code>{esc(shot.id)}</code>{take}{badge(shot.status)}</p>{reason}'
        f'<p class="cellfacts"><span>{credits_html(shot)} credits</span>'
        f"<span>render {render}</span></p></div>"
    )


def grid_html(owner: str, cards: list[CardView]) -> str:
    """One matrix shot: a row per model, a column per combination of the other axes."""
    columns = list(dict.fromkeys(_column(c) for c in cards))
    models = list(dict.fromkeys(c.shot.model for c in cards))
    cells: dict[tuple[str, str], list[CardView]] = {}
    for card in cards:
        cells.setdefault((card.shot.model, _column(card)), []).append(card)
    prompts = {(c.shot.prompt, c.shot.prompt_parts) for c in cards}
    shared = ""
    if len(prompts) == 1:
        shared = prompt_html(cards[0].shot.prompt, cards[0].shot.prompt_parts)
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    rows = []
    for model in models:
        tds = []
        for column in columns:
            found = cells.get((model, column))
            if not found:
                tds.append('<td class="gap"><span class="dim">not in this run</span></td>')
                continue
            inner = "".join(
                _cell(c) + ("" if shared else prompt_html(c.shot.prompt, c.shot.prompt_parts))
                for c in found
            )
            tds.append(f"<td>{inner}</td>")
        rows.append(f'<tr><th scope="row"><code>{esc(model)}</code></th>{"".join(tds)}</tr>')
    n = len(cards)
    return (
        f'<section class="matrix" aria-label="matrix {esc(owner)}"><header><h2>{esc(owner)}</h2>'
        f'<span class="dim">matrix: {n} video{"s" * (n > 1)}, {len(models)} '
        f"model{'s' * (len(models) > 1)}</span></header>{shared}"
        f'<div class="gridwrap"><table class="grid"><thead><tr><th scope="col">model</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def cast_html(cast: Sequence[CastView]) -> str:
    """The cast as a strip of reference thumbnails (nothing without a cast)."""
    if not cast:
        return ""
    items = "".join(
        f'<li class="member"><h3>{esc(c.member.name)}</h3>'
        f'<p class="dim">{esc(c.member.description)}</p>{thumbs_html(c.thumbs)}</li>'
        for c in cast
    )
    return f'<section class="cast"><h2>Cast</h2><ul>{items}</ul></section>'


def legend_html(cards: Sequence[CardView]) -> str:
    """What the marks in prompts mean, when some prompt has them."""
    if not any(p.source for c in cards for p in c.shot.prompt_parts):
        return ""
    return (
        '<p class="legend">Marked in prompts: <mark class="from-var">a var</mark> '
        '<mark class="from-look">a look</mark> <mark class="from-cast">a cast member</mark>'
        "</p>"
    )
