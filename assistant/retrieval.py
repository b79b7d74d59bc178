"""Hybrid retrieval: dense (the stored MiniLM vectors) and BM25 (bm25s, the engine of LlamaIndex's BM25 retriever),
fused as a weighted sum of scores that mean the same for every question, with each chunk blended with its
document, aliases learned from the corpus, optional pseudo-relevance feedback and an optional cross-encoder.
Every chunk of the index is scored (vectors and BM25 held in memory), so a document's score is exact.

Scores, and why they are comparable across questions:
- dense: the cosine between the question and the chunk (title included), clipped at 0;
- BM25: the chunk's BM25 score divided by the most any chunk could score for this question (the sum of the
  query terms' IDF, the limit of BM25's saturating term weight), so in [0, 1] and not relative to the hits;
  with aliases, the better of the question as asked and the question plus its aliases;
- fused: `dense_weight` x dense + (1 - dense_weight) x BM25, then `document_weight` of it replaced by the mean
  over the chunk's document; with a reranker, `rerank_weight` x the cross-encoder's probability + the rest x
  the fused score. `Passage.score` is that, in [0, 1].
No score is divided by the best hit of its own question, so a weak best hit stays weak and the answer step
can refuse on it. `Passage.similarity` is the cosine to the question as asked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.aliases import AliasMap, find_aliases
from assistant.embeddings import Embedder, Matrix
from assistant.models import DocumentRecord, Passage
from assistant.settings import RetrievalSettings
from assistant.store import Store, node_to_chunk

if TYPE_CHECKING:
    import bm25s
    from llama_index.core.schema import BaseNode
    from sentence_transformers import CrossEncoder

_PAGE = 2000  # chunks per Chroma read
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
    rrf: bool = False  # fuse by reciprocal rank instead (LlamaIndex's QueryFusionRetriever; the former default)


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
    """The committed chunks of one index generation: texts, vectors, a BM25 index, document membership."""

    def __init__(self, nodes: list[BaseNode], vectors: Matrix, settings: RetrievalSettings) -> None:
        from llama_index.core.schema import MetadataMode

        self.nodes = nodes
        self.vectors = vectors
        doc_ids = [str(n.metadata["doc_id"]) for n in nodes]
        self.doc_names = sorted(set(doc_ids))
        index = {d: i for i, d in enumerate(self.doc_names)}
        self.doc_of = np.array([index[d] for d in doc_ids], dtype=np.int64)
        # The title joins each chunk's text here as it does in the embedded text.
        self.bm25 = _bm25([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes], settings)
        df = np.diff(self.bm25.scores["indptr"])  # chunks holding each token
        self.idf = np.log(1 + (len(nodes) - df + 0.5) / (df + 0.5))

    def dense(self, query: Matrix) -> Matrix:
        return np.asarray(np.clip(self.vectors @ query, 0.0, None), dtype=np.float32)

    def sparse(self, text: str) -> Matrix:
        """BM25 of every chunk divided by the question's ceiling (the sum of its terms' IDF)."""
        tokens = [t for t in _tokens(text) if t in self.bm25.vocab_dict]
        if not tokens:
            return np.zeros(len(self.nodes), dtype=np.float32)
        ceiling = float(self.idf[[self.bm25.vocab_dict[t] for t in tokens]].sum())
        return np.asarray(self.bm25.get_scores(tokens) / ceiling, dtype=np.float32)

    def with_context(self, scores: Matrix, settings: RetrievalSettings) -> Matrix:
        """Each chunk's score blended with the mean score of its document's chunks (a whole abstract's evidence)."""
        w = settings.document_weight
        if not w:
            return scores
        counts = np.bincount(self.doc_of, minlength=len(self.doc_names))
        means = np.bincount(self.doc_of, weights=scores, minlength=len(self.doc_names)) / np.maximum(counts, 1)
        return np.asarray((1 - w) * scores + w * means[self.doc_of], dtype=np.float32)

    def top_documents(self, scores: Matrix, k: int) -> list[int]:
        """The best chunk of each of the `k` best documents (a document scores as its best chunk), best first."""
        order = np.argsort(-scores, kind="stable")
        seen = np.zeros(len(self.doc_names), dtype=bool)
        picked: list[int] = []
        for i in order:
            d = self.doc_of[i]
            if not seen[d]:
                seen[d] = True
                picked.append(int(i))
                if len(picked) >= k:
                    break
        return picked


class HybridRetriever:
    """Finds passages of committed documents; re-reads the index when the catalog changes."""

    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._version: str | None = None
        self._corpus: _Corpus | None = None
        self._records: dict[str, DocumentRecord] = {}
        self._reranker: CrossEncoder | None = None
        self.aliases = AliasMap()

    def refresh(self) -> None:
        """Re-read the catalog and the chunks when another writer (or this process) changed them."""
        version = self.store.generation()
        if version == self._version:
            return
        self._records = {r.doc_id: r for r in self.store.records()}
        nodes, vectors = _read_chunks(self.store, set(self._records))
        self._corpus = _Corpus(nodes, vectors, self.settings) if nodes else None
        self.aliases = AliasMap(_learned_aliases(self.store, nodes))
        self._version = version

    def expand(self, question: str) -> str:
        """The question with the aliases the corpus defines for names in it."""
        self.refresh()
        return self.aliases.expand(question)

    def retrieve(self, question: str, top_k: int | None = None, pipeline: Pipeline = DEFAULT) -> list[Passage]:
        """The best passages for a question, best first (several may come from one document)."""
        k = top_k or self.settings.top_k
        scores = self.scores(question, pipeline)
        if self._corpus is None or scores is None:
            return []
        order = [int(i) for i in np.argsort(-scores, kind="stable")[: max(k, self._rerank_depth(pipeline))]]
        order, final = self._rerank(question, order, scores, pipeline)
        return [self._passage(i, final[i], question) for i in order[:k]]

    def rank_documents(self, question: str, k: int, pipeline: Pipeline = DEFAULT) -> list[tuple[str, float]]:
        """(doc id, score) of the `k` best documents; a document scores as its best passage (benchmarks)."""
        scores = self.scores(question, pipeline)
        if self._corpus is None or scores is None:
            return []
        corpus = self._corpus
        picked = corpus.top_documents(scores, max(k, self._rerank_depth(pipeline)))
        picked, final = self._rerank(question, picked, scores, pipeline)
        return [(corpus.doc_names[corpus.doc_of[i]], float(final[i])) for i in picked[:k]]

    # --- scoring -----------------------------------------------------------------------------
    def scores(self, question: str, pipeline: Pipeline = DEFAULT) -> Matrix | None:
        """The fused score of every chunk (None for an empty index)."""
        self.refresh()
        query = self.aliases.expand(question) if pipeline.aliases else question
        corpus = self._corpus
        if corpus is None:
            return None
        # Aliases go to BM25 only: appended to the question they blur its embedding (measured on SciFact).
        vector = self.embedder.embed_cached([question])[0] if pipeline.dense else None
        sparse = corpus.sparse(question) if pipeline.sparse else None
        if sparse is not None and query != question:
            # A passage scores by whichever form matches it better: the expansion never waters down a passage
            # that matches the question as asked (adding the alias terms to one query did, on SciFact).
            sparse = np.maximum(sparse, corpus.sparse(query))
        fused = self._fuse(corpus, vector, sparse, pipeline)
        if pipeline.feedback and vector is not None and self.settings.feedback_docs > 0:
            vector = self._feedback(corpus, vector, fused)
            fused = self._fuse(corpus, vector, sparse, pipeline)
        return fused

    def _fuse(self, corpus: _Corpus, vector: Matrix | None, sparse: Matrix | None, pipeline: Pipeline) -> Matrix:
        if vector is None:
            assert sparse is not None
            return sparse  # one retriever alone is the plain baseline: no document blend
        dense = corpus.dense(vector)
        if sparse is None:
            return dense
        if pipeline.rrf:
            return _reciprocal_rank(dense, sparse)
        w = self.settings.dense_weight
        return corpus.with_context(np.asarray(w * dense + (1 - w) * sparse, dtype=np.float32), self.settings)

    def _feedback(self, corpus: _Corpus, vector: Matrix, fused: Matrix) -> Matrix:
        """Rocchio on the dense side: move the question towards the best chunks of the top documents."""
        top = corpus.top_documents(fused, self.settings.feedback_docs)
        moved = vector + self.settings.feedback_weight * corpus.vectors[top].mean(axis=0)
        return np.asarray(moved / np.linalg.norm(moved), dtype=np.float32)

    # --- reranking -----------------------------------------------------------------------------
    def _rerank_depth(self, pipeline: Pipeline) -> int:
        return self.settings.candidates if pipeline.rerank and self.settings.reranker else 0

    def _rerank(self, question: str, order: list[int], scores: Matrix, pipeline: Pipeline) -> tuple[list[int], Matrix]:
        """Cross-encoder over the first `candidates` chunks, blended with the fused score."""
        depth = self._rerank_depth(pipeline)
        if not depth or self._corpus is None:
            return order, scores
        head, tail = order[:depth], order[depth:]
        pairs = [(question, _passage_text(self._corpus.nodes[i])) for i in head]
        probs = np.asarray(self.reranker.predict(pairs, show_progress_bar=False), dtype=np.float32).reshape(-1)
        final = scores.copy()
        w = self.settings.rerank_weight
        final[head] = w * probs + (1 - w) * scores[head]
        head = sorted(head, key=lambda i: -float(final[i]))
        # Chunks below the reranked head keep their order and stay below it.
        floor = float(final[head].min()) if head else 0.0
        final[tail] = np.minimum(final[tail], floor)
        return head + tail, final

    @property
    def reranker(self) -> CrossEncoder:
        if self._reranker is None:
            self._reranker = load_reranker(self.settings.reranker, self.embedder.settings.device)
        return self._reranker

    # --- passages ------------------------------------------------------------------------------
    def _passage(self, i: int, score: float, question: str) -> Passage:
        assert self._corpus is not None
        node = self._corpus.nodes[i]
        chunk = node_to_chunk(node)
        asked = self.embedder.embed_cached([question])[0]
        similarity = float(self._corpus.vectors[i] @ asked)
        return Passage(chunk, self._records[chunk.doc_id], min(max(float(score), 0.0), 1.0), similarity)


def _reciprocal_rank(*scores: Matrix) -> Matrix:
    """Sum of 1 / (60 + rank) over the rankings, over its maximum (first in all), as QueryFusionRetriever fuses."""
    fused = np.zeros_like(scores[0])
    for s in scores:
        ranks = np.empty(len(s), dtype=np.float32)
        ranks[np.argsort(-s, kind="stable")] = np.arange(len(s), dtype=np.float32)
        fused += 1.0 / (RRF_K + 1.0 + ranks)
    return np.asarray(fused / (len(scores) / (RRF_K + 1.0)), dtype=np.float32)


def load_reranker(name: str, device: str) -> CrossEncoder:
    """A sentence-transformers CrossEncoder from a local path or an already cached hub name (never downloaded)."""
    from sentence_transformers import CrossEncoder

    from assistant.embeddings import resolve_model_path
    from assistant.errors import AssistantError

    try:
        model: CrossEncoder = CrossEncoder(resolve_model_path(name), device=device, local_files_only=True)
        return model
    except (OSError, ValueError) as exc:
        raise AssistantError(
            f"cannot load reranker {name!r} from local files ({exc.__class__.__name__}); "
            "give a local path in ASSISTANT_RETRIEVAL__RERANKER or leave it empty"
        ) from exc


def _passage_text(node: BaseNode) -> str:
    title = str(node.metadata.get("title") or "")
    return f"{title}\n{node.get_content()}" if title else node.get_content()


def _read_chunks(store: Store, ready: set[str]) -> tuple[list[BaseNode], Matrix]:
    """Every chunk of committed documents with its stored vector, read back from Chroma."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    nodes: list[BaseNode] = []
    vectors: list[Any] = []
    offset = 0
    while True:
        got = store.chunks.get(include=["metadatas", "documents", "embeddings"], limit=_PAGE, offset=offset)
        rows = zip(got["metadatas"] or [], got["documents"] or [], got["embeddings"], strict=True)  # type: ignore[arg-type]
        for meta, text, vector in rows:
            if meta.get("doc_id") in ready:
                nodes.append(metadata_dict_to_node(dict(meta), text=text))
                vectors.append(vector)
        if len(got["ids"]) < _PAGE:
            break
        offset += _PAGE
    return nodes, np.asarray(vectors, dtype=np.float32).reshape(len(nodes), -1)


def _learned_aliases(store: Store, nodes: list[BaseNode]) -> list[tuple[str, str]]:
    """Aliases stored with the documents; documents indexed before that have theirs read from their chunks."""
    pairs, stale = store.learned_aliases()
    texts: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        if node.metadata.get("doc_id") in stale:
            texts[str(node.metadata["doc_id"])].append(node.get_content())
    return pairs + [pair for chunks in texts.values() for text in chunks for pair in find_aliases(text)]


def _tokens(text: str) -> list[str]:
    import bm25s

    return list(bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)[0])


def _stemmer() -> Any:
    import Stemmer

    global _STEMMER
    if _STEMMER is None:
        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


_STEMMER: Any = None


def _bm25(texts: list[str], settings: RetrievalSettings) -> bm25s.BM25:
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
    index = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    index.index(tokens, show_progress=False)
    return index
