"""`reel report OUTPUT_DIR`: write the storyboard review page of a run again."""

from __future__ import annotations

from pathlib import Path

from runner.errors import EXIT_OK, UsageError


def main(output_dir: str) -> int:
    from runner.report.write import write_report

    folder = Path(output_dir)
    if not folder.is_dir():
        raise UsageError(f"{output_dir} is not a folder: give the output folder of a `reel run`")
    try:
        path = write_report(folder)
    except OSError as exc:  # as `reel run` says it: a usage problem, not a bug
        raise UsageError(
            f"the review page could not be written ({exc}); make room for it and run"
            f" `reel report {output_dir}` again"
        ) from None
    print(f"wrote {path}")
    return EXIT_OK
