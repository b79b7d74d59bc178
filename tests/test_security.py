"""The HTTP defences (assistant/app/security.py) against a real uvicorn server, over raw sockets where it matters.

The server has a token, a login, a 1 MB upload limit, a 4 KB JSON limit, a throttle of 4 failures in 3 s and a body
that stalls for 2 s refused.
Each test talks from its own loopback source address (127.0.0.x), so one test's wrong tokens never throttle another.
"""

from __future__ import annotations

import asyncio
import json
import logging
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import Assistant
from assistant.app.security import Guard, Policy, Throttle, host_name
from assistant.app.server import create_app
from assistant.settings import ServerSettings
from assistant.store.embeddings import Embedder
from tests.conftest import run_cli
from tests.live_server import EXAMPLE, Live, assert_clean_error, copy_index, running_server

TOKEN = "tok-7f3a9c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AUTH_LINE = f"Authorization: Bearer {TOKEN}\n"
FAILURES, WINDOW_S = 4, 3
ENV = {
    "ASSISTANT_SERVER__TOKEN": TOKEN,
    "ASSISTANT_SERVER__USERNAME": "clinician",
    "ASSISTANT_SERVER__PASSWORD": "pw-456",
    "ASSISTANT_SERVER__MAX_UPLOAD_MB": "1",
    "ASSISTANT_SERVER__MAX_JSON_KB": "4",
    "ASSISTANT_SERVER__ALLOWED_HOSTS": "assistant.lan, Notes.Example.",
    "ASSISTANT_SERVER__THROTTLE_FAILURES": str(FAILURES),
    "ASSISTANT_SERVER__THROTTLE_WINDOW_S": str(WINDOW_S),
    "ASSISTANT_SERVER__BODY_TIMEOUT_S": "2",
}
HEADERS_ON_EVERY_RESPONSE = ("content-security-policy", "x-content-type-options", "referrer-policy")


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    """A real server whose settings come from the environment, as `assistant serve` reads them."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in ENV.items():
            env.setenv(key, value)
        with running_server(copy_index(tmp_path_factory, seeded_dir, "secured"), embedder) as live:
            yield live


def client(live: Live, source: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections come from the loopback address `source`."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=live.url, timeout=60, transport=transport, **kwargs)


def port(live: Live) -> int:
    return int(live.url.rsplit(":", 1)[1])


def raw(live: Live, source: str, head: str, body: bytes = b"", timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """Send a request head and then its body in pieces on a raw socket, stopping as soon as a response arrives
    (a server that refuses a body does not read it); returns the response's status, headers and text."""
    with socket.create_connection(("127.0.0.1", port(live)), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for start in range(0, len(body), 65536):
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(body[start : start + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        deadline = time.monotonic() + timeout
        while not _complete(data):
            if time.monotonic() > deadline:
                raise AssertionError(f"no complete response within {timeout} s: {data[:200]!r}")
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    header_block, _, payload = rest.partition(b"\r\n\r\n")
    pairs = (line.decode().split(": ", 1) for line in header_block.split(b"\r\n") if b": " in line)
    headers = {name.lower(): value for name, value in pairs}
    return int(status_line.split()[1]), headers, payload.decode(errors="replace")


def _complete(data: bytes) -> bool:
    head, _, payload = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(payload) >= int(line.split(b":")[1])
    return False


# --- Host, Origin, CORS, headers ------------------------------------------------------------------------------


def test_security_headers_on_every_response(secured: Live) -> None:
    with client(secured, "127.0.0.2") as http:
        responses = [
            http.get("/"),
            http.get("/api/health"),
            http.get("/api/documents"),
            http.get("/api/nope", headers=AUTH),
        ]
    assert [r.status_code for r in responses] == [200, 200, 401, 404]
    for response in responses:
        assert all(name in response.headers for name in HEADERS_ON_EVERY_RESPONSE), response.url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_an_internal_error_carries_the_headers_too(secured: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 500 is written by Starlette's outermost layer, outside the middleware."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(secured.assistant.retriever, "retrieve", broken)
    with client(secured, "127.0.0.2") as http:
        response = http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH)
    assert response.status_code == 500 and response.json() == {"error": "internal error"}
    assert all(name in response.headers for name in HEADERS_ON_EVERY_RESPONSE)


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_foreign_host_is_refused_for_every_method(secured: Live, method: str) -> None:
    """DNS rebinding: a name of the attacker's resolving to 127.0.0.1 arrives with that name as Host."""
    before = secured.assistant.documents()
    doc_id = before[0].doc_id
    with client(secured, "127.0.0.3") as http:
        for path in ("/api/documents", f"/api/documents/{doc_id}", "/", "/api/health"):
            response = http.request(method, path, headers=AUTH | {"Host": f"rebind.attacker.example:{port(secured)}"})
            assert_clean_error(response, 421, "rebind.attacker.example", "ALLOWED_HOSTS")
            assert "content-security-policy" in response.headers
    assert secured.assistant.documents() == before


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "LOCALHOST:{port}", "[::1]:{port}", "assistant.lan:{port}", "notes.example"]
)
def test_own_names_are_served(secured: Live, host: str) -> None:
    with client(secured, "127.0.0.3") as http:
        response = http.get("/api/documents", headers=AUTH | {"Host": host.format(port=port(secured))})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Origin": "http://127.0.0.1:9"}, ["cross-origin", "127.0.0.1:9"]),
        ({"Origin": "http://localhost:{port}"}, ["cross-origin"]),  # this port, another name: another origin
        ({"Origin": "null"}, ["null"]),
        ({"Sec-Fetch-Site": "cross-site"}, ["cross-site"]),
        ({"Sec-Fetch-Site": "same-site"}, ["same-site"]),
        ({"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-site"}, ["same-site"]),
        ({"Referer": "http://evil.example/page.html"}, ["Referer", "evil.example"]),  # an old browser: no Origin
        ({"Referer": "http://localhost:{port}/"}, ["Referer"]),
    ],
)
def test_writes_from_other_origins_are_refused(secured: Live, headers: dict[str, str], words: list[str]) -> None:
    """Every write, on every path: the REST API, Gradio's upload and queue, the login form."""
    sent = {k: v.format(port=port(secured)) for k, v in headers.items()}
    before = secured.assistant.documents()
    with client(secured, "127.0.0.4") as http:
        writes = [
            http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH | sent),
            http.post("/api/documents", files={"file": ("n.txt", b"Planted text about cells.")}, headers=AUTH | sent),
            http.delete(f"/api/documents/{before[0].doc_id}", headers=AUTH | sent),
            http.post("/gradio_api/upload", files={"files": ("n.txt", b"Planted.")}, headers=sent),
            http.post("/gradio_api/queue/join", json={"data": [], "fn_index": 0}, headers=sent),
            http.post("/login", data={"username": "clinician", "password": "pw-456"}, headers=sent),
        ]
    for response in writes:
        assert_clean_error(response, 403, *words)
    assert secured.assistant.documents() == before


