"""The HTTP defences (assistant/app/security.py) against a real uvicorn server: Host, Origin, CORS, headers,
tokens, throttling; bodies are in test_security_bodies.py. The server is `tests/secured.py`'s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.app.security import host_name
from assistant.app.server import create_app
from assistant.app.throttle import Throttle
from assistant.settings import ServerSettings
from assistant.store.embeddings import Embedder
from tests.conftest import run_cli
from tests.live_server import EXAMPLE, Live, assert_clean_error
from tests.secured import AUTH, FAILURES, HEADERS_ON_EVERY_RESPONSE, TOKEN, WINDOW_S, client, port, secured_server


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    with secured_server(tmp_path_factory, seeded_dir, embedder) as live:
        yield live


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
    """No origin is reflected, Gradio's paths included (Gradio's own CORS layer allowed localhost origins); a refused
    preflight lists no methods or headers either (Starlette's did, an outside tester saw)."""
    with client(secured, "127.0.0.5") as http:
        for origin in ("http://evil.example", "http://localhost:9", "null"):
            for path in ("/api/ask", "/config", "/gradio_api/queue/join"):
                preflight = http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
                assert not [h for h in preflight.headers if h.startswith("access-control-")], (origin, path)
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


def test_a_missing_token_guesses_nothing_and_a_forwarded_for_header_changes_no_address(secured: Live) -> None:
    """Frames on another site's page open the API without a token: that must not lock out the right token; and a
    local process naming other addresses in X-Forwarded-For is still one address to the throttle."""
    framed = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
    with client(secured, "127.0.0.13") as http:
        for _ in range(FAILURES + 2):
            assert http.get("/api/documents", headers=framed).status_code == 401
        assert http.get("/api/documents", headers=AUTH).status_code == 200
    # From 127.0.0.1, whose X-Forwarded-For uvicorn would trust by default.
    with client(secured, "127.0.0.1") as http:
        for i in range(FAILURES):
            forwarded = {"Authorization": f"Bearer guess-{i}", "X-Forwarded-For": f"10.0.{i}.1"}
            assert http.get("/api/documents", headers=forwarded).status_code == 401
        throttled = http.get("/api/documents", headers=AUTH | {"X-Forwarded-For": "10.9.9.9"})
        assert throttled.status_code == 429
        time.sleep(int(throttled.headers["retry-after"]) + 0.2)  # 127.0.0.1 is every other test's address


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
     ("localhost:x", ""), ("evil.example/127.0.0.1", ""), ("[::1]evil.example", ""), ("[::1]:80x", "")],
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


@pytest.mark.parametrize(("question", "needle"), [("   ", "empty"), ("?! ...", "no words"), ("x" * 5000, "limit")])
def test_cli_bad_question_is_refused_before_the_index_is_opened(tmp_path: Path, question: str, needle: str) -> None:
    """Not after the model loaded and the seeds were written into an empty index."""
    done = run_cli("ask", question, index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "index").exists(), "refused before the index is opened"


def test_cli_bad_unicode_question(tmp_path: Path) -> None:
    """An undecodable byte in argv reaches Python as a lone surrogate (b'\\xff' -> '\\udcff')."""
    done = run_cli("ask", "imiquimod \udcff cells", index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "surrogate" in line


# --- GETs from other sites --------------------------------------------------------------------------------------


def test_a_cross_site_get_cannot_log_the_user_out(secured: Live) -> None:
    """Gradio's GET /logout ends every session of the user: from another site's image or link, or the page's own
    image or fetch, it is refused; the page's button (a navigation) logs out."""
    with client(secured, "127.0.0.13") as http:
        assert http.post("/login", data={"username": "clinician", "password": "pw-456"}).status_code == 200
        assert http.get("/config").status_code == 200, "logged in"
        for headers in (
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
            {"Referer": "http://evil.example/page.html"},
            # the page's own markup: an image or a fetch a planted document could make it load
            {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
            {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
        ):
            assert_clean_error(http.get("/logout", headers=headers, follow_redirects=False), 403, "refused")
            assert http.get("/config").status_code == 200, f"still logged in after {headers}"
        button = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
        own = http.get("/logout", headers=button, follow_redirects=False)
        assert own.status_code in (302, 307) and http.get("/config").status_code == 401, "the page's own logout works"


def test_startup_events_run_once_and_not_from_another_site(secured: Live) -> None:
    with client(secured, "127.0.0.14") as http:
        http.post("/login", data={"username": "clinician", "password": "pw-456"})
        foreign = http.get("/gradio_api/startup-events", headers={"Origin": "http://evil.example"})
        assert_clean_error(foreign, 403, "evil.example")
        again = http.get("/gradio_api/startup-events")
    assert again.status_code == 200 and again.json() is False, "they ran when the server started"


@pytest.mark.parametrize("path", ["/config", "/api/health", "/gradio_api/info", "/theme.css"])
def test_other_sites_may_not_load_resources_but_may_link_to_the_page(secured: Live, path: str) -> None:
    embedded = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    with client(secured, "127.0.0.15") as http:
        assert_clean_error(http.get(path, headers=embedded), 403, "cross-site")
        assert http.get("/", headers=link).status_code == 200
        assert http.get(path, headers={"Sec-Fetch-Site": "same-origin"}).status_code in (200, 401)
