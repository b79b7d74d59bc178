"""A real OpenAI-compatible HTTP server whose replies a test scripts: what a misbehaving backend sends.

It speaks the protocol over a socket (`POST /v1/chat/completions`, JSON or server-sent events), so the client
library, its parsing and its timeouts all run as they do against a real server; only the text is chosen.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    """What the server sends to the next requests: `chunks` as SSE deltas (a stream) or joined (a plain reply)."""

    chunks: list[str] = field(default_factory=list)
    finish: str | None = "stop"  # the finish_reason of the last chunk; None sends none (and no [DONE])
    delay: float = 0.0  # seconds before each chunk
    raw_body: bytes | None = None  # sent as is with status 200 instead of a reply (a server gone wrong)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        script = self.server.script
        self.server.requests.append(body)
        if script.raw_body is not None:
            self._send(script.raw_body, "text/event-stream" if body.get("stream") else "application/json")
        elif body.get("stream"):
            self._stream(script)
        else:
            reply = _completion("".join(script.chunks), script.finish)
            self._send(json.dumps(reply).encode(), "application/json")

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, script: Script) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        last = len(script.chunks) - 1
        try:
            for i, text in enumerate(script.chunks):
                time.sleep(script.delay)
                chunk = _chunk(text, script.finish if i == last else None)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            if script.finish is not None:
                self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading, as it should past its limits


def _completion(text: str, finish: str | None) -> dict[str, object]:
    message = {"role": "assistant", "content": text}
    choice = {"index": 0, "message": message, "finish_reason": finish or "stop"}
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted", "choices": [choice]}


def _chunk(text: str, finish: str | None) -> dict[str, object]:
    choice = {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": finish}
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted", "choices": [choice]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script
    requests: list[dict[str, object]]


@dataclass
class ScriptedLLM:
    """A running server: set `script`, read `requests`; `base_url` is what `ASSISTANT_LLM__BASE_URL` takes."""

    server: _Server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def script(self) -> Script:
        return self.server.script

    @script.setter
    def script(self, value: Script) -> None:
        self.server.script = value


@contextmanager
def scripted_llm() -> Iterator[ScriptedLLM]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script, server.requests = Script(), []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScriptedLLM(server)
    finally:
        server.shutdown()
        server.server_close()
