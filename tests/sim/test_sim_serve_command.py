"""`reel sim serve` as a user runs it: prints where it serves and its token, stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from runner.cli import main as cli_main


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "sim", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_serve_prints_url_and_token_then_stops_on_ctrl_c() -> None:
    process = _start(
        "--token",
        "user:99-mytoken12345",
        "--accounts",
        "555:paid:4:900",
        "--speed",
        "1000",
        "--faults",
        "429=0",
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        found = re.search(r"at (http://127\.0\.0\.1:\d+/v1/minimax)", lines[0])
        assert found, lines
        assert "token user:99-mytoken12345" in lines[1]
        base = found.group(1)
        headers = {"Authorization": "Bearer user:99-mytoken12345"}
        accounts = httpx.get(base + "/accounts", headers=headers).json()
        assert accounts["555"]["maxJobs"] == 4
        reply = httpx.post(base + "/videos/create", headers=headers, json={"prompt": "hi"})
        assert reply.json()["videoId"].startswith("user:99-minimax:555-video:")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert out.rstrip().endswith("reel sim: stopped")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "1:gold:2"], "plan must be 'free' or 'paid'"),
        (["--faults", "nope=1"], "unknown fault 'nope'"),
    ],
)
def test_bad_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["sim", "serve", "--port", "0", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_port_in_use_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            cli_main(["sim", "serve", "--port", str(port)])
    assert exited.value.code == 2
    assert "could not listen" in capsys.readouterr().err


def test_serve_is_faithful_by_default_and_takes_the_other_reading() -> None:
    """Full-size media unless --media-scale; --available all lists a full account."""
    import io
    import time

    import av

    process = _start("--accounts", "7:paid:1", "--speed", "300", "--available", "all")
    try:
        assert process.stdout is not None
        found = re.search(r"at (http://127\.0\.0\.1:\d+/v1/minimax)", process.stdout.readline())
        assert found
        base = found.group(1)
        headers = {"Authorization": "Bearer user:1234-simulatortoken0000"}
        with httpx.Client(base_url=base, headers=headers) as http:
            video_id = http.post("/videos/create", json={"prompt": "hi"}).json()["videoId"]
            rows = http.get("/scheduler/available").json()["available"]
            assert rows == [{"account": "7", "maxJobs": 1, "executing": 1, "available": 0}]
            deadline = time.monotonic() + 20
            while not (video := http.get(f"/videos/{video_id}").json())["statusFinal"]:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            data = httpx.get(video["downloadURL"]).content
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0].codec_context
            assert (stream.width, stream.height) == (video["width"], video["height"]) == (1280, 720)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
