"""A real server with every HTTP defence of assistant/app/security.py configured, for the security tests.

The server has a token, a login, a 1 MB upload limit, a 4 KB JSON limit, a throttle of 4 failures in 3 s and a body
that stalls for 2 s refused. Each test talks from its own loopback source address (127.0.0.x), so one test's wrong
tokens never throttle another.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.store.embeddings import Embedder
from tests.live_server import Live, copy_index, running_server

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


@contextmanager
def secured_server(factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    """A real server whose settings come from the environment, as `assistant serve` reads them."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in ENV.items():
            env.setenv(key, value)
        with running_server(copy_index(factory, seeded_dir, "secured"), embedder) as live:
            yield live


def client(live: Live, source: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections come from the loopback address `source`."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=live.url, timeout=60, transport=transport, **kwargs)


def port(live: Live) -> int:
    return int(live.url.rsplit(":", 1)[1])


def _readable(sock: socket.socket) -> bool:
    """A response (or a close) is waiting; poll, not select: a long test session holds more than select's 1024 fds."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def raw(live: Live, source: str, head: str, body: bytes = b"", timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """Send a request head and then its body in pieces on a raw socket, stopping as soon as a response arrives
    (a server that refuses a body does not read it); returns the response's status, headers and text."""
    with socket.create_connection(("127.0.0.1", port(live)), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for start in range(0, len(body), 65536):
            if _readable(sock):
                break
            try:
                sock.sendall(body[start : start + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        deadline = time.monotonic() + timeout
        while not complete(data):
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


def complete(data: bytes) -> bool:
    head, _, payload = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(payload) >= int(line.split(b":")[1])
    return False
