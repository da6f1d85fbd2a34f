"""Reel on what the docs allow the API to answer: other status codes, sizes, sound.

The simulator can answer every status code the docs list (0 pending, 12 processing, 7 and 14
moderated) and one they do not; Reel trusts `statusFinal` and keeps following a job whose code
it does not know. The size the API reports is not the file's: Reel records what it decodes.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import av
from click.testing import CliRunner

from runner.cli import main
from runner.sim import FaultRates, SimAccount, SimConfig, running_simulator
from tests.run.conftest import SPEED, run_pipeline, sim_config, write_pipeline

ROOT = Path(__file__).parents[2]
THREE = """
shots:
  - {id: one, prompt: "first"}
  - {id: two, prompt: "second"}
  - {id: gone, prompt: "third sim:moderate-late"}
"""


def test_the_docs_other_codes_end_as_their_final_state(tmp_path: Path) -> None:
    faults = FaultRates(documented_codes=1.0)
    with running_simulator(sim_config(faults=faults)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, THREE))
    assert {s["status"] for s in run.ledger["jobs"]} == {2, 5}
    assert run.status("one#1") == run.status("two#1") == "completed"
    assert run.status("gone#1") == "moderated"  # 7 or 14 on the wire


def test_an_unknown_status_is_followed_to_the_end(tmp_path: Path) -> None:
    faults = FaultRates(unknown_codes=1.0)
    with running_simulator(sim_config(faults=faults)) as sim:
        run = run_pipeline(sim, write_pipeline(tmp_path, THREE))
    assert run.result.outcome == "incomplete"  # only the moderated one
    assert [run.status(k) for k in ("one#1", "two#1", "gone#1")] == [
        "completed",
        "completed",
        "moderated",
    ]


def test_the_manifest_has_the_decoded_size_not_the_reported_one(tmp_path: Path) -> None:
    config = SimConfig(accounts=(SimAccount("222", "paid", 3),), speed=SPEED, media_scale=0.25)
    path = write_pipeline(tmp_path, "shots:\n  - {id: wide, model: T2V-2.3, prompt: sea}\n")
    with running_simulator(config) as sim:
        run = run_pipeline(sim, path)
        reported = sim.world.jobs[run.shot("wide#1")["videoId"]]
    assert (reported.width, reported.height) == (1366, 768)
    output = run.shot("wide#1")["output"]
    with av.open(str(run.output / "wide.mp4")) as container:
        decoded = container.streams.video[0].codec_context
        assert (output["width"], output["height"]) == (decoded.width, decoded.height) == (342, 192)


def _audio_streams(path: Path) -> list[str]:
    with av.open(io.BytesIO(path.read_bytes())) as container:
        names = [s.codec_context.name for s in container.streams.audio]
        if names:  # decodable, not just declared
            assert sum(f.samples for f in container.decode(audio=0)) > 0
        return names


def test_the_demo_has_sound_in_its_veo_shot_and_none_in_hailuo(tmp_path: Path) -> None:
    # A copy: a run writes its lock beside the pipeline, and the repository's stays untouched.
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines")
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "pipelines" / "demo.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _audio_streams(out / "crew.mp4") == ["aac"]  # Veo-3.1-S2V-Fast
    assert _audio_streams(out / "opening.mp4") == []  # T2V-2.3
    assert _audio_streams(out / "arrival.mp4") == []  # Sora-2
