"""`reel init DIR`: start a storyboard project a person can commit at once.

Writes a commented `storyboard.yaml` (valid, and rendered free by the embedded simulator), the
pipeline's JSON Schema for the editor, an `images/` folder, a `.gitignore` that ignores the
rendered videos but keeps the lock, `.vscode/settings.json` mapping the schema, and a short
README. It never overwrites: if any of those files exists, nothing is written (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from runner.errors import EXIT_OK, UsageError

SCHEMA = "schema/pipeline.schema.json"

STORYBOARD = f"""\
# yaml-language-server: $schema={SCHEMA}
# A storyboard for Reel: each entry under `shots:` is one video. Your editor checks this file
# against {SCHEMA} as you type; `reel validate storyboard.yaml` checks the rest.
version: 1
output: renders              # where the videos go (git ignores it; storyboard.lock is kept)
# accounts:                  # your MiniMax accounts on useapi.net and their job limits
#   "123456": {{maxJobs: 3}}
shots:
  - id: opening              # names the video: renders/opening.mp4
    model: T2V-2.3           # `reel models` lists every model, its options and credits
    options: 768p-6sec
    prompt: "A slow dolly across a sunlit cafe counter, steam rising from a cup"

  - id: harbour
    model: T2V-01-Director   # reads camera moves in [brackets]; Hailuo 01 takes no options
    prompt: "[Pan left] Gulls wheel over a quiet harbour at dawn"

  # A shot from a picture: put it in images/, then uncomment.
  # - id: keeper
  #   model: I2V-2.3-Fast
  #   frames:
  #     first: images/keeper.png
  #   prompt: "The lighthouse keeper looks up from his book"
  #   takes: 2                 # two independent renders to choose from
"""

GITIGNORE = """\
# Rendered videos are large, and need not be committed: storyboard.lock (keep it!) names each
# one, and `reel run` in a fresh clone downloads them again instead of paying for them.
renders/
!storyboard.lock
"""

README = """\
# Storyboard

Rendered with Reel (`pip install reel-storyboard`; the command is `reel`).

```sh
reel validate storyboard.yaml   # check every shot against every model's rules
reel plan storyboard.yaml       # what it will render and what it costs; spends nothing
reel run storyboard.yaml        # render (without USEAPI_TOKEN: free simulated placeholders)
```

Commit `storyboard.yaml`, `images/` and `storyboard.lock`: the lock lists the videos already
rendered, so a teammate's `reel run` downloads them instead of paying again.
"""

SETTINGS = {"yaml.schemas": {f"./{SCHEMA}": ["storyboard.yaml"]}}


def _files(schema: str) -> dict[str, str]:
    """Each file `reel init` writes (path relative to DIR → text)."""
    return {
        "storyboard.yaml": STORYBOARD,
        SCHEMA: schema,
        "images/.gitkeep": "",
        ".gitignore": GITIGNORE,
        ".vscode/settings.json": json.dumps(SETTINGS, indent=2) + "\n",
        "README.md": README,
    }


def _schema() -> str:
    from runner.spec.packaged import schema_text

    text = schema_text("pipeline.schema.json")
    if text is None:
        from runner.spec.schema_gen import render

        text = render()
    return text


def main(directory: str) -> int:
    """Create the project in `directory` (made if missing); refuse if anything would be
    overwritten."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{directory} is a file: give a folder for the new storyboard project")
    files = _files(_schema())
    taken = [name for name in files if (root / name).exists() or (root / name).is_symlink()]
    if taken:
        raise UsageError(
            f"{directory} already has {', '.join(taken)}: reel init never overwrites;"
            " choose an empty folder (nothing was written)"
        )
    try:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as f:
                f.write(text)
    except OSError as exc:
        raise UsageError(
            f"cannot write the project in {directory}: {exc.strerror or exc}"
        ) from None
    print(f"created a storyboard project in {directory}; next:")
    print(f"  cd {directory} && reel validate storyboard.yaml && reel run storyboard.yaml")
    return EXIT_OK
