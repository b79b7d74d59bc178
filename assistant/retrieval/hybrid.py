"""Hybrid retrieval through LlamaIndex: dense (Chroma's nearest neighbours, queried through LlamaIndex's
`ChromaVectorStore`) and BM25 (LlamaIndex's `BM25Retriever`) each bring their best chunks; every chunk of the
documents they found is then scored by both and the scores are fused, by weighted sum (the default, measured
better on SciFact) or by reciprocal rank (`RETRIEVAL__FUSION=rrf`, as LlamaIndex's `QueryFusionRetriever`).
Aliases learned from the corpus, pseudo-relevance feedback and a cross-encoder are optional steps.

Scores, and why they are comparable across questions:
- dense: the cosine between the question and the chunk (title included), clipped at 0;
- BM25: normalised by the question's ceiling (see `assistant.retrieval.sparse`), in [0, 1]; with aliases, the better of
  the question as asked and the question plus its aliases;
- fused: `dense_weight` x dense + (1 - dense_weight) x BM25, then `document_weight` of it replaced by the mean
  over the chunk's document (all its chunks are scored, so the mean is exact); with a reranker, see
  `assistant.retrieval.rerank`. `Passage.score` is that, in [0, 1]. With `fusion=rrf` it is the reciprocal-rank sum over
  its maximum (a chunk first in both rankings).
No score is divided by the best hit of its own question, so a weak best hit stays weak and the answer step
can refuse on it. `Passage.similarity` is the cosine to the question as asked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.models import DocumentRecord, Passage, Span
from assistant.retrieval.rerank import CrossEncoderReranker, Reranker
from assistant.retrieval.sparse import SparseIndex
from assistant.settings import RetrievalSettings
from assistant.store.chroma import Store, node_to_chunk
from assistant.store.embeddings import Embedder, Matrix
from assistant.text.aliases import AliasMap, find_aliases

if TYPE_CHECKING:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.schema import BaseNode

_SENTENCE_CACHE = 1024  # documents whose sentence vectors stay in memory between questions
RRF_K = 60.0  # the constant LlamaIndex's QueryFusionRetriever uses
Rows = Any  # np.ndarray of chunk row numbers


@dataclass(frozen=True)
class Pipeline:
    """Which parts of retrieval run. The assistant runs `DEFAULT`; the benchmarks compare the others."""

    name: str
    dense: bool = True
    sparse: bool = True
    aliases: bool = True  # expand the question with the aliases the corpus defines
    feedback: bool = True  # pseudo-relevance feedback (settings.feedback_docs > 0)
    rerank: bool = True  # the cross-encoder, when settings.reranker names one
    rrf: bool = False  # fuse by reciprocal rank whatever settings.fusion says


HYBRID = Pipeline("hybrid+aliases", rerank=False)
# What the assistant runs: everything, the cross-encoder included when one is configured.
DEFAULT = Pipeline("hybrid+aliases+rerank")
PIPELINES = (
    Pipeline("bm25", dense=False, aliases=False, feedback=False, rerank=False),
    Pipeline("dense", sparse=False, aliases=False, feedback=False, rerank=False),
    Pipeline("hybrid-rrf", aliases=False, feedback=False, rerank=False, rrf=True),
    Pipeline("hybrid", aliases=False, rerank=False),
    HYBRID,
    DEFAULT,
)


def default_pipeline(settings: RetrievalSettings) -> Pipeline:
    """The benchmark row that is the assistant's own retrieval under these settings."""
    return DEFAULT if settings.reranker else HYBRID


