"""The REST API and the Gradio API against a real uvicorn server over a copy of the seeded index."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answer.llm.generation import Turn
from assistant.api import Assistant
from assistant.app.answering import MODE_STREAMS, answer_modes
from assistant.app.uploads import safe_name
from assistant.models import Answer
from assistant.store.embeddings import Embedder
from tests.conftest import IMATINIB, IMIQUIMOD, run_cli
from tests.live_server import (
    EXAMPLE,
    Live,
    assert_clean_error,
    copy_index,
    queue_call,
    running_server,
    sse_events,
)

# A document only it can answer; the question below shares no rare words with the seeds.
NOTE = (
    "Axolotl limb regeneration and the kinase FLORB-9\n\n"
    "The kinase FLORB-9 phosphorylates the protein regenerin in axolotl blastema cells. "
    "Phosphorylated regenerin starts limb regrowth within two days of amputation. "
    "Blocking FLORB-9 with the inhibitor zelmapitant stops regrowth completely.\n"
)
NOTE_QUESTION = "what does the kinase FLORB-9 phosphorylate in axolotl blastema cells"
NDJSON = {"Accept": "application/x-ndjson"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    index_dir = copy_index(tmp_path_factory, seeded_dir, "rest")
    with ThreadPoolExecutor(1) as pool:
        # The CLI's cold start (a new process loading the model) overlaps the server's start-up.
        cli = pool.submit(run_cli, "ask", "--json", "--top-k", "5", EXAMPLE, index_dir=index_dir)
        with running_server(index_dir, embedder) as server:
            server.cli = cli
            yield server


@pytest.fixture(scope="module")
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client


def without_timings(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "timings_ms"}


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Leaf paths where two JSON values differ (timings ignored; scores within float noise)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - {"timings_ms"}
        return [d for k in sorted(keys) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-3:
        return []
    return [] if a == b else [f"{path}: {a!r:.80} != {b!r:.80}"]


# --- questions --------------------------------------------------------------------------------


def test_health_and_documents(http: httpx.Client, live: Live) -> None:
    assert http.get("/api/health").json() == {"status": "ok", "documents": len(live.assistant.documents())}
    docs = http.get("/api/documents").json()["documents"]
    assert {d["source"] for d in docs} == {IMIQUIMOD, IMATINIB}
    titles = {r.doc_id: r.metadata.title or r.source for r in live.assistant.documents()}
    assert {d["doc_id"]: d["title"] for d in docs} == titles
    assert all(d["n_chunks"] > 0 and d["indexed_at"] for d in docs)


def test_ask_returns_the_same_json_as_the_cli(http: httpx.Client, live: Live) -> None:
    response = http.post("/api/ask", json={"question": EXAMPLE, "top_k": 5})
    assert response.status_code == 200
    body = response.json()
    assert not body["refused"] and body["citations"]
    assert live.cli is not None
    cli = live.cli.result(timeout=300)  # `assistant ask --json --top-k 5 EXAMPLE` on the server's index
    assert cli.returncode == 0, cli.stderr
    assert differences(body, json.loads(cli.stdout)) == []


def test_ask_stream_sends_server_sent_events_ending_with_the_answer(http: httpx.Client) -> None:
    response = http.post("/api/ask/stream", json={"question": EXAMPLE})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["answer"], "the extractive mode writes no partial text"
    plain = http.post("/api/ask", json={"question": EXAMPLE}).json()
    assert differences(events[-1][1], plain) == []


def test_ask_stream_ends_with_the_answer(http: httpx.Client) -> None:
    response = http.post("/api/ask/stream", json={"question": EXAMPLE}, headers=NDJSON)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in response.text.splitlines()]
    assert lines and set(lines[-1]) == {"answer"}
    assert all(set(x) == {"partial"} for x in lines[:-1])
    plain = http.post("/api/ask", json={"question": EXAMPLE}).json()
    assert without_timings(lines[-1]["answer"]) == without_timings(plain)


def test_a_streaming_mode_plugs_in(http: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mode that yields partial texts before the verified answer streams through /api/ask/stream."""

    def sentence_by_sentence(
        assistant: Assistant, question: str, top_k: int | None, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        answer = assistant.ask(question, top_k=top_k)
        text = ""
        for sentence in answer.sentences:
            text = f"{text} {sentence.text}".strip()
            yield text
        yield answer

    monkeypatch.setitem(MODE_STREAMS, "sentences", sentence_by_sentence)
    request = {"question": EXAMPLE, "mode": "sentences"}
    lines = [json.loads(x) for x in http.post("/api/ask/stream", json=request, headers=NDJSON).text.splitlines()]
    partials = [x["partial"] for x in lines[:-1]]
    final = lines[-1]["answer"]
    assert len(partials) == len(final["sentences"]) >= 1
    assert all(b.startswith(a) for a, b in itertools.pairwise(partials))
    assert without_timings(http.post("/api/ask", json=request).json()) == without_timings(final)
    # As server-sent events: what is new in each partial text, then the answer that replaces it.
    events = sse_events(http.post("/api/ask/stream", json=request).text)
    assert [name for name, _ in events] == ["message"] * len(partials) + ["answer"]
    assert "".join(data["delta"] for _, data in events[:-1]) == partials[-1]
    assert differences(events[-1][1], final) == []


def test_question_errors_are_one_line_json(http: httpx.Client) -> None:
    assert_clean_error(http.post("/api/ask", json={"question": "   "}), 400, "empty")
    assert_clean_error(http.post("/api/ask", json={"top_k": 3}), 422, "question")
    assert_clean_error(http.post("/api/ask", json={"question": "x", "top_k": 0}), 422, "top_k")
    assert_clean_error(http.post("/api/ask", json={"question": EXAMPLE, "mode": "oracle"}), 400, "mode")
    assert_clean_error(http.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert_clean_error(http.get("/api/nothing-here"), 404, "/docs")
    assert_clean_error(http.post("/api/ask/stream", json={"question": ""}), 400, "empty")


def test_openapi_docs_list_the_endpoints(http: httpx.Client) -> None:
    assert "swagger" in http.get("/docs").text.lower()
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/documents", "/api/documents/{doc_id}", "/api/health"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/documents"]) and "delete" in paths["/api/documents/{doc_id}"]


