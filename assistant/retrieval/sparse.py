"""BM25 over the stored chunks: LlamaIndex's `BM25Retriever` finds the best chunks; bm25s (its engine) also
scores any chunk, so the other retriever's hits can be fused with their BM25 score.

A score is the chunk's BM25 divided by the most any chunk could score for the question (the sum of the query
terms' IDF, the limit of BM25's saturating term weight): in [0, 1], and not relative to the best hit.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.settings import RetrievalSettings
from assistant.store.embeddings import Matrix

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode
    from llama_index.retrievers.bm25 import BM25Retriever


class SparseIndex:
    """BM25 of the chunks of one index generation, rows numbered as `nodes`."""

    def __init__(self, nodes: list[BaseNode], settings: RetrievalSettings) -> None:
        import bm25s
        from llama_index.core.schema import MetadataMode, TextNode
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        # The title joins each chunk's text here as it does in the embedded text.
        texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
        # Built here rather than by BM25Retriever.from_defaults, which fixes k1 and b at bm25s' defaults.
        # The retriever's corpus holds only each chunk's id: its hits are turned back into nodes one by one, and
        # whole nodes (text, metadata) made that half of a question's retrieval time and a copy of every text.
        corpus = [node_to_metadata_dict(TextNode(id_=n.node_id, text=""), flat_metadata=False) for n in nodes]
        self.bm25 = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b, corpus=corpus)
        self.bm25.index(tokens, show_progress=False)
        self.size = len(nodes)
        self.row_of = {n.node_id: i for i, n in enumerate(nodes)}
        df = np.diff(self.bm25.scores["indptr"])  # chunks holding each token
        self.idf = np.log(1 + (len(nodes) - df + 0.5) / (df + 0.5))
        # `search` keeps one retriever per depth: questions run in parallel and `similarity_top_k` is a
        # retriever's state. This one is for callers that set their own.
        self._by_depth: dict[int, BM25Retriever] = {}
        self.retriever = self._retriever(2)

    def search(self, text: str, depth: int) -> list[int]:
        """Rows of the `depth` best chunks by BM25, best first (through LlamaIndex's retriever)."""
        if not self._known(text):
            return []
        depth = min(depth, self.size)
        retriever = self._by_depth.get(depth)
        if retriever is None:
            retriever = self._by_depth.setdefault(depth, self._retriever(depth))
        return [self.row_of[hit.node.node_id] for hit in retriever.retrieve(text) if (hit.score or 0.0) > 0]

    def scores(self, text: str) -> Matrix:
        """Every chunk's BM25, divided by the question's ceiling."""
        known = self._known(text)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        ceiling = float(self.idf[[self.bm25.vocab_dict[t] for t in known]].sum())
        return np.asarray(self.bm25.get_scores(known) / ceiling, dtype=np.float32)

    def _retriever(self, depth: int) -> BM25Retriever:
        from llama_index.retrievers.bm25 import BM25Retriever

        stemmer: Any = _stemmer()
        return BM25Retriever(existing_bm25=self.bm25, stemmer=stemmer, similarity_top_k=min(depth, self.size))

    def _known(self, text: str) -> list[str]:
        return [t for t in tokens(text) if t in self.bm25.vocab_dict]


def tokens(text: str) -> list[str]:
    """The question's BM25 terms: stop words out, Snowball-stemmed, as the chunks were."""
    import bm25s

    return list(bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)[0])


class _Stemmer:
    """The English Snowball stemmer, one PyStemmer instance per thread: an instance "must not be called
    concurrently" (its docs), and questions are answered on many threads. bm25s calls `stemWords`/`stemWord`."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _own(self) -> Any:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            import Stemmer

            stemmer = self._local.stemmer = Stemmer.Stemmer("english")
        return stemmer

    def stemWord(self, word: str) -> str:  # PyStemmer's name, which bm25s looks for
        return str(self._own().stemWord(word))

    def stemWords(self, words: list[str]) -> list[str]:
        return list(self._own().stemWords(words))


_STEMMER = _Stemmer()


def _stemmer() -> _Stemmer:
    return _STEMMER
