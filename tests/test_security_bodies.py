"""Bodies bounded before they are read (assistant/app/security.py), against a real uvicorn server over raw
sockets: sizes declared or counted, bodies that stall, bad Unicode. The server is `tests/secured.py`'s."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from assistant.app.security import Guard, Policy
from assistant.app.server import create_app
from assistant.settings import ServerSettings
from assistant.store.embeddings import Embedder
from tests.live_server import EXAMPLE, Live, assert_clean_error
from tests.secured import AUTH, AUTH_LINE, TOKEN, client, complete, port, raw, secured_server


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    with secured_server(tmp_path_factory, seeded_dir, embedder) as live:
        yield live


# --- bounded before read ----------------------------------------------------------------------------------------


def test_the_token_is_checked_before_the_body(secured: Live) -> None:
    """A 200 MB upload without the token: refused 401 on its head alone (no byte of body is sent)."""
    head = (
        "POST {path} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {kind}\nContent-Length: " + str(200 * 1024 * 1024) + "\n"
    )
    started = time.monotonic()
    for path, kind in (("/api/documents", "multipart/form-data; boundary=x"), ("/api/ask", "application/json")):
        status, headers, body = raw(secured, "127.0.0.6", head.format(path=path, kind=kind))
        assert status == 401 and "bearer" in json.loads(body)["error"] and headers["www-authenticate"] == "Bearer"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("path", "size", "setting"),
    [("/api/documents", 200 * 1024 * 1024, "MAX_UPLOAD_MB"), ("/api/ask", 30 * 1024 * 1024, "MAX_JSON_KB"),
     ("/api/ask/stream", 5 * 1024, "MAX_JSON_KB"), ("/gradio_api/upload", 2 * 1024 * 1024, "MAX_UPLOAD_MB"),
     ("/api/check", 400 * 1024, "MAX_CHECK_CHARS")],
)  # fmt: skip
def test_a_declared_size_over_the_limit_is_refused_unread(secured: Live, path: str, size: int, setting: str) -> None:
    auth = f"Authorization: Bearer {TOKEN}\n" if path.startswith("/api") else ""
    head = f"POST {path} HTTP/1.1\nHost: localhost\n{auth}Content-Type: application/json\nContent-Length: {size}\n"
    status, headers, body = raw(secured, "127.0.0.6", head)
    assert status == 413 and setting in json.loads(body)["error"]
    assert "content-security-policy" in headers


def test_a_check_text_within_its_limit_passes_the_body_limit_escaped(secured: Live) -> None:
    """20,001 characters of Greek, as a client that escapes non-ASCII sends them (6 bytes each: 117 KB, over the
    64 KB JSON limit): the body is read, and the text's own limit of 20,000 characters answers."""
    text = ("Η ιματινίμπη μείωσε τα ρυθμιστικά Τ κύτταρα στα ποντίκια. " * 400)[:20_001]
    body = json.dumps({"text": text})  # ensure_ascii: every Greek letter as \uXXXX
    assert len(body) > 100 * 1024
    with client(secured, "127.0.0.7") as http:
        response = http.post("/api/check", content=body, headers=AUTH | {"Content-Type": "application/json"})
    assert_clean_error(response, 400, "limit is 20000")