def test_chat_page_settings(http: httpx.Client, live: Live) -> None:
    """Top-k and scores are offered; the answer-mode selector only when there is more than one mode."""
    props = {c["props"].get("label"): c["props"] for c in http.get("/config").json()["components"]}
    assert props["Passages to retrieve (top-k)"]["value"] == live.assistant.settings.retrieval.top_k
    assert props["Show retrieval scores"]["visible"] is True
    assert "llm" in MODE_STREAMS and answer_modes(live.assistant) == ["extractive"], "llm only when configured"
    assert props["Answer mode"]["visible"] is False
    assert props["Example questions"]["samples"][0] == [EXAMPLE]


def test_gradio_client_ask_endpoint(live: Live, http: httpx.Client) -> None:
    from gradio_client import Client

    client = Client(live.url, verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}
    result = client.predict(question=EXAMPLE, top_k=4, api_name="/ask")
    expected = http.post("/api/ask", json={"question": EXAMPLE, "top_k": 4}).json()
    assert without_timings(result) == without_timings(expected)
    with pytest.raises(Exception, match="empty"):
        client.predict(question=" ", top_k=4, api_name="/ask")
    with pytest.raises(Exception, match="between 1 and 50"):
        client.predict(question=EXAMPLE, top_k=0, api_name="/ask")
    # A script may send any JSON: a wrong type is named (it was an empty error).
    with pytest.raises(Exception, match="question must be text, not int"):
        client.predict(question=5, top_k=4, api_name="/ask")
    for top_k in ("four", 2.5, True):
        with pytest.raises(Exception, match="top_k must be a whole number"):
            client.predict(question=EXAMPLE, top_k=top_k, api_name="/ask")


# --- the library ------------------------------------------------------------------------------


