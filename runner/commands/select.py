"""`reel select PIPELINE SHOT TAKE`: choose the take of a shot that goes into the cut.

Writes `select: TAKE` into the pipeline file in place (`runner.spec.select_edit`), changing
nothing else. Selecting renders nothing again: `select` is not part of any fingerprint.
"""

from __future__ import annotations

import os
from pathlib import Path

from runner.commands.loading import valid_pipeline
from runner.errors import EXIT_OK, UsageError
from runner.spec.pipeline import Pipeline, Shot
from runner.spec.select_edit import NotEditable, set_select

_SHOWN_IDS = 12


def _shot(pipeline: Pipeline, file: str, shot_id: str) -> Shot:
    for shot in pipeline.shots:
        if shot.id == shot_id:
            return shot
    ids = [s.id for s in pipeline.shots]
    more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
    raise UsageError(
        f"{file} has no shot {shot_id!r}; its shots: {', '.join(ids[:_SHOWN_IDS])}{more}"
    )


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(data)
        temp.chmod(path.stat().st_mode & 0o7777)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def main(file: str, shot_id: str, take: int) -> int:
    """The `reel select` command."""
    path = Path(file)
    pipeline = valid_pipeline(file, "nothing was changed")
    shot = _shot(pipeline, file, shot_id)
    if not 1 <= take <= shot.takes:
        which = "take 1" if shot.takes == 1 else f"takes 1 to {shot.takes}"
        raise UsageError(f"shot {shot_id!r} has no take {take}; it has {which}")
    if shot.select == take:
        print(f"{shot_id}: take {take} is already selected in {file}")
        return EXIT_OK
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    try:
        edited = set_select(text, shot.index, take)
    except NotEditable as exc:
        raise UsageError(
            f"{file}: cannot write select into this shot ({exc}); add `select: {take}` to "
            f"shot {shot_id!r} by hand"
        ) from None
    _write_bytes_atomic(path, edited.encode("utf-8"))
    print(f"{shot_id}: take {take} selected in {file}; `reel cut {file}` shows it")
    return EXIT_OK
