"""Retrieval goes through LlamaIndex: Chroma's nearest neighbours and LlamaIndex's BM25Retriever bring the
candidates, each document found is scored whole, and the fusion is the configured one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from llama_index.retrievers.bm25 import BM25Retriever

from assistant.api import Assistant
from assistant.retrieval.hybrid import HYBRID, PIPELINES
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings

QUESTION = "which transcription factors does imatinib inhibit in regulatory T cells"
DENSE = next(p for p in PIPELINES if p.name == "dense")
BM25 = next(p for p in PIPELINES if p.name == "bm25")


def test_dense_passages_are_chromas_nearest_neighbours(seeded: Assistant) -> None:
    vector = seeded.embedder.embed([QUESTION])[0]
    nearest = seeded.store.chunks.query(query_embeddings=[vector.tolist()], n_results=4)["ids"][0]
    got = seeded.retriever.retrieve(QUESTION, 4, DENSE)
    assert [p.chunk.chunk_id for p in got] == nearest
    assert [p.score for p in got] == pytest.approx(sorted((p.similarity for p in got), reverse=True), abs=1e-5)


def test_bm25_passages_come_from_llamaindexs_bm25_retriever(seeded: Assistant) -> None:
    seeded.retriever.refresh()
    corpus = seeded.retriever._corpus
    assert corpus is not None and isinstance(corpus.sparse.retriever, BM25Retriever)
    corpus.sparse.retriever.similarity_top_k = 3
    expected = [hit.node.node_id for hit in corpus.sparse.retriever.retrieve(QUESTION)]
    assert [p.chunk.chunk_id for p in seeded.retriever.retrieve(QUESTION, 3, BM25)] == expected


def test_reciprocal_rank_fusion_is_a_setting(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seeded_dir, index_dir)
    rrf = Assistant(make_settings(index_dir, retrieval={"fusion": "rrf"}), embedder=embedder).retriever
    weighted = Assistant(make_settings(index_dir), embedder=embedder).retriever
    dense = [p.chunk.chunk_id for p in rrf.retrieve(QUESTION, 8, DENSE)]
    sparse = [p.chunk.chunk_id for p in rrf.retrieve(QUESTION, 8, BM25)]
    fused = rrf.retrieve(QUESTION, 8, HYBRID)
    # A chunk first in both rankings scores 1; otherwise the sum of 1 / (61 + rank) over its maximum, 2 / 61.
    for p in fused[:3]:
        expected = (1 / (61 + dense.index(p.chunk.chunk_id)) + 1 / (61 + sparse.index(p.chunk.chunk_id))) * 61 / 2
        assert abs(p.score - expected) < 1e-4
    assert [p.score for p in fused] != [p.score for p in weighted.retrieve(QUESTION, 8, HYBRID)]


def test_after_a_restart_bm25_holds_exactly_the_chunks_chroma_holds(
    tmp_path: Path, seeded_dir: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seeded_dir, index_dir)
    restarted = Assistant(make_settings(index_dir), embedder=embedder)  # nothing in memory but what it reads
    restarted.retriever.refresh()
    corpus = restarted.retriever._corpus
    assert corpus is not None and set(corpus.sparse.row_of) == set(restarted.store.chunks.get(include=[])["ids"])
    # Another writer removes a document: the next question sees the index as it now is.
    other = Assistant(make_settings(index_dir), embedder=embedder)
    gone = other.documents()[0]
    other.remove(gone.doc_id)
    hits = restarted.retriever.retrieve("imatinib regulatory T cells imiquimod mast cells", 8, BM25)
    assert hits and all(p.chunk.doc_id != gone.doc_id for p in hits)
    corpus = restarted.retriever._corpus
    assert corpus is not None and set(corpus.sparse.row_of) == set(restarted.store.chunks.get(include=[])["ids"])
