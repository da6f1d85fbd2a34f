"""Validate and plan a generated 10,000-shot pipeline; print seconds and peak memory.

    python -m tests.bench.validate_bench [SHOTS]

Goal: under 2 s and under 200 MB for 10,000 shots; `reel --help` under 300 ms.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

_PROMPT = '    prompt: "Shot number {i}, a quiet street at dawn"\n'
_SHAPES = [
    "    model: T2V-2.3\n    options: 768p-6sec\n" + _PROMPT,
    "    model: I2V-2.3-Fast\n    frames: {{first: images/a.png}}\n",
    "    model: 02\n    options: 1080p-6sec\n"
    "    frames: {{first: images/a.png, last: images/b.jpg}}\n",
    "    model: T2V-01-Director\n"
    '    prompt: "Shot {i}: a reveal [Pan left, Zoom in], then [Push in]"\n',
    "    model: Sora-2\n    aspectRatio: 16:9\n    frames: {{first: images/sora.png}}\n",
    "    model: Veo-3.1-S2V-Fast\n    frames: {{references: [images/a.png, images/b.jpg]}}\n",
    "    frames:\n      first: user:1234-minimax:111-file:{i}\n",
    "    takes: 3\n" + _PROMPT,
]


def make_pipeline(folder: Path, shots: int) -> Path:
    """A pipeline of `shots` shots over several models, with its images."""
    images = folder / "images"
    images.mkdir()
    Image.new("RGB", (64, 36), "orange").save(images / "a.png")
    Image.new("RGB", (64, 36), "teal").save(images / "b.jpg")
    Image.new("RGB", (1280, 720), "navy").save(images / "sora.png")
    lines = ["version: 1\n", 'accounts:\n  "111": {maxJobs: 3}\n', "shots:\n"]
    for i in range(shots):
        lines.append(f"  - id: shot-{i:05d}\n")
        lines.append(_SHAPES[i % len(_SHAPES)].format(i=i))
    path = folder / "big.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _help_ms() -> float:
    """Best of 5 wall-clock runs of `reel --help` (the console script when installed)."""
    script = Path(sys.executable).with_name("reel")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "runner"]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([*command, "--help"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    shots = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = make_pipeline(Path(tmp), shots)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu_start = time.perf_counter(), time.process_time()
        from runner.spec.validate import load_pipeline
        from runner.state.plan import make_plan

        pipeline, diagnostics = load_pipeline(path)
        loaded = time.perf_counter()
        assert pipeline is not None, [d.render() for d in diagnostics[:5]]
        plan = make_plan(pipeline)
        done, cpu_done = time.perf_counter(), time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"shots: {shots}, shot-takes: {len(plan.takes)}, credits: {plan.total_credits}")
    print(
        f"validate: {loaded - start:.2f} s, plan: {done - loaded:.2f} s, "
        f"total: {done - start:.2f} s wall, {cpu_done - cpu_start:.2f} s CPU (goal < 2 s)"
    )
    print(f"peak memory: {peak / 1024:.0f} MB (before: {before / 1024:.0f} MB; goal < 200 MB)")
    print(f"reel --help: {_help_ms():.0f} ms (best of 5; goal < 300 ms)")


if __name__ == "__main__":
    main()
