"""Chunk and sentence vectors encoded at indexing (assistant.ingest.encoding): stored, then used by the answer step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import MetadataMode

from assistant.answer.verification import CitationVerifier, passage_sentences
from assistant.api import Assistant
from assistant.ingest.chunking import chunk_document
from assistant.ingest.documents import load_documents, with_citation_line
from assistant.ingest.encoding import encode_documents, texts_to_encode
from assistant.ingest.indexing import embed_documents, to_encode
from assistant.models import Document
from assistant.settings import load_settings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, SentenceVectors
from assistant.store.nodes import make_node
from assistant.text.aliases import AliasMap, find_aliases
from tests.conftest import IMATINIB, SEEDS, make_settings


@pytest.fixture(scope="module")
def imatinib() -> Document:
    return with_citation_line(load_documents(SEEDS / IMATINIB)[0])


def test_sentence_vectors_are_the_sentences_with_their_documents_aliases(
    embedder: Embedder, imatinib: Document
) -> None:
    chunks = chunk_document(imatinib, load_settings().chunking)
    item = to_encode(imatinib, chunks, [make_node(imatinib, c) for c in chunks])
    before = embedder.encoded
    [vectors] = encode_documents(embedder, [item])
    spans = sorted({span for chunk in chunks for span in chunk.sentences})
    assert sum(len(c.sentences) for c in chunks) > len(spans)  # overlapping chunks share sentences...
    # ...which are encoded once each, after the chunks.
    assert embedder.encoded - before == len(chunks) + len(spans) == len(texts_to_encode([item]))
    assert list(vectors.sentences.spans) == spans
    expand = AliasMap(find_aliases(imatinib.text)).expand
    treg = next(s for s in spans if "impaired Treg" in imatinib.text[s[0] : s[1]])
    assert "regulatory T cells" in expand(imatinib.text[treg[0] : treg[1]])  # the alias the document defines
    expected = embedder.embed([expand(imatinib.text[s:e]) for s, e in spans])
    np.testing.assert_allclose(vectors.sentences.vectors, expected, atol=1e-4)


def test_chunk_vectors_are_the_model_s_vectors_of_the_chunk_texts(embedder: Embedder, imatinib: Document) -> None:
    chunks = chunk_document(imatinib, load_settings().chunking)
    nodes = [make_node(imatinib, c) for c in chunks]
    [vectors] = encode_documents(embedder, [to_encode(imatinib, chunks, nodes)])
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    assert all(text.startswith(f"title: {imatinib.title}") for text in texts)  # retrieval sees the title
    np.testing.assert_allclose(vectors.chunks, embedder.embed(texts), atol=1e-5)


def _write(store: Store, embedder: Embedder, doc: Document) -> SentenceVectors:
    """Index one document the way the indexer does; returns the sentence vectors written."""
    chunks = chunk_document(doc, store.settings.chunking)
    nodes = [make_node(doc, c) for c in chunks]
    sentences = embed_documents(embedder, [(doc, chunks, nodes)])[doc.doc_id]
    store.write(doc, "", nodes, sentences)
    return sentences


def test_store_keeps_sentence_vectors_with_the_document(tmp_path: Path, embedder: Embedder, imatinib: Document) -> None:
    store = Store(make_settings(tmp_path / "index"))
    written = _write(store, embedder, imatinib)
    got = store.sentence_vectors([imatinib.doc_id, "no-such-document"])
    assert list(got) == [imatinib.doc_id]
    assert got[imatinib.doc_id].spans == written.spans
    np.testing.assert_allclose(got[imatinib.doc_id].vectors, written.vectors, atol=2e-3)  # float16
    store.delete(imatinib.doc_id)
    assert store.sentence_vectors([imatinib.doc_id]) == {}


def test_an_interrupted_write_leaves_no_sentence_vectors(
    tmp_path: Path, embedder: Embedder, imatinib: Document
) -> None:
    store = Store(make_settings(tmp_path / "index"))
    _write(store, embedder, imatinib)
    # As if killed after the vectors were written but before the catalog said `ready`.
    meta = store.catalog.get(ids=[imatinib.doc_id], include=["metadatas"])["metadatas"][0]  # type: ignore[index]
    store.catalog.upsert(ids=[imatinib.doc_id], embeddings=[[1.0]], metadatas=[dict(meta) | {"status": "pending"}])
    assert store.recover() == [imatinib.doc_id]
    assert store.sentence_vectors([imatinib.doc_id]) == {}
    assert store.chunks.count() == 0


def test_the_answer_step_encodes_no_passage_sentence(seeded: Assistant) -> None:
    question = "What does imatinib do to the immunosuppressive function of regulatory T cells?"
    seeded.embedder.forget()
    seeded.retriever.forget()
    before = seeded.embedder.encoded
    answer = seeded.ask(question)
    assert not answer.refused and "immunosuppressive function" in answer.text
    assert seeded.embedder.encoded - before == 1  # the question only
    assert all(s.supported for s in answer.sentences)


def test_passages_carry_their_stored_sentence_vectors(seeded: Assistant) -> None:
    passages = seeded.retriever.retrieve("How does imiquimod activate dendritic cells?")
    for passage in passages:
        spans = [span for span, _ in passage_sentences(passage)]
        assert spans and all(span in passage.sentence_vectors for span in spans)


def test_a_quoted_sentence_is_supported_without_encoding_and_a_paraphrase_is_checked(seeded: Assistant) -> None:
    passage = seeded.retriever.retrieve("imatinib Treg STAT3 STAT5")[0]
    span, quoted = next((s, t) for s, t in passage_sentences(passage) if "STAT3" in t)
    verifier = CitationVerifier(seeded.embedder, seeded.settings.answer.support_threshold)
    before = seeded.embedder.encoded
    result = verifier.support(quoted, passage)
    assert result.supported and result.spans == (span,) and seeded.embedder.encoded == before
    seeded.embedder.forget()
    unrelated = verifier.support("Imatinib reduced STAT3 activation by 85% in 12 patients.", passage)
    assert seeded.embedder.encoded > before  # a sentence not in the passage goes through the model
    assert not unrelated.supported