def upload(http: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return http.post("/api/documents?wait=true", files={"file": (name, data, "application/octet-stream")})


def test_upload_ask_dedupe_delete(http: httpx.Client, live: Live) -> None:
    before = http.get("/api/documents").json()["documents"]
    refused = http.post("/api/ask", json={"question": NOTE_QUESTION}).json()
    assert refused["refused"], "the seeds must not answer the note's question"

    response = upload(http, "../../outside/Axolotl study.txt", NOTE.encode())
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["status"] == "added" and added["name"] == "Axolotl_study.txt"
    [doc] = added["documents"]
    stored = list(live.uploads.glob("*/*"))
    assert [p.name for p in stored] == ["Axolotl_study.txt"]
    assert not (live.index_dir.parent / "outside").exists() and not (live.index_dir / "outside").exists()
    assert doc["doc_id"] in {d["doc_id"] for d in http.get("/api/documents").json()["documents"]}

    answer = http.post("/api/ask", json={"question": NOTE_QUESTION}).json()
    assert not answer["refused"] and "regenerin" in answer["answer"]
    assert doc["doc_id"] in {c["doc_id"] for c in answer["citations"]}

    again = upload(http, "copy.txt", NOTE.encode())
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert [d["doc_id"] for d in again.json()["documents"]] == [doc["doc_id"]]
    assert list(live.uploads.glob("*/*")) == stored, "a duplicate is not stored twice"
    seed = upload(http, "seed-copy.txt", (live.assistant.settings.paths.seeds_dir / IMATINIB).read_bytes())
    assert seed.status_code == 200 and seed.json()["status"] == "unchanged"
    assert list(live.uploads.glob("*/*")) == stored, "content indexed from elsewhere is not kept"

    removed = http.delete(f"/api/documents/{doc['doc_id']}")
    assert removed.status_code == 200 and removed.json()["removed"] == "Axolotl_study.txt"
    assert list(live.uploads.glob("*/*")) == []
    assert http.get("/api/documents").json()["documents"] == before
    assert http.post("/api/ask", json={"question": NOTE_QUESTION}).json()["refused"]
    assert_clean_error(http.delete(f"/api/documents/{doc['doc_id']}"), 404, doc["doc_id"])
    back = upload(http, "Axolotl study.txt", NOTE.encode())
    assert back.status_code == 201 and back.json()["documents"][0]["doc_id"] == doc["doc_id"], "it can come back"
    assert http.delete(f"/api/documents/{doc['doc_id']}").status_code == 200


def test_collection_upload_is_kept_while_any_of_its_documents_is(http: httpx.Client, live: Live) -> None:
    records = [
        {
            "title": f"Fin regrowth in zebrafish, part {i}",
            "text": f"Part {i}: the factor WNT-Z{i} drives fin regrowth in adult zebrafish after injury.",
            "authors": ["Doe J", "Roe R"],
            "journal": "Dev Biol",
            "year": 2019 + i,
        }
        for i in (1, 2)
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    response = upload(http, "fins.jsonl", data)
    assert response.status_code == 201, response.text
    docs = response.json()["documents"]
    assert sorted((d["title"], d["journal"], d["year"], d["authors"]) for d in docs) == [
        (r["title"], r["journal"], r["year"], r["authors"]) for r in records
    ]
    assert http.delete(f"/api/documents/{docs[0]['doc_id']}").json()["uploads_deleted"] == []
    assert [p.name for p in live.uploads.glob("*/*")] == ["fins.jsonl"], "its other document is still indexed"
    assert http.delete(f"/api/documents/{docs[1]['doc_id']}").json()["uploads_deleted"] == ["fins.jsonl"]
    assert list(live.uploads.glob("*/*")) == []


def follow(http: httpx.Client, url: str, timeout: float = 120) -> dict[str, Any]:
    """Poll an upload job until it ends."""
    deadline = time.monotonic() + timeout
    while (job := http.get(url).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the job did not end: {job}"
        time.sleep(0.1)
    return dict(job)


def test_an_upload_is_queued_and_followed_as_a_job(http: httpx.Client, live: Live) -> None:
    before = http.get("/api/documents").json()["documents"]
    response = http.post("/api/documents", files={"file": ("queued note.txt", NOTE.encode())})
    assert response.status_code == 202, response.text
    queued = response.json()
    assert response.headers["location"] == queued["url"] == f"/api/jobs/{queued['id']}"
    assert queued["name"] == "queued_note.txt" and queued["state"] in ("queued", "running", "done")
    job = follow(http, queued["url"])
    assert job["state"] == "done" and job["progress"] == 1.0 and job["error"] is None, job
    [doc] = job["result"]["documents"]
    assert doc["title"].startswith("Axolotl limb regeneration")
    assert doc["doc_id"] in {d["doc_id"] for d in http.get("/api/documents").json()["documents"]}
    assert queued["id"] in [j["id"] for j in http.get("/api/jobs").json()["jobs"]]
    assert not any((live.index_dir / ".incoming").rglob("upload-*")), "the queued copy is gone once indexed"

    binary = http.post("/api/documents", files={"file": ("scan.txt", b"\x00\x01\x02binary" * 50)})
    assert binary.status_code == 202, "content is checked by the worker; name and size at once"
    failed = follow(http, binary.json()["url"])
    assert failed["state"] == "failed" and "binary" in failed["error"] and failed["result"] is None
    assert_clean_error(http.post("/api/documents", files={"file": ("tool.exe", b"MZ")}), 415, "unsupported")
    assert_clean_error(http.get("/api/jobs/0123456789abcdef"), 404, "0123456789abcdef")
    assert http.delete(f"/api/documents/{doc['doc_id']}").status_code == 200
    assert http.get("/api/documents").json()["documents"] == before


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("scan.txt", b"\x00\x01\x02binary" * 50, 422, ["scan.txt", "binary"]),
        ("latin1.txt", "Résumé of a café study, naïve cells.".encode("latin-1"), 422, ["latin1.txt", "UTF-8"]),
        ("empty.md", b"", 422, ["empty"]),
        ("tool.exe", b"MZ program", 415, ["tool.exe", "unsupported"]),
        ("noext", b"text without a suffix", 415, ["unsupported"]),
    ],
)
def test_bad_upload_changes_nothing(
    http: httpx.Client, live: Live, name: str, data: bytes, status: int, words: list[str]
) -> None:
    before = http.get("/api/documents").json()
    message = assert_clean_error(upload(http, name, data), status, *words)
    assert str(live.index_dir) not in message and "/tmp" not in message, "no server paths in messages"
    assert http.get("/api/documents").json() == before
    assert not live.uploads.exists() or list(live.uploads.iterdir()) == []


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.MD", "evil.md"),
        (".hidden.txt", "hidden.txt"),
        ("a b<c>|d.txt", "a_b_c_d.txt"),
        ("/", "upload"),
        ("Étude β-cells.html", "Étude_β-cells.html"),
        ("x" * 300 + ".txt", "x" * 80 + ".txt"),
    ],
)
def test_safe_names(given: str, safe: str) -> None:
    assert safe_name(given) == safe