class _Corpus:
    """The committed chunks of one index generation: texts, vectors, both retrievers, document membership."""

    def __init__(
        self, store: Store, embedder: Embedder, nodes: list[BaseNode], vectors: Matrix, settings: RetrievalSettings
    ) -> None:
        self.nodes = nodes
        self.vectors = vectors
        doc_ids = [str(n.metadata["doc_id"]) for n in nodes]
        self.doc_names = sorted(set(doc_ids))
        index = {d: i for i, d in enumerate(self.doc_names)}
        self.doc_of = np.array([index[d] for d in doc_ids], dtype=np.int64)
        # The rows of document d are by_doc[starts[d]:starts[d + 1]].
        self.by_doc = np.argsort(self.doc_of, kind="stable")
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(self.doc_of, minlength=len(self.doc_names)))])
        self.sparse = SparseIndex(nodes, settings)
        self.dense_retriever = _chroma_retriever(store, embedder)

    def dense_search(self, question: str, vector: Matrix, depth: int) -> list[int]:
        """Rows of Chroma's `depth` nearest chunks (through LlamaIndex); chunks of uncommitted documents left out."""
        from llama_index.core.schema import QueryBundle

        self.dense_retriever.similarity_top_k = min(depth, len(self.nodes))  # type: ignore[attr-defined]
        hits = self.dense_retriever.retrieve(QueryBundle(query_str=question, embedding=[float(x) for x in vector]))
        rows = (self.sparse.row_of.get(hit.node.node_id) for hit in hits)
        return [row for row in rows if row is not None]

    def whole_documents(self, hits: list[int]) -> Rows:
        """Every row of every document that holds one of the hits (so each document is scored whole)."""
        if not hits:
            return np.zeros(0, dtype=np.int64)
        docs = np.unique(self.doc_of[np.asarray(hits, dtype=np.int64)])
        return np.concatenate([self.by_doc[self.starts[d] : self.starts[d + 1]] for d in docs])

    def dense(self, rows: Rows, vector: Matrix) -> Matrix:
        return np.asarray(np.clip(self.vectors[rows] @ vector, 0.0, None), dtype=np.float32)

    def with_context(self, rows: Rows, scores: Matrix, weight: float) -> Matrix:
        """Each chunk's score blended with the mean score of its document's chunks (a whole abstract's evidence)."""
        if not weight or not len(rows):
            return scores
        docs = self.doc_of[rows]
        counts = np.bincount(docs, minlength=len(self.doc_names))
        means = np.bincount(docs, weights=scores, minlength=len(self.doc_names)) / np.maximum(counts, 1)
        return np.asarray((1 - weight) * scores + weight * means[docs], dtype=np.float32)

    def top_documents(self, rows: Rows, scores: Matrix, k: int) -> list[int]:
        """Positions (in `rows`) of the best chunk of each of the `k` best documents, best first."""
        seen: set[int] = set()
        picked: list[int] = []
        for i in np.argsort(-scores, kind="stable"):
            d = int(self.doc_of[rows[i]])
            if d not in seen:
                seen.add(d)
                picked.append(int(i))
                if len(picked) >= k:
                    break
        return picked


