"""The real app under uvicorn for the tests that need a live server (REST, browser, security, claim check)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import Assistant
from assistant.app.server import create_app, server_config, warm_up
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings

EXAMPLE = "how does imiquimod activate dendritic cells"


@dataclass
class Live:
    url: str
    assistant: Assistant
    index_dir: Path
    cli: Future[subprocess.CompletedProcess[str]] | None = None

    @property
    def uploads(self) -> Path:
        return self.index_dir / "uploads"


@contextmanager
def running_server(index_dir: Path, embedder: Embedder) -> Iterator[Live]:
    """The real app under uvicorn on a free loopback port, in a background thread."""
    import uvicorn

    assistant = Assistant(make_settings(index_dir), embedder=embedder)
    warm_up(assistant)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(assistant)
    server = uvicorn.Server(server_config(app))  # the product's own settings
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", assistant, index_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        app.state.jobs.close()
        sock.close()


def copy_index(factory: pytest.TempPathFactory, seeded_dir: Path, name: str) -> Path:
    target = factory.mktemp(name) / "index"
    shutil.copytree(seeded_dir, target)
    return target


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) of a text/event-stream body; unnamed events are "message"."""
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line)
        if fields:
            events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events


def assert_clean_error(response: httpx.Response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert "Traceback" not in response.text and ".py" not in response.text
    for word in words:
        assert word.lower() in body["error"].lower()
    return str(body["error"])


def queue_call(http: httpx.Client, target: tuple[str, str], data: list[Any]) -> list[dict[str, Any]]:
    """Gradio's queue protocol by hand, as any local script could speak it: the event on the component with
    `elem_id` `target[0]` and trigger `target[1]`, called with `data`; the messages of its run, to the last."""
    config = http.get("/config").json()
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == target[0]}
    (fn_index,) = [i for i, d in enumerate(config["dependencies"]) if any(
        t[0] in ids and t[1] == target[1] for t in d["targets"])]  # fmt: skip
    session = f"test{time.monotonic_ns()}"
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "trigger_id": None, "event_data": None}
    # json.dumps escapes to ASCII, so a lone surrogate travels as the JSON escape a browser would send.
    joined = http.post("/gradio_api/queue/join", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert joined.status_code == 200, joined.text
    messages = []
    with http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                messages.append(json.loads(line[6:]))
                if messages[-1].get("msg") in ("process_completed", "close_stream"):
                    break
    return messages
