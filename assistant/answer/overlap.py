"""The term half of a sentence's score: the IDF-weighted share of the question's terms that the sentence holds.

The statistics are the sentence's own document's: its terms are weighed by how rare they are among all that
document's sentences, and the question and the sentence are read with the aliases that document defines. So a
sentence scores the same whatever else the library holds and whatever retrieval returns beside it: an unrelated
abstract that defines "DCs" or talks of IL-10 changes no score of the imatinib paper's sentences. (IDF over the
retrieved sentences, and the whole corpus's aliases, made answers move when documents were added.)
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.terms import content_terms
from assistant.text.aliases import AliasMap, find_aliases
from assistant.text.lexicons import NameLexicon

Sentences = Callable[[str], Sequence[str]]  # a document's sentences, by doc id (`HybridRetriever.document_sentences`)
_CACHE = 256  # documents whose statistics stay in memory between questions


@dataclass(frozen=True)
class _Document:
    expand: Callable[[str], str]  # the aliases the document defines
    frequency: Counter[str]  # sentences holding each term
    n: int  # sentences

    def weights(self, question: str) -> dict[str, float]:
        terms = content_terms(self.expand(question))
        return {t: math.log(1 + self.n / (1 + self.frequency[t])) for t in terms}


class DocumentOverlap:
    """Term overlap with per-document statistics, remembered per document version."""

    def __init__(self, sentences_of: Sentences, lexicons: Sequence[NameLexicon] = ()) -> None:
        """`lexicons`: general name lexicons read beside each document's aliases (`AliasMap`)."""
        self.sentences_of = sentences_of
        self.lexicons = tuple(lexicons)
        self._documents: dict[tuple[str, str], _Document] = {}
        self._lock = threading.Lock()  # questions are answered on many threads

    def shares(self, question: str, sentences: Sequence[tuple[str, str, str]]) -> list[float]:
        """Per (doc id, document version, sentence): the weighted share of the question's terms it holds. A document
        the snapshot no longer holds (deleted meanwhile) is judged by the given sentences of it alone."""
        return self.shares_many([question], sentences)[0]

    def shares_many(self, questions: Sequence[str], sentences: Sequence[tuple[str, str, str]]) -> list[list[float]]:
        """`shares` for several questions (a question and its parts) over the same sentences, each sentence's terms
        read once."""
        docs = {key: self._document(key, sentences) for key in dict.fromkeys((d, v) for d, v, _ in sentences)}
        held = [content_terms(docs[(d, v)].expand(text)) for d, v, text in sentences]
        out = []
        for question in questions:
            weights = {key: doc.weights(question) for key, doc in docs.items()}
            totals = {key: sum(w.values()) for key, w in weights.items()}
            row = []
            for (d, v, _), terms in zip(sentences, held, strict=True):
                w, total = weights[(d, v)], totals[(d, v)]
                row.append(sum(x for t, x in w.items() if t in terms) / total if total else 0.0)
            out.append(row)
        return out

    def _document(self, key: tuple[str, str], given: Sequence[tuple[str, str, str]]) -> _Document:
        with self._lock:
            found = self._documents.get(key)
        if found is not None:
            return found
        sentences = list(self.sentences_of(key[0]))
        doc = _statistics(sentences or [t for d, v, t in given if (d, v) == key], self.lexicons)
        if sentences:
            with self._lock:
                if len(self._documents) >= _CACHE:
                    self._documents.clear()
                self._documents[key] = doc
        return doc


def _statistics(sentences: Sequence[str], lexicons: Sequence[NameLexicon]) -> _Document:
    expand = AliasMap(find_aliases(" ".join(sentences)), lexicons).expand
    frequency: Counter[str] = Counter()
    for sentence in sentences:
        frequency.update(content_terms(expand(sentence)))
    return _Document(expand, frequency, len(sentences))
