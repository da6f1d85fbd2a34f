"""`reel cut PIPELINE`: write `<output>/cut.mp4` and `cut.otio` from what the output folder
holds now; shots without a video are slates, so it works (free) before anything is rendered."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from runner.commands.loading import valid_pipeline
from runner.cut.timeline import planned_seconds
from runner.errors import EXIT_OK, UsageError
from runner.spec.pipeline import Pipeline


def main(pipeline: str, *, out: str | None) -> int:
    """The `reel cut` command."""
    from runner.cut.make import write_cut

    pipe = valid_pipeline(pipeline, "no cut was made")
    if out is not None:
        pipe = replace(pipe, output=Path(out).resolve())
    result = write_cut(pipe, pipe.output)
    timeline = result.timeline
    missing = sum(1 for s in timeline.segments if s.missing)
    what = "written" if result.rebuilt else "unchanged"
    slates = f", {missing} of them slates" if missing else ""
    print(
        f"cut {what}: {result.path} ({timeline.seconds:.2f} s, {len(timeline.segments)} shots"
        f"{slates}, {timeline.canvas.width}x{timeline.canvas.height} at "
        f"{timeline.canvas.fps} fps); for editors: {result.otio}"
    )
    return EXIT_OK


AUTO_CUT_MAX_SECONDS = 1800.0
"""A run writes the cut itself only up to half an hour of planned video (a few seconds of
encoding a minute); beyond that `reel cut` makes it when asked."""


def write_after_run(pipe: Pipeline, *, quiet: bool) -> None:
    """The cut at the end of `reel run`: a cut that cannot be made costs no video, only a
    message (to stderr: stdout may carry JSON events)."""
    planned = sum(planned_seconds(s) for s in pipe.shots)
    if planned > AUTO_CUT_MAX_SECONDS:
        print(
            f"cut: {planned / 60:.0f} minutes of shots, longer than a run makes by itself; "
            f"`reel cut {pipe.path}` makes it",
            file=sys.stderr,
        )
        return
    # Imported only for a cut that is made: the editor's modules take a while to load.
    import av

    from runner.cut.make import write_cut

    try:
        result = write_cut(pipe, pipe.output)
    except (OSError, UsageError, av.FFmpegError) as exc:
        print(
            f"reel: the cut could not be written ({exc}); `reel cut {pipe.path}` retries",
            file=sys.stderr,
        )
        return
    if not quiet:
        what = "" if result.rebuilt else " (unchanged)"
        print(f"cut: {result.path}{what}", file=sys.stderr)
