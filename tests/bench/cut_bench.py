"""The cut's speed and memory: a 10- and a 100-shot cut at 1280x720, 24 fps.

    python -m tests.bench.cut_bench [--shots 10,100] [--json]

Each case runs in a child process of its own (so its peak RSS is its own): an output folder of
SHOTS completed clips (1280x720, 24 fps, 6 s of moving pictures; every other one with an AAC
track, as Veo's have; hard links to 4 distinct files, each decoded anew) and a manifest, then
`write_cut` once. Prints the cut's length, the wall and CPU time, their ratio (goal: the cut is
encoded faster than real time, ratio > 1) and the peak RSS (goal: flat as the cut grows).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runner.cut import encode
from runner.cut.make import write_cut
from runner.spec.validate import load_pipeline
from tests.cut.clips import write_manifest

SOURCES = 4
SECONDS = 6.0


def _moving_clip(path: Path, seed: int, audio: bool) -> None:
    """A 1280x720 24 fps clip whose picture changes every frame (a sliding gradient)."""
    from fractions import Fraction

    import av
    import numpy as np

    width, height, fps = 1280, 720, 24
    x = np.linspace(0, 255, width, dtype=np.float32)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = out.add_stream("aac", rate=48_000, layout="stereo") if audio else None
        for i in range(round(SECONDS * fps)):
            row = (x + 7 * i + 40 * seed) % 256
            picture = np.empty((height, width, 3), np.uint8)
            picture[:, :, 0] = row
            picture[:, :, 1] = ((np.arange(height)[:, None] + 3 * i) % 256).astype(np.uint8)
            picture[:, :, 2] = 255 - row
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            total = round(SECONDS * 48_000)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                t = np.arange(start, start + n, dtype=np.float32) / 48_000
                wave = (0.3 * np.sin(2 * np.pi * (220 + 110 * seed) * t)).astype(np.float32)
                block = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(np.stack([wave, wave])), format="fltp", layout="stereo"
                )
                block.sample_rate, block.pts = 48_000, start
                for packet in sound.encode(block):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)


def child(shots: int, folder: Path) -> dict[str, float]:
    out = folder / "out"
    out.mkdir(parents=True)
    for i in range(SOURCES):
        _moving_clip(out / f"src{i}.mp4", i, audio=i % 2 == 0)
    lines = ["version: 1", "output: out", "cut: {size: 1280x720, fps: 24}", "shots:"]
    entries = []
    for i in range(shots):
        os.link(out / f"src{i % SOURCES}.mp4", out / f"s{i}.mp4")
        lines.append(f"  - {{id: s{i}, prompt: shot {i}, model: T2V-2.3}}")
        entries.append({"id": f"s{i}", "status": "completed", "file": f"s{i}.mp4"})
    (folder / "p.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_manifest(out, entries)
    pipeline, _ = load_pipeline(folder / "p.yaml")
    assert pipeline is not None
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    result = write_cut(pipeline, out)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "shots": shots,
        "cut_seconds": result.timeline.seconds,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "realtime_ratio": round(result.timeline.seconds / wall, 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "preset": encode.PRESET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", default="10,100")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(child(args.child, Path(folder))))
        return
    rows = []
    for shots in (int(n) for n in args.shots.split(",")):
        ran = subprocess.run(
            [sys.executable, "-m", "tests.bench.cut_bench", "--child", str(shots)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(ran.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows))
        return
    print("shots  cut_s   wall_s  cpu_s  ratio  peak_mb  preset")
    for r in rows:
        print(
            f"{r['shots']:5d}  {r['cut_seconds']:6.1f}  {r['wall_s']:6.2f}  {r['cpu_s']:5.1f}"
            f"  {r['realtime_ratio']:5.2f}  {r['peak_rss_mb']:7.1f}  {r['preset']}"
        )
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