def test_same_origin_and_headerless_writes_pass(secured: Live) -> None:
    same = {"Origin": secured.url, "Sec-Fetch-Site": "same-origin"}
    with client(secured, "127.0.0.4") as http:
        for headers in (same, {"Sec-Fetch-Site": "none"}, {}, {"Referer": secured.url + "/?view=chat"}):
            response = http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH | headers)
            assert response.status_code == 200 and response.json()["citations"], response.text
        # Reads from elsewhere are not refused: without CORS headers the other page cannot see them.
        read = http.get("/api/documents", headers=AUTH | {"Origin": "http://evil.example"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


def test_cors_is_off_without_an_allow_list(secured: Live) -> None:
    """No origin is reflected, Gradio's paths included (Gradio's own CORS layer allowed localhost origins)."""
    with client(secured, "127.0.0.5") as http:
        for origin in ("http://evil.example", "http://localhost:9", "null"):
            for path in ("/api/ask", "/config", "/gradio_api/queue/join"):
                preflight = http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
                assert "access-control-allow-origin" not in preflight.headers, (origin, path)
                assert "access-control-allow-credentials" not in preflight.headers
            simple = http.get("/config", headers={"Origin": origin})
            assert not {"access-control-allow-origin", "access-control-allow-credentials"} & set(simple.headers)


def test_cors_allow_list(seeded: Assistant) -> None:
    """An allowed origin gets CORS and may write (with the token); any other is refused as before."""
    from fastapi.testclient import TestClient

    tool = "http://tool.example:8080"
    server = ServerSettings(token=TOKEN, cors_origins=f"{tool}/, http://other.example")
    with TestClient(create_app(seeded, server)) as http:
        preflight = http.options(
            "/api/ask", headers={"Origin": tool, "Access-Control-Request-Method": "POST",
                                 "Access-Control-Request-Headers": "authorization, content-type"}
        )  # fmt: skip
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == tool
        allowed = http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH | {"Origin": tool})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == tool
        other = http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH | {"Origin": "http://evil.example"})
        assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
        # A client that sends only a Referer: a page of the allowed origin may write, another page may not.
        page = http.post("/api/ask", json={"question": EXAMPLE}, headers=AUTH | {"Referer": f"{tool}/notes?id=3"})
        assert page.status_code == 200, page.text
        elsewhere = http.post(
            "/api/ask", json={"question": EXAMPLE}, headers=AUTH | {"Referer": "http://evil.example/"}
        )
        assert elsewhere.status_code == 403 and "Referer" in elsewhere.json()["error"]


def test_websockets_from_other_origins_are_refused(seeded: Assistant) -> None:
    from fastapi.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    with TestClient(create_app(seeded)) as http:
        for headers in ({"Origin": "http://evil.example"}, {"Host": "rebind.attacker.example"}):
            with pytest.raises(WebSocketDisconnect) as refused, http.websocket_connect("/ws", headers=headers):
                pass
            assert refused.value.code == 1008


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
     ("/api/ask/stream", 5 * 1024, "MAX_JSON_KB"), ("/gradio_api/upload", 2 * 1024 * 1024, "MAX_UPLOAD_MB")],
)  # fmt: skip
def test_a_declared_size_over_the_limit_is_refused_unread(secured: Live, path: str, size: int, setting: str) -> None:
    auth = f"Authorization: Bearer {TOKEN}\n" if path.startswith("/api") else ""
    head = f"POST {path} HTTP/1.1\nHost: localhost\n{auth}Content-Type: application/json\nContent-Length: {size}\n"
    status, headers, body = raw(secured, "127.0.0.6", head)
    assert status == 413 and setting in json.loads(body)["error"]
    assert "content-security-policy" in headers


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
    """A body that stops arriving (slowloris): refused once no piece came for 2 s, on every kind of write."""
    before = secured.assistant.documents()
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


