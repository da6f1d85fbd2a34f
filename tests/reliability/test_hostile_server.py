"""A hostile server between Reel and the API: every case ends, within its limit, with the
right exit code and a message that says what came back.

A small stdlib HTTP server on 127.0.0.1 stands where the API is. The first segment of the
path names the case; API calls are passed to the simulator (their replies' media addresses
rewritten to come back here), except what the case replaces: media that are HTML pages, lie
about their length, are not videos, never end or redirect forever; a videoId that is a path;
a listing that answers 502 forever; an HTML page or a redirect loop where the API should be.
The download limits are shrunk for the test (1 MB, 1 KB/s over 1 s); the defaults are in
`runner.run.download`.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from runner.sim import Simulator
from tests.reliability.conftest import Outcome, assert_no_crash, invoke
from tests.run.conftest import write_pipeline

ONE = 'accounts: {"222": {maxJobs: 3}}\nshots:\n  - {id: a, prompt: a hostile case}\n'
HTML = (
    b"<!DOCTYPE html><html><head><title>Not here</title></head><body>"
    + b"x" * 240
    + b"</body></html>"
)
BAD_ID = "user:1234-minimax:222-video:1/../../x?y"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 36), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


class Hostile(BaseHTTPRequestHandler):
    """One request; `self.server.sim` is the simulator, the path's first segment the case."""

    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str) -> None:
        case, _, rest = self.path.lstrip("/").partition("/")
        rest = "/" + rest
        self.server.seen.append((case, method, rest))
        if rest.startswith("/cdn/video/"):
            return self._media(case, rest)
        if case == "api-html":
            return self._send(200, HTML, "text/html; charset=utf-8")
        if case == "api-loop":
            return self._send(302, b"", "text/plain", Location=f"/{case}{rest}")
        if case == "list502" and rest.startswith("/v1/minimax/videos/?"):
            return self._send(502, b'{"error": "too busy", "code": 502}', "application/json")
        status, body = self._forward(method, rest)
        if case == "list502" and rest.startswith("/v1/minimax/videos/create"):
            return self._send(502, b'{"error": "too busy", "code": 502}', "application/json")
        if case == "pathid" and rest.startswith("/v1/minimax/videos/create") and status == 200:
            body = json.dumps({"videoId": BAD_ID}).encode()
        root = f"http://127.0.0.1:{self.server.server_port}/{case}"
        body = body.replace(self.server.sim.root.encode(), root.encode())
        return self._send(status, body, "application/json")

    def _forward(self, method: str, path: str) -> tuple[int, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else None
        target = urlsplit(self.server.sim.root)
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        conn.request(method, path, body=data, headers=headers)
        reply = conn.getresponse()
        body = reply.read()
        conn.close()
        return reply.status, body

    def _media(self, case: str, rest: str) -> None:
        if case == "html":
            return self._send(200, HTML, "text/html")
        if case == "lying":
            self._send(200, b"\0" * 100, "video/mp4", length="5000")
            self.close_connection = True
            return None
        if case == "image":
            return self._send(200, _png(), "video/mp4")
        if case == "media-loop":
            return self._send(302, b"", "text/plain", Location=f"/{case}{rest}")
        if case == "zeros":  # no length: the body ends when the connection closes
            self.protocol_version = "HTTP/1.0"
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            for _ in range(3 * 16):
                self.wfile.write(b"\0" * 65536)
            self.close_connection = True
            return None
        if case == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(900_000))  # under the test's 1 MB cap
            self.end_headers()
            try:
                while not self.server.stopping.is_set():
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            self.close_connection = True
            return None
        status, body = self._forward("GET", rest)
        return self._send(status, body, "video/mp4")


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sim: Simulator) -> None:
        super().__init__(("127.0.0.1", 0), Hostile)
        self.sim = sim
        self.seen: list[tuple[str, str, str]] = []
        self.stopping = threading.Event()


