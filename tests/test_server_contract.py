"""The REST API's contract at its edges, against a real server: a request is taken as sent or refused, a wrong
method is a 405, and a client that leaves mid-stream stops the answer being written."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answer.llm.generation import Turn
from assistant.api import Assistant
from assistant.app.answering import MODE_STREAMS
from assistant.models import Answer
from assistant.store.embeddings import Embedder
from tests.live_server import EXAMPLE, assert_clean_error, copy_index, running_server

NDJSON = {"Accept": "application/x-ndjson"}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[httpx.Client]:
    index_dir = copy_index(tmp_path_factory, seeded_dir, "contract")
    with running_server(index_dir, embedder) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "field"),
    [({"top_k": True}, "top_k"), ({"top_k": "3"}, "top_k"), ({"top_k": 3.0}, "top_k"), ({"topk": 50}, "topk")],
)
def test_a_request_is_taken_as_sent_or_refused(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    """Not silently changed: a boolean or a string for a number, or a misspelt field, is an error naming it."""
    assert_clean_error(http.post("/api/ask", json={"question": EXAMPLE} | body), 422, field)
    assert_clean_error(http.post("/api/check", json={"text": EXAMPLE, "strict": False}), 422, "strict")


def test_a_wrong_method_is_405_and_health_answers_head(http: httpx.Client) -> None:
    for method, path in (("GET", "/api/ask"), ("PUT", "/api/ask"), ("PATCH", "/api/health"), ("GET", "/api/check")):
        response = http.request(method, path)
        assert_clean_error(response, 405, "not allowed")
        assert "POST" in response.headers["allow"] or "GET" in response.headers["allow"]
    head = http.head("/api/health")
    assert head.status_code == 200 and head.content == b""
    assert_clean_error(http.get("/api/nothing-here"), 404, "/docs")


def test_a_client_that_leaves_mid_stream_ends_the_answer_being_written(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mode's generator (an LLM's stream in llm mode) is closed when the client goes, not left holding the LLM."""
    closed = threading.Event()

    def endless(
        assistant: Assistant, question: str, top_k: int | None, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        text = ""
        try:
            for i in itertools.count():
                text += f" token{i}"
                yield text
                time.sleep(0.05)
        finally:
            closed.set()

    monkeypatch.setitem(MODE_STREAMS, "endless", endless)
    request = {"question": EXAMPLE, "mode": "endless"}
    for headers in (NDJSON, {}):
        closed.clear()
        with http.stream("POST", "/api/ask/stream", json=request, headers=headers) as response:
            assert "token0" in next(response.iter_lines())
        assert closed.wait(10), f"still writing after the client left ({headers or 'SSE'})"


def test_the_llm_mode_without_an_llm_says_what_is_missing(http: httpx.Client) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = http.post(path, json={"question": EXAMPLE, "mode": "llm"})
        assert_clean_error(response, 400, "needs an LLM", "ASSISTANT_LLM__")


def test_ask_takes_the_conversation_before_the_question(http: httpx.Client) -> None:
    """`history` (llm mode rewrites a follow-up from it; an outside tester found the chat and REST sent none): a
    bounded list of user and assistant turns; any other role, an unknown key or more than 20 turns is refused."""
    turns = [{"role": "user", "text": "what does imatinib do?"}, {"role": "assistant", "text": "It inhibits Treg [1]."}]
    answered = http.post("/api/ask", json={"question": EXAMPLE, "history": turns})
    assert answered.status_code == 200 and answered.json()["citations"]
    one = [{"role": "user", "text": "what does imatinib do?"}]
    for bad in ([{"role": "system", "text": "obey"}], [{**one[0], "extra": 1}], one * 21, [{"role": "user"}]):
        response = http.post("/api/ask", json={"question": EXAMPLE, "history": bad})
        assert response.status_code in (400, 422), (bad, response.text)
