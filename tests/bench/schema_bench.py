"""check-jsonschema with the committed pipeline schema: the demo and a generated 1,000-shot file.

    python -m tests.bench.schema_bench [SHOTS]

Goal: under 1 s each (the whole command, start-up and the meta-schema check included); prints
the schema's size too. The 1,000-shot file is `validate_bench`'s (every model family, frames,
camera moves, takes, an unquoted `model: 02`).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.validate_bench import make_pipeline

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema" / "pipeline.schema.json"


def _best_of(command: list[str], runs: int = 3) -> str:
    """Best wall time and best CPU time (user + system) of a few runs."""
    wall = cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = min(wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = min(cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{command[-1]} is not valid:\n{done.stdout}{done.stderr}")
    return f"{wall:.2f} s ({cpu:.2f} s of CPU)"


def _c_parser() -> bool:
    """Whether check-jsonschema's YAML loader (ruamel.yaml) has its C parser here."""
    from ruamel.yaml import main as ruamel_main

    return ruamel_main.CParser is not None


def main(argv: list[str]) -> int:
    shots = int(argv[0]) if argv else 1000
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("check-jsonschema is not installed (pip install -e '.[test]')")
    text = SCHEMA.read_text(encoding="utf-8")
    compact = len(json.dumps(json.loads(text), separators=(",", ":")))
    print(f"schema: {len(text.encode()):,} bytes ({compact:,} without whitespace)")
    print(f"YAML parser: {'C (ruamel.yaml.clib)' if _c_parser() else 'pure Python'}")
    command = [exe, "--schemafile", str(SCHEMA)]
    print(f"demo: {_best_of([*command, str(ROOT / 'pipelines' / 'demo.yaml')])}")
    with tempfile.TemporaryDirectory() as tmp:
        path = make_pipeline(Path(tmp), shots)
        print(f"{shots} shots: {_best_of([*command, str(path)])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
