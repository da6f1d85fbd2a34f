"""Write the review page of a 10,000-shot output folder; print seconds (cold, then warm).

    python -m tests.bench.report_bench [SHOTS] [VIDEOS]

Every shot-take has its own video file (hard links to VIDEOS distinct MP4s, 500 by default;
each distinct file is one poster to decode). Goal: the page of a 10,000-shot run written in
under 15 s cold and 5 s warm, so that `reel run` can write it at the end of every run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from runner.report.write import write_report
from tests.report.conftest import shot, write_manifest, write_video


def main(shots: int, videos: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        sources = [write_video(out / f"src{i}.mp4", f"video {i}", 6) for i in range(videos)]
        entries = []
        for i in range(shots):
            source = sources[i % videos]
            name = f"shot{i}.mp4"
            os.link(out / source["path"], out / name)
            entries.append(shot(f"shot{i}", output={**source, "path": name}))
        write_manifest(out, entries)
        for label in ("cold", "warm"):
            began = time.perf_counter()
            page = write_report(out)
            print(f"{label}: {time.perf_counter() - began:.2f} s, {page.stat().st_size >> 10} KB")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 500,
    )
