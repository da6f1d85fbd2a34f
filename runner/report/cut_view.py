"""The cut at the top of the review page: a player for `cut.mp4` and a strip of shot markers,
each as wide as its shot is long, linking to the card of the take in the cut."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from runner.cut.record import CUT_NAME, OTIO_NAME, CutRecord, read_record
from runner.report.format import esc, href, span


@dataclass(frozen=True, slots=True)
class CutView:
    record: CutRecord
    has_otio: bool

    def selected(self) -> dict[str, int]:
        """shot id → the take in the cut."""
        return {m.id: m.take for m in self.record.marks}


def cut_view(output_dir: Path) -> CutView | None:
    """The folder's cut, when it has one with its record."""
    record = read_record(output_dir)
    if record is None or not (output_dir / CUT_NAME).is_file():
        return None
    return CutView(record, (output_dir / OTIO_NAME).is_file())


def select_command(pipeline: str, shot_id: str, take: int) -> str:
    """The command that puts this take in the cut, ready to copy."""
    return f"reel select {shlex.quote(pipeline)} {shlex.quote(shot_id)} {take}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def cut_html(cut: CutView, anchors: dict[tuple[str, int], str]) -> str:
    """The section: the player, the markers, what the cut is made of."""
    record = cut.record
    markers = []
    for m in record.marks:
        anchor = anchors.get((m.id, m.take))
        label = esc(m.id) if anchor is None else f'<a href="#{anchor}">{esc(m.id)}</a>'
        cls = "marker missing" if m.missing else "marker"
        take = f" take {m.take}" if m.takes > 1 else ""
        tip = f"{m.id}{take}: {_clock(m.start)} to {_clock(m.start + m.seconds)}"
        if m.missing:
            tip += f" (slate: {m.status})"
        markers.append(
            f'<li class="{cls}" style="flex-grow:{m.seconds:.3f}" title="{esc(tip)}">{label}</li>'
        )
    slates = sum(1 for m in record.marks if m.missing)
    missing = f", {slates} shown as slates (not rendered yet)" if slates else ""
    otio = f' · <a href="{href(OTIO_NAME)}">{OTIO_NAME}</a> for editors' if cut.has_otio else ""
    return (
        '<section class="cut"><h2>The cut</h2>'
        f'<video class="cut-player" controls preload="metadata" playsinline '
        f'width="{record.width}" height="{record.height}" src="{href(CUT_NAME)}" '
        f'aria-label="the cut"></video>'
        f'<ol class="markers">{"".join(markers)}</ol>'
        f'<p class="dim">{esc(span(record.seconds))}, {len(record.marks)} shots{missing}; '
        f"{record.width}x{record.height} at {record.fps} fps{otio}. "
        "<code>reel cut PIPELINE</code> makes it again.</p></section>"
    )
