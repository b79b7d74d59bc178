"""What indexing puts through the model: each chunk, for retrieval, and each sentence, for the answer step.

The answer step compares the question with the sentences of the retrieved passages, and checks each
answer sentence against the passage it cites. Encoding those sentences per question cost about 10 ms
each on a 2-core CPU (some 250 ms an answer), so indexing encodes every sentence of a document once
and stores its vector with the document (`SentenceVectors`). A sentence is encoded with the aliases its
own document defines added, as the answer step reads it ("Treg" with "regulatory T cells"); a sentence
shared by two overlapping chunks is encoded once.

This doubles what indexing encodes. Chunk vectors pooled from the sentence passes instead (one pass,
no extra cost) kept SciFact's retrieval but blurred the chunks of one document together: the seed
questions then found the wrong chunk of the right paper (see docs/evaluation.md, Scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from assistant.models import Chunk, Document, Span
from assistant.store.embeddings import Embedder, Matrix, SentenceVectors
from assistant.text.aliases import AliasMap, find_aliases


@dataclass(frozen=True)
class DocumentVectors:
    """What indexing stores for one document: a vector per chunk (in order) and its sentence vectors."""

    chunks: Matrix
    sentences: SentenceVectors


@dataclass(frozen=True)
class ToEncode:
    """One document on its way to the model: its chunks and the text embedded for each (title included)."""

    doc: Document
    chunks: Sequence[Chunk]
    chunk_texts: Sequence[str]

    @cached_property
    def sentence_spans(self) -> tuple[Span, ...]:
        """Each sentence of the document's chunks once (overlapping chunks share some), in text order."""
        return tuple(sorted({span for chunk in self.chunks for span in chunk.sentences}))

    @cached_property
    def texts(self) -> list[str]:
        """The chunk texts, then the sentences with the aliases the document defines."""
        expand = AliasMap(find_aliases(self.doc.text)).expand
        return [*self.chunk_texts, *(expand(self.doc.text[s:e]) for s, e in self.sentence_spans)]


def texts_to_encode(docs: Sequence[ToEncode]) -> list[str]:
    """Every text `encode_documents` puts through the model for these documents (benchmark baselines)."""
    return [text for d in docs for text in d.texts]


def encode_documents(embedder: Embedder, docs: Sequence[ToEncode]) -> list[DocumentVectors]:
    """Chunk and sentence vectors of several documents, from one batched encoding call."""
    vectors = embedder.embed(texts_to_encode(docs))
    out: list[DocumentVectors] = []
    at = 0
    for d in docs:
        split, end = at + len(d.chunk_texts), at + len(d.texts)
        out.append(DocumentVectors(vectors[at:split], SentenceVectors(d.sentence_spans, vectors[split:end])))
        at = end
    return out