class HybridRetriever:
    """Finds passages of committed documents; re-reads the index when the catalog changes."""

    def __init__(
        self, store: Store, embedder: Embedder, settings: RetrievalSettings, reranker: Reranker | None = None
    ) -> None:
        """`reranker` defaults to the cross-encoder `settings.reranker` names (used only when it names one)."""
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._version: str | None = None
        self._corpus: _Corpus | None = None
        self._records: dict[str, DocumentRecord] = {}
        self._sentences: dict[str, dict[Span, Matrix]] = {}  # doc id -> stored sentence vectors, recently used
        self.reranker: Reranker = reranker or CrossEncoderReranker(
            settings.reranker, embedder.settings.device, settings.rerank_weight
        )
        self._reranks = reranker is not None or bool(settings.reranker)
        self.aliases = AliasMap()

    def refresh(self) -> None:
        """Re-read the catalog and the chunks when another writer (or this process) changed them."""
        version = self.store.generation()
        if version == self._version:
            return
        self._records = {r.doc_id: r for r in self.store.records()}
        # BM25 is built from the chunks read back from Chroma, so after a restart it sees exactly what is stored.
        nodes, vectors = _read_chunks(self.store, set(self._records))
        self._corpus = _Corpus(self.store, self.embedder, nodes, vectors, self.settings) if nodes else None
        self.aliases = AliasMap(_learned_aliases(self.store, nodes))
        self._sentences.clear()
        self._version = version

    def forget(self) -> None:
        """Drop what is remembered between questions: sentence vectors and alias expansions (benchmarks)."""
        self._sentences.clear()
        self.aliases.forget()

    def expand(self, question: str) -> str:
        """The question with the aliases the corpus defines for names in it."""
        self.refresh()
        return self.aliases.expand(question)

    def retrieve(self, question: str, top_k: int | None = None, pipeline: Pipeline = DEFAULT) -> list[Passage]:
        """The best passages for a question, best first (several may come from one document)."""
        k = top_k or self.settings.top_k
        found = self.candidates(question, pipeline, max(self.settings.depth, k))
        if found is None:
            return []
        rows, scores = found
        order = [int(i) for i in np.argsort(-scores, kind="stable")[: max(k, self._rerank_depth(pipeline))]]
        order, final = self._rerank(question, rows, order, scores, pipeline)
        passages = [self._passage(int(rows[i]), float(final[i]), question) for i in order[:k]]
        return self._with_sentence_vectors(passages)

    def rank_documents(self, question: str, k: int, pipeline: Pipeline = DEFAULT) -> list[tuple[str, float]]:
        """(doc id, score) of the `k` best documents; a document scores as its best passage (benchmarks)."""
        found = self.candidates(question, pipeline, max(self.settings.depth, 3 * k))
        if found is None or self._corpus is None:
            return []
        rows, scores = found
        corpus = self._corpus
        picked = corpus.top_documents(rows, scores, max(k, self._rerank_depth(pipeline)))
        picked, final = self._rerank(question, rows, picked, scores, pipeline)
        return [(corpus.doc_names[corpus.doc_of[rows[i]]], float(final[i])) for i in picked[:k]]

    # --- scoring -----------------------------------------------------------------------------
    def candidates(self, question: str, pipeline: Pipeline, depth: int) -> tuple[Rows, Matrix] | None:
        """The chunks of every document either retriever found, with their fused scores (None: empty index)."""
        self.refresh()
        corpus = self._corpus
        if corpus is None:
            return None
        query = self.aliases.expand(question) if pipeline.aliases else question
        # Aliases go to BM25 only: appended to the question they blur its embedding (measured on SciFact).
        vector = self.embedder.embed_cached([question])[0] if pipeline.dense else None
        hits = corpus.dense_search(question, vector, depth) if vector is not None else []
        if pipeline.sparse:
            hits += corpus.sparse.search(question, depth)
            if query != question:
                hits += corpus.sparse.search(query, depth)
        rows = corpus.whole_documents(hits)
        sparse = self._sparse(corpus, rows, question, query) if pipeline.sparse else None
        fused = self._fuse(corpus, rows, vector, sparse, pipeline)
        if pipeline.feedback and vector is not None and self.settings.feedback_docs > 0:
            vector = self._feedback(corpus, rows, vector, fused)
            fused = self._fuse(corpus, rows, vector, sparse, pipeline)
        return rows, fused

    @staticmethod
    def _sparse(corpus: _Corpus, rows: Rows, question: str, query: str) -> Matrix:
        sparse = corpus.sparse.scores(question)[rows]
        if query != question:
            # A passage scores by whichever form matches it better: the expansion never waters down a passage
            # that matches the question as asked (adding the alias terms to one query did, on SciFact).
            sparse = np.maximum(sparse, corpus.sparse.scores(query)[rows])
        return sparse

    def _fuse(
        self, corpus: _Corpus, rows: Rows, vector: Matrix | None, sparse: Matrix | None, pipeline: Pipeline
    ) -> Matrix:
        if vector is None:
            assert sparse is not None
            return sparse  # one retriever alone is the plain baseline: no document blend
        dense = corpus.dense(rows, vector)
        if sparse is None:
            return dense
        if pipeline.rrf or self.settings.fusion == "rrf":
            return _reciprocal_rank(dense, sparse)
        w = self.settings.dense_weight
        fused = np.asarray(w * dense + (1 - w) * sparse, dtype=np.float32)
        return corpus.with_context(rows, fused, self.settings.document_weight)

    def _feedback(self, corpus: _Corpus, rows: Rows, vector: Matrix, fused: Matrix) -> Matrix:
        """Rocchio on the dense side: move the question towards the best chunks of the top documents."""
        top = rows[corpus.top_documents(rows, fused, self.settings.feedback_docs)]
        moved = vector + self.settings.feedback_weight * corpus.vectors[top].mean(axis=0)
        return np.asarray(moved / np.linalg.norm(moved), dtype=np.float32)

    # --- reranking -----------------------------------------------------------------------------
    def _rerank_depth(self, pipeline: Pipeline) -> int:
        return self.settings.candidates if pipeline.rerank and self._reranks else 0

    def _rerank(
        self, question: str, rows: Rows, order: list[int], scores: Matrix, pipeline: Pipeline
    ) -> tuple[list[int], Matrix]:
        """Cross-encoder over the first `candidates` positions of `order`, blended with the fused score."""
        depth = self._rerank_depth(pipeline)
        if not depth or self._corpus is None:
            return order, scores
        head, tail = order[:depth], order[depth:]
        texts = [_passage_text(self._corpus.nodes[rows[i]]) for i in head]
        final = self.reranker.rerank(question, head, texts, scores)
        head = sorted(head, key=lambda i: -float(final[i]))
        # Chunks below the reranked head keep their order and stay below it.
        floor = float(final[head].min()) if head else 0.0
        final[tail] = np.minimum(final[tail], floor)
        return head + tail, final

    # --- passages ------------------------------------------------------------------------------
    def _with_sentence_vectors(self, passages: list[Passage]) -> list[Passage]:
        """The passages with their sentences' stored vectors, so that the answer step encodes none of them."""
        missing = [p.chunk.doc_id for p in passages if p.chunk.doc_id not in self._sentences]
        if missing:
            if len(self._sentences) > _SENTENCE_CACHE:
                self._sentences.clear()
            self._sentences.update((d, v.lookup()) for d, v in self.store.sentence_vectors(missing).items())
        return [replace(p, sentence_vectors=self._sentences.get(p.chunk.doc_id, {})) for p in passages]

    def _passage(self, row: int, score: float, question: str) -> Passage:
        assert self._corpus is not None
        chunk = node_to_chunk(self._corpus.nodes[row])
        asked = self.embedder.embed_cached([question])[0]
        similarity = float(self._corpus.vectors[row] @ asked)
        return Passage(chunk, self._records[chunk.doc_id], min(max(score, 0.0), 1.0), similarity)


