"""`reel report OUTPUT_DIR`: write the storyboard review page of a run again."""

from __future__ import annotations

from pathlib import Path

from runner.errors import EXIT_OK, UsageError


def main(output_dir: str) -> int:
    from runner.report.write import write_report

    folder = Path(output_dir)
    if not folder.is_dir():
        raise UsageError(f"{output_dir} is not a folder: give the output folder of a `reel run`")
    path = write_report(folder)
    print(f"wrote {path}")
    return EXIT_OK