@pytest.fixture
def hostile(sim: Simulator) -> Iterator[HostileServer]:
    server = HostileServer(sim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def quick_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Download limits small enough for a test (the defaults are for real videos)."""
    monkeypatch.setenv("REEL_DOWNLOAD_MAX_MB", "1")
    monkeypatch.setenv("REEL_DOWNLOAD_WINDOW_S", "1")
    monkeypatch.setenv("REEL_DOWNLOAD_MIN_KBPS", "1")


def _run(server: HostileServer, case: str, tmp_path: Path) -> tuple[Outcome, dict[str, object]]:
    path = write_pipeline(tmp_path, ONE)
    base = f"http://127.0.0.1:{server.server_port}/{case}/v1/minimax"
    fast = ("--poll-interval", "0.05", "--retry-wait", "0.05")
    out = invoke(
        "run", str(path), "--yes", "--base-url", base, *fast, env={"USEAPI_TOKEN": server.sim.token}
    )
    assert_no_crash(out)
    manifest_path = tmp_path / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    return out, manifest


def _shot(manifest: dict[str, object]) -> dict[str, object]:
    shots = manifest["shots"]
    assert isinstance(shots, list)
    return shots[0]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("html", "an HTML page"),
        ("lying", "received 100 bytes, expected 5000"),
        ("zeros", "over the cap"),
        ("image", "not a video"),
        ("trickle", "too slow"),
        ("media-loop", "redirect"),
    ],
)
def test_media_that_is_not_a_whole_video_fails_the_shot_take_and_is_never_kept(
    hostile: HostileServer, tmp_path: Path, case: str, says: str
) -> None:
    out, manifest = _run(hostile, case, tmp_path)
    assert out.code == 1, out.text
    shot = _shot(manifest)
    assert shot["status"] == "failed" and says in str(shot["error"]), shot["error"]
    assert shot["videoId"], "the job id is kept: a rerun downloads it again"
    saved = [p for p in (tmp_path / "out").glob("*.mp4") if p.name != "cut.mp4"]  # the animatic
    assert not saved, "nothing is saved as a video"


@pytest.mark.timeout(60)
def test_a_video_id_shaped_like_a_path_is_a_failed_create_never_a_request(
    hostile: HostileServer, tmp_path: Path
) -> None:
    out, manifest = _run(hostile, "pathid", tmp_path)
    assert out.code == 1, out.text
    shot = _shot(manifest)
    assert shot["status"] == "failed" and BAD_ID in str(shot["error"]), shot["error"]
    assert not [p for _c, _m, p in hostile.seen if ".." in p or "/v1/x" in p]


@pytest.mark.timeout(60)
def test_a_listing_that_answers_502_forever_ends_the_lookup_and_keeps_the_intent(
    hostile: HostileServer, tmp_path: Path
) -> None:
    out, manifest = _run(hostile, "list502", tmp_path)
    assert out.code == 1, out.text
    shot = _shot(manifest)
    assert shot["status"] == "failed", shot
    assert "could not look up" in str(shot["error"]) and "a rerun looks again" in str(shot["error"])
    assert "failure (HTTP 502" in out.text, "the wait was shown while it lasted"
    creates = [p for c, m, p in hostile.seen if m == "POST" and p.endswith("/videos/create")]
    assert len(creates) == 1, "never resent while the lookup could not answer"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("case", "says"),
    [("api-html", "an HTML page"), ("api-loop", "a redirect to /api-loop/")],
)
def test_a_base_url_that_is_not_the_api_is_said_plainly_and_fast(
    hostile: HostileServer, tmp_path: Path, case: str, says: str
) -> None:
    out, _manifest = _run(hostile, case, tmp_path)
    assert out.code != 0 and says in out.text and "is the base URL right?" in out.text, out.text
    asked = [p for c, _m, p in hostile.seen if c == case]
    assert len(asked) == len(set(asked)), f"not asked again: {asked}"
