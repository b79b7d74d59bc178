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

import logging
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from assistant.models import Passage
from assistant.retrieval.rerank import CrossEncoderReranker, Reranker
from assistant.retrieval.snapshot import EMPTY, Corpus, Rows, Snapshot, build_snapshot
from assistant.settings import RetrievalSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, Matrix
from assistant.store.nodes import node_to_chunk
from assistant.text.aliases import AliasMap
from assistant.text.sentences import split_sentences

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode

log = logging.getLogger(__name__)

_SENTENCE_CACHE = 1024  # documents whose sentence vectors stay in memory between questions
RRF_K = 60.0  # the constant LlamaIndex's QueryFusionRetriever uses


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


class HybridRetriever:
    """Finds passages of committed documents. Each question reads one immutable `Snapshot` of the index, taken
    at its start; a new one is built and swapped in when the catalog's generation moves, so a question running
    while documents are added or removed answers from the index as it was when it started."""

    def __init__(
        self, store: Store, embedder: Embedder, settings: RetrievalSettings, reranker: Reranker | None = None
    ) -> None:
        """`reranker` defaults to the cross-encoder `settings.reranker` names (used only when it names one)."""
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._snapshot = EMPTY  # replaced whole, never changed: a reader holds on to the one it took
        self._building = threading.Lock()  # one build at a time; the others wait for it rather than repeat it
        self.reranker: Reranker = reranker or CrossEncoderReranker(
            settings.reranker, embedder.settings.device, settings.rerank_weight
        )
        self._reranks = reranker is not None or bool(settings.reranker)

    def snapshot(self) -> Snapshot:
        """The index as it is now: the current snapshot, rebuilt first when another writer (or this process)
        committed or deleted documents since it was taken. A question that starts after a write sees it."""
        current = self._snapshot
        if current.version == self.store.generation():
            return current
        from chromadb.errors import ChromaError

        with self._building:
            version = self.store.generation()  # another thread may have built it while this one waited
            if self._snapshot.version != version:
                try:
                    self._snapshot = self._build(version)
                except ChromaError:
                    if self._snapshot.version is None:
                        raise
                    # Writes kept spoiling the read: this question answers from the index as it was a moment
                    # ago (consistent in itself), and the next one tries again.
                    log.warning("could not re-read the index; answering from the previous snapshot", exc_info=True)
            return self._snapshot

    def _build(self, version: str) -> Snapshot:
        """The snapshot at `version`; once more on a fresh client when this process's cached vector index cannot
        read what another process wrote (`Store.reopen`)."""
        from chromadb.errors import ChromaError

        try:
            return build_snapshot(self.store, self.embedder, self.settings, version)
        except ChromaError:
            if not self.store.reopen():
                raise
            return build_snapshot(self.store, self.embedder, self.settings, self.store.generation())

    def refresh(self) -> None:
        """Re-read the catalog and the chunks when another writer (or this process) changed them."""
        self.snapshot()

    @property
    def aliases(self) -> AliasMap:
        """The aliases the documents of the current snapshot define."""
        return self._snapshot.aliases

    @property
    def _corpus(self) -> Corpus | None:
        return self._snapshot.corpus

    def forget(self) -> None:
        """Drop what is remembered between questions: sentence vectors and alias expansions (benchmarks)."""
        snap = self._snapshot
        snap.sentences.clear()
        snap.aliases.forget()

    def expand(self, question: str) -> str:
        """The question with the aliases the corpus defines for names in it."""
        return self.snapshot().aliases.expand(question)

    def retrieve(self, question: str, top_k: int | None = None, pipeline: Pipeline = DEFAULT) -> list[Passage]:
        """The best passages for a question, best first (several may come from one document)."""
        snap = self.snapshot()
        k = top_k or self.settings.top_k
        found = self._candidates(snap, question, pipeline, max(self.settings.depth, k))
        if snap.corpus is None or found is None:
            return []
        rows, scores = found
        order = [int(i) for i in np.argsort(-scores, kind="stable")[: max(k, self._rerank_depth(pipeline))]]
        order, final = self._rerank(snap.corpus, question, rows, order, scores, pipeline)
        asked = self.embedder.embed_cached([question])[0]
        passages = [_passage(snap, int(rows[i]), float(final[i]), asked) for i in order[:k]]
        return self._with_sentence_vectors(snap, passages)

    def document_sentences(self, doc_id: str) -> tuple[str, ...]:
        """Every sentence of a document of the current snapshot, once each (chunks overlap), spaces normalised;
        none for a document outside it. The answer step weighs question terms by their rarity in these."""
        snap = self.snapshot()
        found = snap.documents.get(doc_id)
        if found is None:
            texts = snap.corpus.document_chunks(doc_id) if snap.corpus is not None else []
            found = tuple(dict.fromkeys(" ".join(t[s:e].split()) for t in texts for s, e in split_sentences(t)))
            if len(snap.documents) > _SENTENCE_CACHE:
                snap.documents.clear()
            snap.documents[doc_id] = found
        return found

    def rank_documents(self, question: str, k: int, pipeline: Pipeline = DEFAULT) -> list[tuple[str, float]]:
        """(doc id, score) of the `k` best documents; a document scores as its best passage (benchmarks)."""
        snap = self.snapshot()
        found = self._candidates(snap, question, pipeline, max(self.settings.depth, 3 * k))
        if snap.corpus is None or found is None:
            return []
        rows, scores = found
        corpus = snap.corpus
        picked = corpus.top_documents(rows, scores, max(k, self._rerank_depth(pipeline)))
        picked, final = self._rerank(corpus, question, rows, picked, scores, pipeline)
        return [(corpus.doc_names[corpus.doc_of[rows[i]]], float(final[i])) for i in picked[:k]]

    # --- scoring -----------------------------------------------------------------------------
    def _candidates(self, snap: Snapshot, question: str, pipeline: Pipeline, depth: int) -> tuple[Rows, Matrix] | None:
        """The chunks of every document either retriever found, with their fused scores (None: empty index)."""
        corpus = snap.corpus
        if corpus is None:
            return None
        query = snap.aliases.expand(question) if pipeline.aliases else question
        # Aliases go to BM25 only: appended to the question they blur its embedding (measured on SciFact).
        vector = self.embedder.embed_cached([question])[0] if pipeline.dense else None
        hits = corpus.dense_search(question, vector, depth) if vector is not None else []
        if pipeline.sparse:
            hits += corpus.sparse.search(question, depth)
            if query != question:
                hits += corpus.sparse.search(query, depth)
        rows = corpus.whole_documents(hits)
        sparse = _sparse(corpus, rows, question, query) if pipeline.sparse else None
        fused = self._fuse(corpus, rows, vector, sparse, pipeline)
        if pipeline.feedback and vector is not None and self.settings.feedback_docs > 0:
            vector = self._feedback(corpus, rows, vector, fused)
            fused = self._fuse(corpus, rows, vector, sparse, pipeline)
        return rows, fused

    def _fuse(
        self, corpus: Corpus, rows: Rows, vector: Matrix | None, sparse: Matrix | None, pipeline: Pipeline
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

    def _feedback(self, corpus: Corpus, rows: Rows, vector: Matrix, fused: Matrix) -> Matrix:
        """Rocchio on the dense side: move the question towards the best chunks of the top documents."""
        top = rows[corpus.top_documents(rows, fused, self.settings.feedback_docs)]
        moved = vector + self.settings.feedback_weight * corpus.vectors[top].mean(axis=0)
        return np.asarray(moved / np.linalg.norm(moved), dtype=np.float32)

    # --- reranking -----------------------------------------------------------------------------
    def _rerank_depth(self, pipeline: Pipeline) -> int:
        return self.settings.candidates if pipeline.rerank and self._reranks else 0

    def _rerank(
        self, corpus: Corpus, question: str, rows: Rows, order: list[int], scores: Matrix, pipeline: Pipeline
    ) -> tuple[list[int], Matrix]:
        """Cross-encoder over the first `candidates` positions of `order`, blended with the fused score."""
        depth = self._rerank_depth(pipeline)
        if not depth:
            return order, scores
        head, tail = order[:depth], order[depth:]
        texts = [_passage_text(corpus.nodes[rows[i]]) for i in head]
        final = self.reranker.rerank(question, head, texts, scores)
        head = sorted(head, key=lambda i: -float(final[i]))
        # Chunks below the reranked head keep their order and stay below it.
        floor = float(final[head].min()) if head else 0.0
        final[tail] = np.minimum(final[tail], floor)
        return head + tail, final

    # --- passages ------------------------------------------------------------------------------
    def _with_sentence_vectors(self, snap: Snapshot, passages: list[Passage]) -> list[Passage]:
        """The passages with their sentences' stored vectors, so that the answer step encodes none of them.
        A document deleted since the snapshot was taken has none left: the answer step encodes its sentences."""
        cache = snap.sentences
        missing = [p.chunk.doc_id for p in passages if p.chunk.doc_id not in cache]
        if missing:
            from chromadb.errors import ChromaError

            if len(cache) > _SENTENCE_CACHE:
                cache.clear()
            try:
                cache.update((d, v.lookup()) for d, v in self.store.sentence_vectors(missing).items())
            except ChromaError:  # a read that met a concurrent write: the answer step encodes the sentences
                log.warning("could not read stored sentence vectors", exc_info=True)
        return [replace(p, sentence_vectors=cache.get(p.chunk.doc_id, {})) for p in passages]


def _passage(snap: Snapshot, row: int, score: float, asked: Matrix) -> Passage:
    """The passage at `row` of the snapshot; its document is in the snapshot's records even if deleted since."""
    assert snap.corpus is not None
    chunk = node_to_chunk(snap.corpus.nodes[row])
    similarity = float(snap.corpus.vectors[row] @ asked)
    return Passage(chunk, snap.records[chunk.doc_id], min(max(score, 0.0), 1.0), similarity)


def _sparse(corpus: Corpus, rows: Rows, question: str, query: str) -> Matrix:
    sparse = corpus.sparse.scores(question)[rows]
    if query != question:
        # A passage scores by whichever form matches it better: the expansion never waters down a passage
        # that matches the question as asked (adding the alias terms to one query did, on SciFact).
        sparse = np.maximum(sparse, corpus.sparse.scores(query)[rows])
    return sparse


def _reciprocal_rank(*scores: Matrix) -> Matrix:
    """Sum of 1 / (60 + rank) over the rankings, over its maximum (first in all), as QueryFusionRetriever fuses."""
    fused = np.zeros_like(scores[0])
    for s in scores:
        ranks = np.empty(len(s), dtype=np.float32)
        ranks[np.argsort(-s, kind="stable")] = np.arange(len(s), dtype=np.float32)
        fused += 1.0 / (RRF_K + 1.0 + ranks)
    return np.asarray(fused / (len(scores) / (RRF_K + 1.0)), dtype=np.float32)


def _passage_text(node: BaseNode) -> str:
    title = str(node.metadata.get("title") or "")
    return f"{title}\n{node.get_content()}" if title else node.get_content()