def test_an_internal_error_keeps_the_connection_usable(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 500 is a JSON error, with the security headers, and the client's next request on the same keep-alive
    connection is answered."""
    import http.client
    from urllib.parse import urlparse

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(live.assistant, "ask_stream", broken)
    url = urlparse(live.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    body = json.dumps({"question": EXAMPLE})
    connection.request("POST", "/api/ask", body=body, headers={"content-type": "application/json"})
    failed = connection.getresponse()
    assert failed.status == 500 and json.loads(failed.read()) == {"error": "internal error"}
    assert failed.getheader("x-content-type-options") == "nosniff"
    connection.request("GET", "/api/health")
    again = connection.getresponse()
    assert again.status == 200 and json.loads(again.read())["status"] == "ok"
    connection.close()


# --- the chat page's queue: what a script on this machine can send ---------------------------------------------


def test_the_upload_event_takes_only_uploaded_files(http: httpx.Client, live: Live, tmp_path: Path) -> None:
    """A queue call naming a file elsewhere on disk (Gradio skipped its own path check for a mounted app)."""
    secret = tmp_path / "private-notes.md"
    secret.write_text("The XQ-7781 compound inhibits the zeta kinase in murine fibroblasts.\n", encoding="utf-8")
    before = live.assistant.documents()
    file_data = {"path": str(secret), "orig_name": secret.name, "meta": {"_type": "gradio.FileData"}}
    messages = queue_call(http, ("upload", "upload"), [[file_data]])
    assert messages[-1].get("msg") == "process_completed", messages
    assert live.assistant.documents() == before
    assert secret.read_text(encoding="utf-8").startswith("The XQ-7781")  # and the file itself is left alone
    answer = http.post("/api/ask", json={"question": "what does XQ-7781 inhibit?"}).json()
    assert "zeta kinase" not in answer["answer"]


def test_a_page_upload_is_indexed_and_gradios_copy_deleted(http: httpx.Client, live: Live) -> None:
    """The same event with a file sent to Gradio's upload route first, as the page sends it."""
    text = b"The QZ-4411 compound activates the omega kinase in murine keratinocytes.\n"
    (path,) = http.post("/gradio_api/upload", files={"files": ("qz-4411.txt", text)}).json()
    file_data = {"path": path, "orig_name": "qz-4411.txt", "meta": {"_type": "gradio.FileData"}}
    messages = queue_call(http, ("upload", "upload"), [[file_data]])
    assert messages[-1].get("success"), messages[-1]
    assert "qz-4411.txt" in {r.source for r in live.assistant.documents()}
    assert not Path(path).exists()  # spooled and indexed: Gradio's copy would stay downloadable otherwise
    live.assistant.remove("qz-4411.txt")


def test_a_lone_surrogate_in_the_chat_gets_an_error_turn(http: httpx.Client) -> None:
    messages = queue_call(http, ("question", "submit"), ["\ud800 imatinib", [], None, 5, "extractive", False])
    final = messages[-1]
    assert final.get("msg") == "process_completed" and final.get("success"), final
    assert "not valid Unicode" in json.dumps(final["output"])
