"""One generation of the index held in memory: the committed documents, their chunks and vectors, BM25 over them
and the aliases they define.

A question reads one `Snapshot` from start to end, so a document added or removed meanwhile never mixes two
generations in one answer (a row of one read against the chunks of another was an `IndexError` under load).
Snapshots are never changed once built; the retriever swaps in a new one when the catalog's generation moves.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.models import DocumentRecord, Span
from assistant.retrieval.sparse import SparseIndex
from assistant.settings import RetrievalSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, Matrix
from assistant.text.aliases import AliasMap, find_aliases
from assistant.text.lexicons import load_lexicons

if TYPE_CHECKING:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.schema import BaseNode

log = logging.getLogger(__name__)

Rows = Any  # np.ndarray of chunk row numbers
_READS = 3  # reads of the chunks before a snapshot with a document short of chunks is taken as it is


class Corpus:
    """The committed chunks of one index generation: texts, vectors, both retrievers, document membership."""

    def __init__(
        self, store: Store, embedder: Embedder, nodes: list[BaseNode], vectors: Matrix, settings: RetrievalSettings
    ) -> None:
        self.nodes = nodes
        self.vectors = vectors
        doc_ids = [str(n.metadata["doc_id"]) for n in nodes]
        self.doc_names = sorted(set(doc_ids))
        self._doc_index = index = {d: i for i, d in enumerate(self.doc_names)}
        self.doc_of = np.array([index[d] for d in doc_ids], dtype=np.int64)
        # The rows of document d are by_doc[starts[d]:starts[d + 1]].
        self.by_doc = np.argsort(self.doc_of, kind="stable")
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(self.doc_of, minlength=len(self.doc_names)))])
        self.sparse = SparseIndex(nodes, settings)
        self._index = _chroma_index(store, embedder)
        # One LlamaIndex retriever per depth: setting `similarity_top_k` on a shared one races between questions.
        self._dense: dict[int, BaseRetriever] = {}

    def dense_search(self, question: str, vector: Matrix, depth: int) -> list[int]:
        """Rows of Chroma's `depth` nearest chunks (through LlamaIndex); chunks of documents outside this
        snapshot (committed since, or not yet) are left out."""
        from chromadb.errors import ChromaError
        from llama_index.core.schema import QueryBundle

        depth = min(depth, len(self.nodes))
        retriever = self._dense.get(depth)
        if retriever is None:
            retriever = self._dense.setdefault(depth, self._index.as_retriever(similarity_top_k=depth))
        try:
            hits = retriever.retrieve(QueryBundle(query_str=question, embedding=[float(x) for x in vector]))
        except ChromaError as exc:  # Chroma's HNSW changing under a concurrent write; this snapshot has every vector
            log.warning("Chroma query failed (%s); searching the snapshot's vectors", exc)
            return [int(r) for r in np.argsort(-(self.vectors @ vector), kind="stable")[:depth]]
        rows = (self.sparse.row_of.get(hit.node.node_id) for hit in hits)
        return [row for row in rows if row is not None]

    def whole_documents(self, hits: list[int]) -> Rows:
        """Every row of every document that holds one of the hits (so each document is scored whole)."""
        if not hits:
            return np.zeros(0, dtype=np.int64)
        docs = np.unique(self.doc_of[np.asarray(hits, dtype=np.int64)])
        return np.concatenate([self.by_doc[self.starts[d] : self.starts[d + 1]] for d in docs])

    def document_chunks(self, doc_id: str) -> list[str]:
        """The texts of a document's chunks, in no particular order (none for a document outside this snapshot)."""
        d = self._doc_index.get(doc_id)
        if d is None:
            return []
        return [self.nodes[int(r)].get_content() for r in self.by_doc[self.starts[d] : self.starts[d + 1]]]

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


@dataclass(frozen=True)
class Snapshot:
    """What one question reads: the documents of one catalog generation (`version`) and their chunks."""

    version: str | None  # the catalog generation read before the snapshot was; None: nothing read yet
    corpus: Corpus | None  # None: no committed chunk
    records: Mapping[str, DocumentRecord]  # holds the document of every chunk in `corpus`
    aliases: AliasMap
    # Sentence vectors read from the store for recently asked-about documents; a cache, not part of the index.
    sentences: dict[str, dict[Span, Matrix]] = field(default_factory=dict)
    # Each recently asked-about document's sentences (`HybridRetriever.document_sentences`); a cache too.
    documents: dict[str, tuple[str, ...]] = field(default_factory=dict)


EMPTY = Snapshot(None, None, {}, AliasMap())


def build_snapshot(store: Store, embedder: Embedder, settings: RetrievalSettings, version: str) -> Snapshot:
    """Read the committed documents and their chunks, again (a few times at most) when a write running meanwhile
    spoilt the read: Chroma refuses a read that meets the vector of a chunk being deleted ("Error finding id"),
    and readers page through Chroma, so a delete can shift the pages and hide another document's chunks (a
    document short of chunks)."""
    from chromadb.errors import ChromaError

    for attempt in range(1, _READS + 1):
        try:
            records = {r.doc_id: r for r in store.records()}
            # BM25 is built from the chunks read back from Chroma, so after a restart it sees exactly what is stored.
            nodes, vectors = _read_chunks(store, set(records))
        except ChromaError as exc:
            if attempt == _READS:
                raise
            log.info("read %d of the index failed (%s); reading again", attempt, exc)
            time.sleep(0.05 * attempt)
            continue
        short = _short_documents(records, nodes)
        if not short or attempt == _READS:
            break
        log.info("read %d: %d documents short of chunks (a concurrent write); reading again", attempt, len(short))
    corpus = Corpus(store, embedder, nodes, vectors, settings) if nodes else None
    aliases = AliasMap(_learned_aliases(store, nodes), load_lexicons(settings.lexicons))
    return Snapshot(version, corpus, records, aliases)


def _short_documents(records: Mapping[str, DocumentRecord], nodes: list[BaseNode]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for node in nodes:
        counts[str(node.metadata["doc_id"])] += 1
    return [doc_id for doc_id, r in records.items() if counts[doc_id] < r.n_chunks]


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


def _chroma_index(store: Store, embedder: Embedder) -> VectorStoreIndex:
    """LlamaIndex's index over the Chroma collection; its retrievers are always given the question's embedding."""
    from llama_index.core import VectorStoreIndex

    return VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=llama_embedding(embedder))


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
