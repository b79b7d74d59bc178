"""Big collections: writes split by Chroma's batch limit, commits every few hundred documents, kill -9 mid-file
and resume, progress within a file, 10,000-record exports, and the per-input size limits.

The full-size run (6,000 SciFact abstracts, killed at 60%) is `bench/big_file.py`; here the same machinery
runs on a few hundred short records with small commits (the sizes are settings), to stay fast on 2 cores.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.errors import DocumentError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.documents import load_documents
from assistant.ingest.indexing import IndexProgress
from assistant.models import Chunk, Document, DocumentMetadata
from assistant.settings import ChunkingSettings, EmbeddingSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, Matrix, SentenceVectors
from assistant.store.nodes import make_node
from bench.big_file import SCIFACT, run_index, write_scifact_jsonl
from tests.conftest import make_settings

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode

FIXTURES = Path(__file__).resolve().parent / "fixtures"
N_RECORDS = 300
COMMIT = 25  # documents per commit in the kill test (default 200)


class HashEmbedder:
    """Vectors from a text's hash: no model, for tests of what indexing writes, not of what it finds."""

    def __init__(self, dimension: int = 8) -> None:
        self.settings = EmbeddingSettings()
        self.encoded = 0
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> Matrix:
        self.encoded += len(texts)
        rows = [np.random.default_rng(abs(hash(t))).standard_normal(self._dimension) for t in texts]
        matrix = np.array(rows, dtype=np.float32).reshape(len(texts), self._dimension)
        unit: Matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(1e-9)
        return unit

    def embed_cached(self, texts: list[str]) -> Matrix:
        return self.embed(texts)

    def forget(self) -> None:
        pass


def _items(
    n_docs: int, chunks_each: int
) -> tuple[list[tuple[Document, str, Sequence[BaseNode]]], dict[str, SentenceVectors]]:
    """Embedded nodes of `n_docs` documents of `chunks_each` one-sentence chunks, and their sentence vectors."""
    sentence = "Mice given compound Q7 lived longer. "
    items: list[tuple[Document, str, Sequence[BaseNode]]] = []
    sentences = {}
    for d in range(n_docs):
        doc = Document(f"d{d:015d}", f"big.jsonl#{d}", sentence * chunks_each, DocumentMetadata(title=f"Record {d}"))
        spans = [(i * len(sentence), (i + 1) * len(sentence) - 1) for i in range(chunks_each)]
        chunks = [
            Chunk(f"{doc.doc_id}-{i:05d}", doc.doc_id, i, sentence, *span, (span,), 8) for i, span in enumerate(spans)
        ]
        vectors = HashEmbedder().embed([f"{doc.doc_id} {i}" for i in range(chunks_each)])
        nodes = [make_node(doc, chunk) for chunk in chunks]
        for node, vector in zip(nodes, vectors, strict=True):
            node.embedding = vector.tolist()
        items.append((doc, "big.jsonl", nodes))
        sentences[doc.doc_id] = SentenceVectors(tuple(spans), vectors)
    return items, sentences