def _reciprocal_rank(*scores: Matrix) -> Matrix:
    """Sum of 1 / (60 + rank) over the rankings, over its maximum (first in all), as QueryFusionRetriever fuses."""
    fused = np.zeros_like(scores[0])
    for s in scores:
        ranks = np.empty(len(s), dtype=np.float32)
        ranks[np.argsort(-s, kind="stable")] = np.arange(len(s), dtype=np.float32)
        fused += 1.0 / (RRF_K + 1.0 + ranks)
    return np.asarray(fused / (len(scores) / (RRF_K + 1.0)), dtype=np.float32)


def _chroma_retriever(store: Store, embedder: Embedder) -> BaseRetriever:
    """LlamaIndex's vector retriever over the Chroma collection; it is always given the question's embedding."""
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=llama_embedding(embedder))
    return index.as_retriever()


def llama_embedding(embedder: Embedder) -> Any:
    """Our embedder as a LlamaIndex embedding model (so LlamaIndex never reaches for a default one)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class _Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed_cached([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed([text])[0]]

    return _Adapter(model_name=embedder.settings.model, embed_batch_size=embedder.settings.batch_size)


def _passage_text(node: BaseNode) -> str:
    title = str(node.metadata.get("title") or "")
    return f"{title}\n{node.get_content()}" if title else node.get_content()


def _read_chunks(store: Store, ready: set[str]) -> tuple[list[BaseNode], Matrix]:
    """Every chunk of committed documents with its stored vector, read back from Chroma."""
    nodes: list[BaseNode] = []
    vectors: list[Any] = []
    for node, vector in store.ready_chunks(ready, vectors=True):
        nodes.append(node)
        vectors.append(vector)
    return nodes, np.asarray(vectors, dtype=np.float32).reshape(len(nodes), -1)


def _learned_aliases(store: Store, nodes: list[BaseNode]) -> list[tuple[str, str]]:
    """Aliases stored with the documents; documents indexed before that have theirs read from their chunks."""
    pairs, stale = store.learned_aliases()
    texts: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        if node.metadata.get("doc_id") in stale:
            texts[str(node.metadata["doc_id"])].append(node.get_content())
    return pairs + [pair for chunks in texts.values() for text in chunks for pair in find_aliases(text)]
