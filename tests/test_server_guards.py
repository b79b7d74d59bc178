"""The served app's guards: a token for the REST API, a login for the chat page, bounded uploads, errors without
details, and no serving beyond loopback without all three."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from assistant.app.server import check_exposure, create_app, is_loopback, serve
from assistant.errors import AssistantError
from assistant.settings import ServerSettings
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings, run_cli
from tests.live_server import EXAMPLE, copy_index


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Any]:
    """The app with a token, a login and a 1 MB upload limit, through Starlette's test client."""
    from fastapi.testclient import TestClient

    assistant = Assistant(make_settings(copy_index(tmp_path_factory, seeded_dir, "guarded")), embedder=embedder)
    server = ServerSettings(token="s3cret-token", username="clinician", password="pw-123", max_upload_mb=1)
    with TestClient(create_app(assistant, server), raise_server_exceptions=False) as client:
        client.assistant = assistant  # type: ignore[attr-defined]
        yield client


def test_token_guards_the_rest_api(guarded: Any) -> None:
    auth = {"Authorization": "Bearer s3cret-token"}
    assert guarded.get("/api/health").status_code == 200, "health needs no token"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        response = guarded.get("/api/documents", headers=headers)
        assert response.status_code == 401 and "bearer" in response.json()["error"].lower()
        assert response.headers["www-authenticate"] == "Bearer"
    assert guarded.post("/api/ask", json={"question": EXAMPLE}).status_code == 401
    assert guarded.get("/api/documents", headers=auth).status_code == 200
    assert guarded.post("/api/ask", json={"question": EXAMPLE}, headers=auth).json()["citations"]


def test_login_guards_the_chat_page(guarded: Any) -> None:
    guarded.cookies.clear()
    assert guarded.get("/config").status_code == 401
    assert guarded.post("/login", data={"username": "clinician", "password": "nope"}).status_code == 400
    assert guarded.post("/login", data={"username": "clinician", "password": "pw-123"}).status_code == 200
    assert guarded.get("/config").status_code == 200
    guarded.cookies.clear()


def test_upload_size_limit(guarded: Any) -> None:
    auth = {"Authorization": "Bearer s3cret-token"}
    line = b"A sentence about cells.\n"
    for size in (1024 * 1024 + len(line), 3 * 1024 * 1024):  # just over: checked by the handler; far over: before
        big = line * (size // len(line))
        response = guarded.post("/api/documents", files={"file": ("big.txt", big)}, headers=auth)
        assert response.status_code == 413 and "1 MB" in response.json()["error"]
    assert len(guarded.assistant.documents()) == 2
    uploads = guarded.assistant.settings.paths.index_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_unexpected_errors_hide_their_details(guarded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail from /srv/private/path")

    monkeypatch.setattr(guarded.assistant.retriever, "retrieve", broken)
    response = guarded.post("/api/ask", json={"question": EXAMPLE}, headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 500 and response.json() == {"error": "internal error"}
    assert "secret" not in response.text


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("192.168.1.20", False), ("::", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_beyond_loopback_needs_token_and_login(tmp_path: Path, clean_env: None) -> None:
    settings = make_settings(tmp_path / "index")
    with pytest.raises(AssistantError) as refused:
        serve(host="0.0.0.0", port=9, settings=settings)
    for name in ("ASSISTANT_SERVER__TOKEN", "ASSISTANT_SERVER__USERNAME", "ASSISTANT_SERVER__PASSWORD"):
        assert name in str(refused.value)
    assert not (tmp_path / "index").exists(), "refused before opening anything"
    with pytest.raises(AssistantError, match="PASSWORD") as partly:
        check_exposure("10.0.0.5", ServerSettings(token="t", username="u"))
    assert "TOKEN" not in str(partly.value)
    check_exposure("10.0.0.5", ServerSettings(token="t", username="u", password="p"))
    check_exposure("127.0.0.1", ServerSettings())


def test_cli_serve_refuses_a_public_address(tmp_path: Path) -> None:
    done = run_cli("serve", "--host", "0.0.0.0", index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2
    assert "refusing to bind 0.0.0.0" in done.stderr and "ASSISTANT_SERVER__TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_serve_on_a_port_in_use_fails_before_loading_anything(tmp_path: Path) -> None:
    """Another server on the port (a second `make run`, another Gradio app on 7860) is said at once, not after the
    models load and the page has been announced."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", "--port", str(port), index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr and "serving the chat page" not in done.stdout
    assert not (tmp_path / "index").exists(), "refused before the index (and the models) were opened"