def test_a_refused_body_is_not_logged_as_an_internal_error(seeded: Assistant, caplog: pytest.LogCaptureFixture) -> None:
    """Gradio's upload reads a counted body past its limit: the client gets the 413, the log no traceback."""
    from fastapi.testclient import TestClient

    def form() -> Iterator[bytes]:  # a generator: sent chunked, with no length to refuse up front
        yield b'--x\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        for _ in range(40):
            yield b"A sentence about cells.\n" * 3000
        yield b"\r\n--x--\r\n"

    app = create_app(seeded, ServerSettings(max_upload_mb=1))
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as http:
        response = http.post(
            "/gradio_api/upload", content=form(), headers={"Content-Type": "multipart/form-data; boundary=x"}
        )
    assert response.status_code == 413 and "1 MB" in response.json()["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_a_stalled_body_gets_408_and_indexes_nothing(secured: Live) -> None:
    """A body that stops arriving (slowloris): refused once no piece came for 2 s, on every kind of write; Gradio's
    upload keeps no part of it on disk (it wrote the part into a named temporary file of its upload folder)."""
    from gradio.utils import get_upload_folder

    before = secured.assistant.documents()
    folder = Path(get_upload_folder())
    spooled = {p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    with client(secured, "127.0.0.9") as http:  # the chat page's upload needs its login
        assert http.post("/login", data={"username": "clinician", "password": "pw-456"}).status_code == 200
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    form = b'--x\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\nA sentence about '
    for path, kind, body in (
        ("/api/documents", "multipart/form-data; boundary=x", form),
        ("/api/ask", "application/json", b'{"question": "What does imiquimod'),
        ("/gradio_api/upload", "multipart/form-data; boundary=x", form.replace(b'"file"', b'"files"')),
    ):
        auth = AUTH_LINE if path.startswith("/api") else f"Cookie: {cookie}\n"
        head = f"POST {path} HTTP/1.1\nHost: localhost\n{auth}Content-Type: {kind}\nContent-Length: 3000\n"
        started = time.monotonic()
        status, headers, text = raw(secured, "127.0.0.9", head, body, timeout=15)
        waited = time.monotonic() - started
        assert status == 408 and "BODY_TIMEOUT_S" in json.loads(text)["error"], (path, text)
        assert headers["connection"] == "close" and 1.5 < waited < 10, (path, waited)
    assert secured.assistant.documents() == before
    assert {p for p in folder.iterdir() if p.is_file()} <= spooled


def test_a_slow_body_that_keeps_coming_is_read(secured: Live) -> None:
    """Pieces may come slowly while the body keeps within its time: three pieces 0.6 s apart (the fixture's
    body_timeout_s is 2 s) arrive."""
    body = json.dumps({"question": EXAMPLE}).encode()
    head = f"POST /api/ask HTTP/1.1\r\nHost: localhost\r\n{AUTH_LINE.strip()}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port(secured)), timeout=30, source_address=("127.0.0.9", 0)) as sock:
        sock.sendall(head.encode())
        third = len(body) // 3
        for piece in (body[:third], body[third : 2 * third], body[2 * third :]):
            time.sleep(0.6)
            sock.sendall(piece)
        data = b""
        while not complete(data):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and b'"citations": [{' in data.replace(b'":[{', b'": [{')


def test_a_trickled_body_is_refused_once_it_runs_past_its_time(secured: Live) -> None:
    """A byte every second never waits past the per-piece limit (2 s here), and held a connection open for as long
    as the sender liked (an outside tester kept one for 150 s at a byte per 25 s). A body must arrive within
    body_timeout_s plus a second per `MIN_RATE` bytes: this one is refused after about 2 s, with nothing answered."""
    head = f"POST /api/ask HTTP/1.1\r\nHost: localhost\r\n{AUTH_LINE.strip()}\r\nContent-Type: application/json\r\n"
    head += "Content-Length: 1000\r\n\r\n"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port(secured)), timeout=30, source_address=("127.0.0.9", 0)) as sock:
        sock.sendall(head.encode())
        data = b""
        for piece in b'{"question": "What does imiquimod do?"':
            try:
                sock.sendall(bytes([piece]))
            except OSError:
                break
            sock.settimeout(0.9)
            try:
                data += sock.recv(65536)
            except TimeoutError:
                continue
            if data:
                break
        sock.settimeout(10)
        while not complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 408") and b"BODY_TIMEOUT_S" in data, data
    assert 1.5 < time.monotonic() - started < 8


def test_a_streamed_answer_outlives_the_body_timeout() -> None:
    """Once the body is whole, the app may wait on `receive` (for the client leaving) past the timeout."""
    server = ServerSettings(body_timeout_s=0.1)
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])  # the whole body
        seen.append((await receive())["type"])  # 0.5 s later: the client leaves
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    events: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"{}", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        if len(events) == 1:
            await asyncio.sleep(0.5)
        return events.pop(0)

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/ask/stream", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 7860)}  # fmt: skip
    asyncio.run(Guard(app, Policy.of(server))(scope, receive, send))
    assert seen == ["http.request", "http.disconnect"] and sent[0]["status"] == 200


def chunked(data: bytes, size: int = 8192) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def test_a_streamed_body_is_counted(secured: Live) -> None:
    """No Content-Length (chunked): the body is counted as it arrives and refused once past the limit."""
    before = secured.assistant.documents()
    head = f"POST {{path}} HTTP/1.1\nHost: localhost\n{AUTH_LINE}Content-Type: {{kind}}\nTransfer-Encoding: chunked\n"
    question = json.dumps({"question": EXAMPLE + " " + "cells " * 20_000}).encode()  # about 120 KB
    status, _, body = raw(
        secured, "127.0.0.7", head.format(path="/api/ask", kind="application/json"), chunked(question)
    )
    assert status == 413 and "4 KB" in json.loads(body)["error"]

    form = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
    form += b"A sentence about cells.\n" * 100_000 + b"\r\n--x--\r\n"  # 2.4 MB
    kind = "multipart/form-data; boundary=x"
    status, _, body = raw(secured, "127.0.0.7", head.format(path="/api/documents", kind=kind), chunked(form, 60_000))
    assert status == 413 and "1 MB" in json.loads(body)["error"]
    assert secured.assistant.documents() == before
    assert not secured.uploads.exists() or not any(secured.uploads.iterdir())

    small = json.dumps({"question": EXAMPLE}).encode()
    status, _, body = raw(
        secured, "127.0.0.7", head.format(path="/api/ask", kind="application/json"), chunked(small, 7)
    )
    assert status == 200 and json.loads(body)["citations"], "a counted body under the limit arrives whole"


# --- bad input, docs, throttling --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_bad_unicode_in_a_question_is_a_400(secured: Live, path: str) -> None:
    json_headers = AUTH | {"Content-Type": "application/json"}
    with client(secured, "127.0.0.8") as http:
        lone = http.post(path, content=b'{"question": "imiquimod \\ud800 cells"}', headers=json_headers)
        assert_clean_error(lone, 400, "surrogate", "UTF-8")
        invalid = http.post(path, content=b'{"question": "imiquimod \xff\xfe cells"}', headers=json_headers)
        assert_clean_error(invalid, 400, "UTF-8")
        assert http.post(path, json={"question": EXAMPLE}, headers=AUTH).status_code == 200
