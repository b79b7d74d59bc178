"""Hybrid retrieval through LlamaIndex: dense (Chroma) and BM25, fused by reciprocal rank.

Scores: `Passage.score` is the reciprocal-rank-fusion score divided by its maximum (a chunk
ranked first by every retriever), so it lies in [0, 1] for any query. `Passage.similarity`
is the cosine between the question and the chunk embedding, computed for every returned
passage (BM25-only hits included), so the answer step can compare evidence across queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.aliases import AliasMap, find_aliases
from assistant.embeddings import Embedder
from assistant.models import DocumentRecord, Passage
from assistant.settings import RetrievalSettings
from assistant.store import Store, node_to_chunk

if TYPE_CHECKING:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.embeddings.base import BaseEmbedding

RRF_K = 60.0  # the constant LlamaIndex's QueryFusionRetriever uses


def llama_embedding(embedder: Embedder) -> BaseEmbedding:
    """Our embedder as a LlamaIndex embedding model (queries go through the cache)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class _Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed_cached([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in embedder.embed(texts)]

    return _Adapter(model_name=embedder.settings.model, embed_batch_size=embedder.settings.batch_size)


class HybridRetriever:
    """Finds passages of committed documents; rebuilds its BM25 side when the catalog changes."""

    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._version: str | None = None
        self._fusion: BaseRetriever | None = None
        self._records: dict[str, DocumentRecord] = {}
        self.aliases = AliasMap()

    def refresh(self) -> None:
        """Re-read the catalog and the chunks when another writer (or this process) changed them."""
        version = self.store.generation()
        if version == self._version:
            return
        self._records = {r.doc_id: r for r in self.store.records()}
        self._fusion = self._build() if self._records else None
        self._version = version

    def _build(self) -> BaseRetriever:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.llms.mock import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.retrievers.bm25 import BM25Retriever

        k = self.settings.candidates
        nodes = list(self.store.iter_nodes())  # from Chroma, so a restart sees exactly what is stored
        self.aliases = AliasMap(pair for node in nodes for pair in find_aliases(node.get_content()))
        dense = VectorStoreIndex.from_vector_store(
            self.store.vector_store(), embed_model=llama_embedding(self.embedder)
        ).as_retriever(similarity_top_k=k)
        bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(k, len(nodes)))
        return QueryFusionRetriever(
            [dense, bm25],
            llm=MockLLM(),  # never called: num_queries=1 generates no extra queries
            mode="reciprocal_rerank",  # type: ignore[arg-type]
            similarity_top_k=k,
            num_queries=1,
            use_async=False,
        )

    def expand(self, question: str) -> str:
        """The question with the aliases the corpus defines for names in it."""
        self.refresh()
        return self.aliases.expand(question)

    def retrieve(self, question: str, top_k: int | None = None) -> list[Passage]:
        """Passages for a question (expanded with aliases), best first; similarity is to the question as asked."""
        query = self.expand(question)
        if self._fusion is None:
            return []
        hits = [h for h in self._fusion.retrieve(query) if h.node.metadata.get("doc_id") in self._records]
        hits = hits[: top_k or self.settings.top_k]
        sims = self._similarities(question, [h.node.node_id for h in hits])
        best = 2.0 / (RRF_K + 0.0)  # both retrievers rank the chunk first (rank 0)
        return [self._passage(h.node, float(h.score or 0.0) / best, sim) for h, sim in zip(hits, sims, strict=True)]

    def _similarities(self, question: str, ids: list[str]) -> list[float]:
        if not ids:
            return []
        got = self.store.chunks.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        query = self.embedder.embed_cached([question])[0]
        return [float(np.dot(by_id[i], query)) for i in ids]

    def _passage(self, node: Any, score: float, similarity: float) -> Passage:
        chunk = node_to_chunk(node)
        return Passage(chunk=chunk, document=self._records[chunk.doc_id], score=min(score, 1.0), similarity=similarity)
