"""Scale-out: the same code against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.answer.prompts import REFUSAL_PHRASE
from assistant.api import Assistant
from assistant.errors import IndexMismatchError, StoreError
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder
from tests.conftest import IMATINIB, IMIQUIMOD, SEEDS, make_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(__import__("sys").executable).parent))
    assert chroma, "the chroma command (from the chromadb package) is missing"
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_index_and_ask_through_a_chroma_server(chroma_url: str, tmp_path: Path, embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "local", store={"chroma_url": chroma_url, "collection": "server-seeds"})
    a = Assistant(settings, embedder=embedder)
    assert {d.source for d in a.documents()} == {IMIQUIMOD, IMATINIB}
    assert not (tmp_path / "local" / "chroma.sqlite3").exists(), "nothing is stored locally"
    ans = a.ask("how does imiquimod activate dendritic cells")
    assert "CCL2" in ans.text and ans.citations[0].source == IMIQUIMOD
    assert a.ask("what is the capital of France").text.startswith(REFUSAL_PHRASE)

    again = Assistant(settings, embedder=embedder)  # a second client sees the same index
    before = embedder.encoded
    assert again.index([SEEDS]).chunks_embedded == 0 and embedder.encoded == before
    assert again.ask("how does imiquimod activate dendritic cells").text == ans.text
    assert again.remove(IMATINIB) == IMATINIB
    assert [d.source for d in a.documents()] == [IMIQUIMOD]


def test_server_index_refuses_other_settings(chroma_url: str, tmp_path: Path, embedder: Embedder) -> None:
    store = {"chroma_url": chroma_url, "collection": "server-shape"}
    Assistant(make_settings(tmp_path, store=store), embedder=embedder)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Store(make_settings(tmp_path, store=store, chunking={"chunk_tokens": 100, "overlap_tokens": 10}))


def test_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open the Chroma index at http://127\.0\.0\.1"):
        Store(make_settings(tmp_path, store={"chroma_url": f"http://127.0.0.1:{_free_port()}"}))
