"""A minimal language-server client over stdio, enough to drive yaml-language-server as an
editor does: open a document, read its diagnostics, ask for completion and hover."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

SETTINGS = {
    "yaml": {
        "validate": True,
        "hover": True,
        "completion": True,
        "schemaStore": {"enable": False},
        "format": {"enable": False},
    }
}


class LanguageServer:
    """One yaml-language-server process; answers its requests for settings."""

    def __init__(self, command: list[str], root: Path) -> None:
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._next = 0
        self._replies: dict[int, queue.Queue[Any]] = {}
        self._notes: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": True}},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "publishDiagnostics": {},
                    },
                    "workspace": {"configuration": True},
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self._proc.stdin is not None
        with self._lock:
            self._proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._proc.stdin.flush()

    def _read(self) -> None:
        out = self._proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:  # a request of the server's
                self._answer(message)
            elif "id" in message:
                self._replies.setdefault(message["id"], queue.Queue()).put(message)
            else:
                self._notes.put(message)

    def _answer(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "workspace/configuration":
            items = message["params"]["items"]
            result = [SETTINGS.get(i.get("section", ""), SETTINGS["yaml"]) for i in items]
        self._send({"id": message["id"], "result": result})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self._next += 1
        reply_box = self._replies.setdefault(self._next, queue.Queue())
        self._send({"id": self._next, "method": method, "params": params})
        reply = reply_box.get(timeout=timeout)
        assert "error" not in reply, reply
        return reply.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        doc = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": doc})
        return uri

    def diagnostics(self, uri: str, timeout: float = 30) -> list[dict[str, Any]]:
        """The diagnostics published for `uri` (the first batch after it was opened)."""
        return self.diagnostics_of([uri], timeout)[uri]

    def diagnostics_of(self, uris: list[str], timeout: float = 60) -> dict[str, Any]:
        """The first diagnostics published for each of `uris` (opened together, so that the
        server checks them while the client waits)."""
        found: dict[str, Any] = {}
        while len(found) < len(set(uris)):
            note = self._notes.get(timeout=timeout)
            published = note.get("method") == "textDocument/publishDiagnostics"
            if published and note["params"]["uri"] in uris:
                found.setdefault(note["params"]["uri"], note["params"]["diagnostics"])
        return found

    def completion(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items: list[dict[str, Any]] = result["items"] if isinstance(result, dict) else result
        return items

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        if not result:
            return ""
        contents = result["contents"]
        return str(contents["value"] if isinstance(contents, dict) else contents)

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self._proc.wait(timeout=5)
        except (OSError, queue.Empty, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
