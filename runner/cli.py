"""The `reel` command line: options in, one call to a command module, an exit code out.

Only click is imported at start-up; each command imports its own module when it runs, so
`reel --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from runner import __version__

_CATALOGUE = click.option(
    "--catalogue",
    "overlay",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="A catalogue overlay (models, options, prices) merged onto Reel's; replaces the "
    "pipeline's `catalogue:`.",
)


def _finish(command: Callable[[], int]) -> None:
    from runner.boundary import boundary

    sys.exit(boundary(command))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reel")
def main() -> None:
    """Reel turns a shot list (a YAML pipeline) into finished AI videos through useapi.net's
    MiniMax API: Hailuo, Sora 2 and Veo 3.1.

    Without USEAPI_TOKEN, everything runs on the embedded simulator: nothing is spent.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the diagnostics.",
)
@_CATALOGUE
def validate(files: tuple[str, ...], fmt: str, overlay: str | None) -> None:
    """Check pipeline files; print every problem as FILE:LINE:COL. Exit 2 when invalid."""
    from runner.commands import validate as cmd

    _finish(lambda: cmd.main(list(files), fmt, overlay))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: the pipeline's `output`).",
)
@click.option("--retry-failed", is_flag=True, help="Plan failed and moderated shots again.")
@click.option("--force", "force", multiple=True, metavar="ID", help="Plan this shot again.")
@click.option(
    "--prompts", is_flag=True, help="Also print each shot's prompt after vars, looks and cast."
)
@_CATALOGUE
def plan(
    file: str,
    as_json: bool,
    out: str | None,
    retry_failed: bool,
    force: tuple[str, ...],
    prompts: bool,
    overlay: str | None,
) -> None:
    """Show what a run will do and what it will cost, without spending anything."""
    from runner.commands import plan as cmd

    _finish(
        lambda: cmd.main(
            file,
            as_json=as_json,
            out=out,
            retry_failed=retry_failed,
            force=list(force),
            prompts=prompts,
            overlay=overlay,
        )
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
@_CATALOGUE
def models(as_json: bool, overlay: str | None) -> None:
    """List every model with its kind, options, frames and credits."""
    from runner.commands import models as cmd

    _finish(lambda: cmd.main(as_json=as_json, overlay=overlay))


@main.command()
@click.option("--manifest", is_flag=True, help="Print the manifest's schema instead.")
@_CATALOGUE
def schema(manifest: bool, overlay: str | None) -> None:
    """Print the pipeline file's JSON Schema (draft-07), for editors and check-jsonschema."""
    from runner.commands import schema as cmd

    _finish(lambda: cmd.main(manifest=manifest, overlay=overlay))


@main.command()
@click.argument("pipeline", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: the pipeline's `output`).",
)
@click.option("--only", multiple=True, metavar="ID", help="Run only this shot (repeatable).")
@click.option(
    "--max-credits",
    type=click.IntRange(min=0),
    default=None,
    help="Never start a job that would take this run's spend over N credits.",
)
@click.option("--yes", is_flag=True, help="Spend without asking (real API).")
@click.option(
    "--base-url",
    envvar="USEAPI_BASE_URL",
    default=None,
    help="API base URL (default: https://api.useapi.net/v1/minimax).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Fixed seconds between status polls (default: adaptive, 10-30 s).",
)
@click.option(
    "--retry-wait",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Base seconds to wait after 429/502/504 and failed transfers (default: 10-30 s).",
)
@click.option("--json", "as_json", is_flag=True, help="Stream one JSON event per line.")
@click.option("--retry-failed", is_flag=True, help="Render failed and moderated shots again.")
@click.option("--force", multiple=True, metavar="ID", help="Render this shot again regardless.")
@_CATALOGUE
def run(
    pipeline: str,
    out: str | None,
    only: tuple[str, ...],
    max_credits: int | None,
    yes: bool,
    base_url: str | None,
    poll_interval: float | None,
    retry_wait: float | None,
    as_json: bool,
    retry_failed: bool,
    force: tuple[str, ...],
    overlay: str | None,
) -> None:
    """Render every shot of PIPELINE and write the videos and manifest.json."""
    from runner.commands import run as cmd

    _finish(
        lambda: cmd.main(
            pipeline,
            out=out,
            only=list(only),
            max_credits=max_credits,
            yes=yes,
            base_url=base_url,
            poll_interval=poll_interval,
            retry_wait=retry_wait,
            as_json=as_json,
            retry_failed=retry_failed,
            force=list(force),
            overlay=overlay,
        )
    )


@main.command()
@click.argument("target", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(target: str, as_json: bool) -> None:
    """Show what is done, running and failed for a PIPELINE or OUTPUT_DIR."""
    from runner.commands import status as cmd

    _finish(lambda: cmd.main(target, as_json=as_json))


@main.command()
@click.argument("directory", type=click.Path(dir_okay=True))
def init(directory: str) -> None:
    """Start a storyboard project in DIRECTORY: storyboard.yaml, images/, .gitignore, editor
    settings and a README. Never overwrites anything."""
    from runner.commands import init as cmd

    _finish(lambda: cmd.main(directory))


@main.command()
@click.argument("output_dir", type=click.Path(file_okay=False))
def report(output_dir: str) -> None:
    """Rewrite OUTPUT_DIR/report.html, the storyboard review page."""
    from runner.commands import report as cmd

    _finish(lambda: cmd.main(output_dir))


@main.command("select")
@click.argument("pipeline", type=click.Path(dir_okay=False))
@click.argument("shot")
@click.argument("take", type=click.IntRange(min=1))
def select_take(pipeline: str, shot: str, take: int) -> None:
    """Choose the TAKE of SHOT that goes into the cut (writes `select:` into PIPELINE)."""
    from runner.commands import select as cmd

    _finish(lambda: cmd.main(pipeline, shot, take))


@main.command()
@click.argument("pipeline", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: the pipeline's `output`).",
)
def cut(pipeline: str, out: str | None) -> None:
    """Write OUTPUT/cut.mp4 and cut.otio: the selected take of every shot, slates for the rest."""
    from runner.commands import cut as cmd

    _finish(lambda: cmd.main(pipeline, out=out))


@main.group()
def sim() -> None:
    """The simulator of useapi.net's MiniMax API."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--token", default=None, help="Bearer token to accept (default: a fixed demo token).")
@click.option(
    "--accounts",
    default=None,
    metavar="ID:PLAN:MAXJOBS[:CREDITS],...",
    help="Accounts, e.g. 111:free:2,222:paid:3 (plan free or paid).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Divide every duration by this.",
)
@click.option("--faults", default=None, metavar="SPEC", help="Fault rates; see README.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for faults.")
@click.option(
    "--available",
    "listing",
    type=click.Choice(["with-room", "all"]),
    default=None,
    help="GET /scheduler/available lists only accounts with room (default, or "
    "REEL_SIM_AVAILABLE) or all, full ones with available 0.",
)
@click.option(
    "--media-scale",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=1.0,
    show_default=True,
    help="Serve videos at this fraction of their reported size (faster to make).",
)
def sim_serve(
    host: str,
    port: int,
    token: str | None,
    accounts: str | None,
    speed: float,
    faults: str | None,
    seed: int,
    listing: str | None,
    media_scale: float,
) -> None:
    """Serve the simulated API over HTTP until interrupted."""
    from runner.commands import sim_serve as cmd

    _finish(
        lambda: cmd.main(
            host=host,
            port=port,
            token=token,
            accounts=accounts,
            speed=speed,
            faults=faults,
            seed=seed,
            listing=listing,
            media_scale=media_scale,
        )
    )
