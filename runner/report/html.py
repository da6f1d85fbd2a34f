"""The review page as one self-contained HTML document: summary at the top, then the cards.

No script, no remote font or stylesheet: the CSS (runner/report/templates/report.css) is
inlined, and a Content-Security-Policy forbids every script and every address outside the
folder, so even a string that slipped past escaping could not run or fetch anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from runner import __version__
from runner.report.cards import PROBLEMS, STATUSES, CardView, badge, card_html
from runner.report.format import between, esc, href, now, span, when
from runner.report.model import PastOutput, RunView

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' file:; media-src 'self' file:"


@dataclass(frozen=True, slots=True)
class Orphan:
    past: PastOutput
    src: str | None


def _css() -> str:
    return resources.files("runner.report").joinpath("templates", "report.css").read_text("utf-8")


def _banner(run: RunView) -> str:
    if run.backend == "simulator":
        return (
            '<div class="banner sim"><strong>Simulated run: nothing real was rendered.</strong> '
            "These clips are placeholders drawn by Reel's built-in simulator and no credits "
            "were spent; the credit figures are what the same run would cost for real. Set "
            "USEAPI_TOKEN to render with useapi.net.</div>"
        )
    if run.ended is None:
        return (
            '<div class="banner open"><strong>This run has not finished</strong> (it is still '
            "going, or it was stopped): the page shows the state last written.</div>"
        )
    return ""


def _fact(name: str, value: str, wide: bool = False) -> str:
    cls = ' class="wide"' if wide else ""
    return f"<div{cls}><dt>{esc(name)}</dt><dd>{value}</dd></div>"


def _summary(run: RunView) -> str:
    if _sim(run):  # its address was a random loopback port: meaningless once the run is over
        backend = "simulator <span class='dim'>(nothing real was rendered)</span>"
    else:
        # Without its scheme: the page holds no address a browser could be sent to.
        address = run.base_url.partition("://")[2] or run.base_url
        backend = f"{esc(run.backend)} <span class='dim'>{esc(address)}</span>"
    ended = esc(when(run.ended)) if run.ended else "not finished"
    if run.started and run.ended and when(run.started)[:10] == when(run.ended)[:10]:
        ended = esc(when(run.ended)[11:])  # the same day: the time says enough
    spent = f"{run.credits_spent} <span class='dim'>of {run.credits_estimated} estimated</span>"
    facts = [
        _fact("pipeline", f"<code>{esc(run.pipeline)}</code>", wide=True),
        _fact("started", esc(when(run.started))),
        _fact("ended", ended),
        _fact("wall time", esc(span(between(run.started, run.ended)))),
        _fact("backend", backend, wide=True),
        _fact("credits", spent + (" <span class='dim'>(simulated)</span>" * _sim(run))),
        _fact("run", f"<code class='id'>{esc(run.run_id)}</code>"),
    ]
    return f'<dl class="summary">{"".join(facts)}</dl>'


def _sim(run: RunView) -> bool:
    return run.backend == "simulator"


def _counts(run: RunView) -> str:
    order = [s for s in STATUSES if s in run.counts] + sorted(set(run.counts) - set(STATUSES))
    chips = "".join(f"<li>{badge(s, f'{run.counts[s]} {s}')}</li>" for s in order)
    total = sum(run.counts.values())
    return f'<ul class="counts"><li class="total">{total} shot-takes</li>{chips}</ul>'


def _bar(part: int, whole: int) -> str:
    share = 0 if whole <= 0 else min(100, round(100 * part / whole))
    return f'<span class="bar"><span style="width:{share}%"></span></span>'


def _credits(run: RunView) -> str:
    models = sorted(set(run.estimated_by_model) | set(run.spent_by_model))
    rows = "".join(
        f"<tr><td><code>{esc(m)}</code></td><td class='num'>{run.spent_by_model.get(m, 0)}</td>"
        f"<td class='num'>{run.estimated_by_model.get(m, 0)}</td>"
        f"<td>{_bar(run.spent_by_model.get(m, 0), run.estimated_by_model.get(m, 0))}</td></tr>"
        for m in models
    )
    accounts = "".join(
        f"<tr><td>{esc(a)}</td><td class='num'>{n}</td><td>{_bar(n, run.credits_spent)}</td></tr>"
        for a, n in sorted(run.spent_by_account.items())
    )
    if not accounts:
        accounts = "<tr><td colspan='3' class='dim'>nothing spent</td></tr>"
    return (
        '<div class="tables"><table><caption>Credits by model</caption><thead><tr><th>model</th>'
        "<th class='num'>spent</th><th class='num'>estimated</th><th></th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "<table><caption>Credits by account</caption><thead><tr><th>account</th>"
        f"<th class='num'>spent</th><th></th></tr></thead><tbody>{accounts}</tbody></table></div>"
    )


def _attention(cards: list[CardView]) -> str:
    links = [
        f'<li><a href="#{c.anchor}">{esc(c.shot.key)}</a> {badge(c.shot.status)} '
        f"<span class='why'>{esc(c.shot.error or '')}</span></li>"
        for c in cards
        if c.shot.status in PROBLEMS
    ]
    if not links:
        return ""
    return f'<nav class="attention"><h2>Needs attention</h2><ul>{"".join(links)}</ul></nav>'


def _orphans(orphans: list[Orphan]) -> str:
    if not orphans:
        return ""
    items = []
    for o in orphans:
        name = esc(o.past.path or "?")
        link = f'<a href="{href(o.src)}">{name}</a>' if o.src else name
        note = f" <span class='dim'>{esc(when(o.past.when))}</span>" if o.past.when else ""
        items.append(f"<li><strong>{esc(o.past.key)}</strong> {link}{note}</li>")
    return (
        '<section class="orphans"><h2>Orphaned outputs</h2><p class="dim">Videos of shots '
        f"no longer in the pipeline; Reel keeps them.</p><ul>{''.join(items)}</ul></section>"
    )


def page(run: RunView, cards: list[CardView], orphans: list[Orphan]) -> str:
    """The whole document."""
    sheet = "".join(card_html(c) for c in cards) or '<p class="dim">No shots in this run.</p>'
    body = ' class="simulated"' if _sim(run) else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        f'<meta name="generator" content="Reel {esc(__version__)}">'
        f"<title>{esc(run.name)} · Reel storyboard{' (simulated)' * _sim(run)}</title>"
        f"<style>{_css()}</style></head>"
        f"<body{body}>"
        f'{_banner(run)}<header class="top"><h1>{esc(run.name)} <span class="dim">storyboard'
        f"</span></h1>{_counts(run)}{_summary(run)}{_credits(run)}{_attention(cards)}</header>"
        f'<main class="sheet">{sheet}</main>{_orphans(orphans)}'
        f"<footer>Written by Reel {esc(__version__)} at {esc(when(now()))} from "
        f'<a href="{href("manifest.json")}">manifest.json</a>; '
        "<code>reel report OUTPUT_DIR</code> writes it again.</footer></body></html>\n"
    )
