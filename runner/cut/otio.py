"""`<output>/cut.otio`: the cut as an OpenTimelineIO timeline for editors.

One item per shot, named by its id, pointing at the original clip (not the re-encoded cut)
with its prompt, model and take as metadata; a shot without a video is a clip with a generator
reference (a slate) for its planned duration; crossfades are dissolves. Clip paths are relative
to the output folder, so the folder can move as a whole.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from runner.cut.timeline import Segment, Timeline


def _metadata(segment: Segment) -> dict[str, object]:
    shot = segment.shot
    return {
        "reel": {
            "id": shot.id,
            "take": segment.take,
            "takes": shot.takes,
            "prompt": shot.prompt or "",
            "model": shot.model,
            "options": shot.options or "",
            "status": segment.status,
            "sha256": segment.sha256 or "",
        }
    }


def _item(segment: Segment, next_overlap: int, fps: int, output_dir: Path) -> otio.schema.Clip:
    # A dissolve draws on the handles either side of the cut point: each clip shows its frames
    # less half of each crossfade, and its media reference offers them all.
    whole = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(segment.frames, fps)
    )
    source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(segment.overlap / 2, fps),
        otio.opentime.RationalTime(segment.frames - (segment.overlap + next_overlap) / 2, fps),
    )
    reference: otio.core.MediaReference
    if segment.clip is not None:
        reference = otio.schema.ExternalReference(
            target_url=segment.clip.relative_to(output_dir).as_posix()
            if segment.clip.is_relative_to(output_dir)
            else segment.clip.as_uri(),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps),
                otio.opentime.RationalTime(round(segment.seconds * fps), fps),
            ),
        )
    else:
        reference = otio.schema.GeneratorReference(
            name="slate",
            generator_kind="Slate",
            parameters={"text": f"MISSING {segment.shot.id}: {segment.status}"},
            available_range=whole,
        )
    return otio.schema.Clip(
        name=segment.shot.id,
        media_reference=reference,
        source_range=source_range,
        metadata=_metadata(segment),
    )


def write_otio(timeline: Timeline, output_dir: Path, target: Path, name: str) -> None:
    """Write the OTIO timeline of `timeline` to `target` (atomically)."""
    fps = timeline.canvas.fps
    track = otio.schema.Track(name="picture", kind=otio.schema.TrackKind.Video)
    segments = timeline.segments
    for i, segment in enumerate(segments):
        next_overlap = segments[i + 1].overlap if i + 1 < len(segments) else 0
        if segment.overlap:
            half = otio.opentime.RationalTime(segment.overlap / 2, fps)
            track.append(
                otio.schema.Transition(
                    name=f"crossfade to {segment.shot.id}",
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=half,
                    out_offset=half,
                )
            )
        track.append(_item(segment, next_overlap, fps, output_dir))
    cut = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, fps))
    cut.tracks.append(track)
    temp = target.with_name(f".{target.name}.tmp")
    otio.adapters.write_to_file(cut, str(temp), adapter_name="otio_json")
    temp.replace(target)