def test_writes_over_chromas_max_batch_size_are_split(tmp_path: Path) -> None:
    # One write of 6,478 chunks once failed whole: "Batch size of 6478 is greater than max batch size of 5461".
    store = Store(make_settings(tmp_path / "index"))
    assert store.max_batch == store.client.get_max_batch_size() > 0
    items, sentences = _items(4, store.max_batch // 4 + 50)
    store.write_many(items, sentences)
    assert len(store.ready_ids()) == 4 and store.chunk_count() > store.max_batch
    # Every collection's writes and deletes, split by a small limit, give the same index.
    store.max_batch = 3
    items, sentences = _items(10, 2)
    store.write_many(items, sentences)
    written = {doc.doc_id for doc, _, _ in items}
    assert len(store.ready_ids()) == 10 and set(store.sentence_vectors(sorted(written))) == written
    store.delete_many(sorted(store.ready_ids()))
    assert store.ready_ids() == set() and store.chunk_count() == 0 and store.sentences.count() == 0


def test_a_big_file_indexes_in_committed_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    write_scifact_jsonl(path, 2000, sentences=1)  # the machinery of 10,000 records (bench/big_file.py), smaller
    settings = make_settings(tmp_path / "index", ingest={"commit_documents": 250})
    assistant = Assistant(settings, embedder=HashEmbedder(), index_seeds=False)
    commits: list[int] = []
    write_many = assistant.store.write_many

    def counted(items: Sequence[tuple[Document, str, Sequence[BaseNode]]], sentences: Any) -> Any:
        commits.append(len(items))
        return write_many(items, sentences)

    monkeypatch.setattr(assistant.store, "write_many", counted)
    report = assistant.index([path])
    assert len(report.added) == 2000 and not report.skipped
    assert commits == [250] * 8  # committed every 250 documents, not once at the end
    assert len(assistant.store.ready_ids()) == 2000


def _whole(store: Store) -> None:
    """Every committed document has all its chunks; no reader sees a chunk of an uncommitted one."""
    records = {r.doc_id: r.n_chunks for r in store.records()}
    counts = Counter(str(m["doc_id"]) for m in store.chunks.get(include=["metadatas"])["metadatas"] or [])
    assert {doc_id: counts[doc_id] for doc_id in records} == records
    assert {node.metadata["doc_id"] for node, _ in store.ready_chunks(set(records))} == set(records)


@pytest.mark.slow
def test_kill_9_mid_file_then_rerun_embeds_only_the_rest(tmp_path: Path, embedder: Embedder) -> None:
    if not SCIFACT.is_file():
        pytest.fail(f"benchmark data missing: {SCIFACT} (../shared/bench must sit beside the project)")
    corpus, index_dir = tmp_path / "scifact.jsonl", tmp_path / "index"
    write_scifact_jsonl(corpus, N_RECORDS, sentences=1)
    env = {"ASSISTANT_INGEST__COMMIT_DOCUMENTS": str(COMMIT), "ASSISTANT_EMBEDDING__THREADS": "1"}
    first = run_index(corpus, index_dir, kill_at=int(0.6 * N_RECORDS), env=env)
    assert first.killed, first.progress[-3:]
    # Progress moved within the one file: records, documents and chunks embedded, pace and ETA.
    pattern = re.compile(rf"\[1/1\] scifact\.jsonl: \d+/{N_RECORDS} records, \d+/\d+ embedded \(\d+ chunks\), .+ ETA")
    assert sum(bool(pattern.search(line)) for line in first.progress) >= 5, first.progress[:3]

    settings = make_settings(index_dir, ingest={"commit_documents": COMMIT})
    crashed = Store(settings)
    kept = len(crashed.ready_ids())
    assert 0.6 * N_RECORDS - COMMIT <= kept <= 0.6 * N_RECORDS + COMMIT
    _whole(crashed)

    events: list[IndexProgress] = []
    before = embedder.encoded
    report = Assistant(settings, embedder=embedder, index_seeds=False).index([corpus], progress=events.append)
    assert len(report.unchanged) == kept  # recognised by id, not embedded again
    assert len(report.added) == N_RECORDS - kept and 0.3 * N_RECORDS <= len(report.added) <= 0.5 * N_RECORDS
    assert 0 < embedder.encoded - before < 0.55 * _texts_to_embed(corpus)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and len({f for f in fractions if 0 < f < 1}) >= 3  # the upload bar moves

    resumed = Store(settings)
    docs = load_documents(corpus)
    assert resumed.ready_ids() == {doc.doc_id for doc in docs}
    ids = resumed.chunks.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == sum(r.n_chunks for r in resumed.records())
    _whole(resumed)


def _texts_to_embed(corpus: Path) -> int:
    """Texts an uninterrupted build of the file would put through the model (chunks and sentences)."""
    total = 0
    for doc in load_documents(corpus):
        chunks = chunk_document(doc, ChunkingSettings())
        total += len(chunks) + len({span for chunk in chunks for span in chunk.sentences})
    return total


def _pubmed_export(n: int) -> str:
    text = (FIXTURES / "pubmed_export.xml").read_text(encoding="utf-8")
    head, _, rest = text.partition("<PubmedArticle>")
    body, _, tail = ("<PubmedArticle>" + rest).rpartition("</PubmedArticle>")
    articles = [a + "</PubmedArticle>" for a in (body + "</PubmedArticle>").split("</PubmedArticle>") if a.strip()]
    pmid = re.compile(r"<PMID Version=\"1\">\d+</PMID>")
    made = [pmid.sub(f'<PMID Version="1">{30_000_000 + i}</PMID>', articles[i % len(articles)], 1) for i in range(n)]
    return head + "\n".join(made) + tail


def _medline_export(n: int) -> str:
    records = [r for r in (FIXTURES / "medline.nbib").read_text(encoding="utf-8").split("\n\n") if r.strip()]
    pmid = re.compile(r"^PMID- \d+", re.M)
    return "\n\n".join(pmid.sub(f"PMID- {30_000_000 + i}", records[i % len(records)], 1) for i in range(n)) + "\n"


@pytest.mark.parametrize("name", ["big.jsonl", "big.xml", "big.nbib"])
def test_ten_thousand_record_exports_load(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".jsonl"):
        write_scifact_jsonl(path, 10_000)
    else:
        path.write_text(_pubmed_export(10_000) if name.endswith(".xml") else _medline_export(10_000))
    started = time.perf_counter()
    docs = load_documents(path)
    assert len(docs) == len({doc.doc_id for doc in docs}) == 10_000
    assert time.perf_counter() - started < 120  # linear: about 10 s on a busy 2-core machine


def _too_big(monkeypatch: pytest.MonkeyPatch, path: Path, setting: str, value: int, message: str) -> None:
    """Loading `path` with one limit lowered (the loaders read the environment's settings) is refused."""
    with monkeypatch.context() as env, pytest.raises(DocumentError, match=message):
        env.setenv(f"ASSISTANT_INGEST__{setting}", str(value))
        load_documents(path)


def test_one_jsonl_line_over_the_limit_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"text": "A short record."}\n' + '{"text": "' + "word " * 600 + '"}\n')
    _too_big(
        monkeypatch,
        path,
        "MAX_LINE_KB",
        2,
        r"big\.jsonl line 2: 3,012 bytes, over the 2 KB \(2,048 bytes\) limit for one line",
    )
    _too_big(monkeypatch, path, "MAX_DOCUMENT_CHARS", 1000, r"line 2: \"text\" holds 3,000 characters, over the 1,000")


