"""One index folder, two processes: a running server and the command line beside it. Chroma's local client caches
each collection's vector index per process, so a server once kept answering from before the command line's writes
(its reads of the new records failed), and after `index --rebuild` every endpoint failed until restarted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.store.embeddings import Embedder
from tests.conftest import SEEDS, run_cli
from tests.live_server import Live, copy_index, running_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    with running_server(copy_index(tmp_path_factory, seeded_dir, "shared"), embedder) as server:
        yield server


def _ask(http: httpx.Client, question: str) -> dict[str, object]:
    response = http.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _note(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(json.dumps({"id": name.split(".")[0], "title": f"{name} note", "text": text}) + "\n")
    return path


def test_the_server_sees_what_the_command_line_writes_and_the_other_way(live: Live, tmp_path: Path) -> None:
    quen = _note(tmp_path, "quen.jsonl", "Quenbrase activates the zorbulin receptor in hepatocytes of adult mice.")
    morp = _note(tmp_path, "morp.jsonl", "Morpaxin blocks the kelvase channel in the neurons of rats.")
    with httpx.Client(base_url=live.url, timeout=120) as http:
        _ask(http, "what does imatinib do to regulatory T cells")  # the server has read the index
        assert run_cli("index", str(quen), index_dir=live.index_dir).returncode == 0
        answer = _ask(http, "what does quenbrase activate in hepatocytes")
        assert "zorbulin" in str(answer["answer"]) and not answer["refused"]

        rebuilt = run_cli("index", "--rebuild", str(SEEDS), index_dir=live.index_dir)
        assert rebuilt.returncode == 0, rebuilt.stderr
        listed = http.get("/api/documents")
        assert listed.status_code == 200 and len(listed.json()["documents"]) == 2
        assert _ask(http, "what does quenbrase activate in hepatocytes")["refused"], "rebuilt without it"

        uploaded = http.post("/api/documents?wait=true", files={"file": ("morp.jsonl", morp.read_bytes())})
        assert uploaded.status_code == 201, uploaded.text
    done = run_cli("documents", index_dir=live.index_dir)
    assert done.returncode == 0 and "morp.jsonl#morp" in done.stdout, "the server's write is on disk for others"