def test_a_slow_body_that_keeps_coming_is_read(secured: Live) -> None:
    """The limit is on the wait for each piece, not on the whole body: three pieces a second apart arrive."""
    body = json.dumps({"question": EXAMPLE}).encode()
    head = f"POST /api/ask HTTP/1.1\r\nHost: localhost\r\n{AUTH_LINE.strip()}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port(secured)), timeout=30, source_address=("127.0.0.9", 0)) as sock:
        sock.sendall(head.encode())
        third = len(body) // 3
        for piece in (body[:third], body[third : 2 * third], body[2 * third :]):
            time.sleep(1.2)
            sock.sendall(piece)
        data = b""
        while not _complete(data):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and b'"citations": [{' in data.replace(b'":[{', b'": [{')


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


def test_docs_need_the_token(secured: Live) -> None:
    with client(secured, "127.0.0.9") as http:
        for path in ("/docs", "/openapi.json"):
            assert_clean_error(http.get(path), 401, "bearer")
        assert "swagger" in http.get("/docs", headers=AUTH).text.lower()
        assert "/api/ask" in http.get("/openapi.json", headers=AUTH).json()["paths"]
        assert http.get("/api/health").status_code == 200, "health needs no token"


def test_wrong_tokens_are_throttled(secured: Live) -> None:
    with client(secured, "127.0.0.10") as http, client(secured, "127.0.0.11") as neighbour:
        for i in range(FAILURES):
            assert http.get("/api/documents", headers={"Authorization": f"Bearer guess-{i}"}).status_code == 401
        for headers in ({"Authorization": "Bearer guess-x"}, AUTH):  # even the right token: nothing can be learnt
            throttled = http.get("/api/documents", headers=headers)
            assert_clean_error(throttled, 429, "too many wrong tokens")
            assert 1 <= int(throttled.headers["retry-after"]) <= WINDOW_S
        assert http.get("/api/health").status_code == 200, "health is never throttled"
        assert neighbour.get("/api/documents", headers=AUTH).status_code == 200, "other addresses are not throttled"
        time.sleep(int(throttled.headers["retry-after"]) + 0.2)
        assert http.get("/api/documents", headers=AUTH).status_code == 200, "served again once the window passed"


def test_wrong_logins_are_throttled(secured: Live) -> None:
    with client(secured, "127.0.0.12") as http:
        for i in range(FAILURES):
            assert http.post("/login", data={"username": "clinician", "password": f"guess-{i}"}).status_code == 400
        throttled = http.post("/login", data={"username": "clinician", "password": "pw-456"})
        assert_clean_error(throttled, 429, "too many wrong logins")
        time.sleep(int(throttled.headers["retry-after"]) + 0.2)
        assert http.post("/login", data={"username": "clinician", "password": "pw-456"}).status_code == 200


def test_throttle_memory_is_bounded() -> None:
    now = [0.0]
    throttle = Throttle(failures=3, window_s=10, max_clients=100, clock=lambda: now[0])
    for i in range(10_000):
        throttle.fail(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) == 100
    for _ in range(5):
        throttle.fail("10.9.9.9")
    assert throttle.retry_after("10.9.9.9") == 10
    now[0] = 10.5
    assert throttle.retry_after("10.9.9.9") == 0 and len(throttle) <= 100


@pytest.mark.parametrize(
    ("given", "name"),
    [("127.0.0.1:7860", "127.0.0.1"), ("[::1]:80", "::1"), ("[::1]", "::1"), ("Host.LAN.", "host.lan"),
     ("::1", "::1"), ("[bad", ""), ("127.0.0.1:7860@evil.example", ""), ("127.0.0.1@evil.example", ""),
     ("localhost:x", ""), ("evil.example/127.0.0.1", "")],
)  # fmt: skip
def test_host_name(given: str, name: str) -> None:
    assert host_name(given) == name


# --- the command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("top_k", ["0", "-1", "51"])
def test_cli_top_k_is_bounded_as_rest_is(tmp_path: Path, top_k: str) -> None:
    done = run_cli("ask", "--top-k", top_k, EXAMPLE, index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --top-k is {top_k}; it must be between 1 and 50"
    assert not (tmp_path / "index").exists(), "refused before the index is opened"


def test_cli_bad_unicode_question(tmp_path: Path) -> None:
    """An undecodable byte in argv reaches Python as a lone surrogate (b'\\xff' -> '\\udcff')."""
    done = run_cli("ask", "imiquimod \udcff cells", index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "surrogate" in line