def test_one_record_over_the_document_limit_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml, nbib = tmp_path / "big.xml", tmp_path / "big.nbib"
    xml.write_text(_pubmed_export(3).replace("</AbstractText>", "x" * 1000 + "</AbstractText>", 1))
    nbib.write_text(_medline_export(3).replace("AB  - ", "AB  - " + "word " * 250, 1))
    _too_big(monkeypatch, xml, "MAX_DOCUMENT_CHARS", 1000, r"PubmedArticle 1 \(PMID 30000000\) holds 1,\d+ characters")
    _too_big(monkeypatch, nbib, "MAX_DOCUMENT_CHARS", 1000, r"record at line 1 \(PMID 30000000\) holds 1,\d+ char")


def test_a_pdf_over_a_limit_is_refused_naming_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = FIXTURES / "article.pdf"  # 3 pages of 776, 414 and 629 characters
    _too_big(monkeypatch, pdf, "MAX_PDF_PAGES", 2, r"has 3 pages: page 3 is past the limit of 2 pages")
    _too_big(monkeypatch, pdf, "MAX_DOCUMENT_CHARS", 1000, r"page 2 takes its text past 1,000 characters")


def test_a_text_page_over_the_document_limit_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "long.txt"
    page.write_text("Mice given compound Q7 lived longer. " * 60)
    settings = make_settings(tmp_path / "index", ingest={"max_document_chars": 1000})
    assistant = Assistant(settings, embedder=HashEmbedder(), index_seeds=False)
    with pytest.raises(DocumentError, match=r"long\.txt holds 2,\d+ characters of text, over the 1,000 limit"):
        assistant.index([page])
    assert assistant.documents() == []


def test_limits_given_in_code_reach_the_loaders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings passed to `Assistant` (not the environment's) decide: a line the environment allows is refused."""
    monkeypatch.setenv("ASSISTANT_INGEST__MAX_LINE_KB", "1024")
    path = tmp_path / "big.jsonl"
    path.write_text('{"text": "A short record."}\n' + '{"text": "' + "word " * 600 + '"}\n')
    settings = make_settings(tmp_path / "index", ingest={"max_line_kb": 2})
    assistant = Assistant(settings, embedder=HashEmbedder(), index_seeds=False)
    with pytest.raises(DocumentError, match=r"big\.jsonl line 2: 3,012 bytes, over the 2 KB \(2,048 bytes\) limit"):
        assistant.index([path])
    assert assistant.documents() == []
    assert len(load_documents(path)) == 2, "the environment's limit allows it"


def test_the_terminal_progress_bar_moves_within_a_file(tmp_path: Path) -> None:
    """In a terminal (a pty here) the CLI draws a bar over the documents of one file, with rate and ETA."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    corpus = tmp_path / "scifact.jsonl"
    write_scifact_jsonl(corpus, 96, sentences=1)
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # a new pty is 0 columns wide
    environ = os.environ | {"ASSISTANT_PATHS__INDEX_DIR": str(tmp_path / "index")}
    command = [sys.executable, "-m", "assistant.app.cli", "index", str(corpus)]
    env = environ | {"ASSISTANT_EMBEDDING__THREADS": "1"}
    proc = subprocess.Popen(command, stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=env)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the pty closes with the process
            break
        if not chunk:
            break
        drawn += chunk
    assert proc.wait(timeout=300) == 0
    os.close(main)
    text = drawn.decode(errors="replace")
    steps = re.findall(r"(\d+)/96 \[[^\]]*doc/s", text)
    assert len({int(n) for n in steps}) >= 3, text[-800:]  # 0, 32, 64, 96: it moved within the one file
    assert "chunks, file 1/1 scifact.jsonl" in text
