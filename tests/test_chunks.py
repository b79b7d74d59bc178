from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.answer.claims import citation_of
from assistant.ingest.chunking import chunk_document, count_tokens
from assistant.ingest.documents.loading import load_document
from assistant.models import Document, DocumentRecord, Passage
from assistant.settings import ChunkingSettings
from assistant.store.nodes import make_node, node_to_chunk
from assistant.text.sentences import split_sentences

FIXTURES = Path(__file__).parent / "fixtures"


def test_sentences_respect_abbreviations_initials_and_decimals() -> None:
    text = 'Prof. Maria Sibilia et al. showed it. Dr. B. Drobits said "We saw it." Then 2.5 mg was used.\nA heading'
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == [
        "Prof. Maria Sibilia et al. showed it.",
        'Dr. B. Drobits said "We saw it."',
        "Then 2.5 mg was used.",
        "A heading",
    ]


def test_a_unit_after_a_number_ends_a_sentence_and_a_caption_keeps_its_label() -> None:
    text = (
        "IL-6 rose by 71% after 24 h. The drug inhibited STAT3 as shown in Figure 2. Mice lived longer.\n"
        "Figure 1. Proposed model: ruxolitinib blocks STAT1 signalling.\nSupplementary Fig. S3B. Dose response.\n"
        "In 2019 J. Smith reported it. Imaging was done at 3 T. Lesions shrank."
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "IL-6 rose by 71% after 24 h.",
        "The drug inhibited STAT3 as shown in Figure 2.",
        "Mice lived longer.",
        "Figure 1. Proposed model: ruxolitinib blocks STAT1 signalling.",
        "Supplementary Fig. S3B. Dose response.",
        "In 2019 J. Smith reported it.",
        "Imaging was done at 3 T.",
        "Lesions shrank.",
    ]


def _doc(n_sentences: int) -> Document:
    text = " ".join(
        f"Sentence number {i} says that imatinib changes regulatory T cells in mice." for i in range(n_sentences)
    )
    return Document("d" * 16, "x.txt", text)


@pytest.mark.parametrize(("size", "overlap"), [(64, 16), (160, 32), (100, 0)])
def test_chunks_are_token_bounded_whole_sentences_with_overlap(size: int, overlap: int) -> None:
    doc = _doc(60)
    settings = ChunkingSettings(chunk_tokens=size, overlap_tokens=overlap)
    chunks = chunk_document(doc, settings)
    assert len(chunks) > 3
    sentence_starts = {s for s, _ in split_sentences(doc.text)}
    for prev, chunk in itertools.pairwise(chunks):
        repeated = doc.text[chunk.start : prev.end] if chunk.start < prev.end else ""
        assert count_tokens(repeated) <= overlap
        assert (chunk.start < prev.end) == (overlap > 0)
    for chunk in chunks:
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.n_tokens <= size
        assert chunk.start in sentence_starts
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        assert chunk.doc_id == doc.doc_id
    assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)


def test_a_sentence_longer_than_a_chunk_is_cut_into_word_runs() -> None:
    doc = Document("e" * 16, "long.txt", " ".join(["word"] * 600) + ".")
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=64, overlap_tokens=0))
    assert len(chunks) >= 9
    assert all(c.n_tokens <= 64 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == doc.text.replace(" ", "")


def test_a_chunk_across_a_page_break_cites_the_page_of_each_sentence() -> None:
    """A chunk starting on page 1 of a PDF may hold page 2's first sentences: a citation of one of those named
    page 1 (an outside tester's finding). The chunk keeps the page breaks inside it, through the store too."""
    doc = load_document(FIXTURES / "article.pdf")  # pages start at 0, 684 and 1043
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=400, overlap_tokens=0))
    spanning = next(c for c in chunks if c.page_breaks)
    assert spanning.page == 1 and spanning.page_breaks == tuple(p for p in doc.page_starts if 0 < p < spanning.end)
    for start, _ in spanning.sentences:
        assert spanning.page_of(start) == doc.page_at(start)
    assert node_to_chunk(make_node(doc, spanning)) == spanning
    later = spanning.sentences[-1]
    support = (later,)
    cited = citation_of(1, Passage(spanning, _record(doc), 0.5, 0.5), support)
    assert cited.page == doc.page_at(later[0]) > 1


def _record(doc: Document) -> DocumentRecord:
    return DocumentRecord(doc.doc_id, doc.source, doc.metadata, 1, "2026-12-07T00:00:00+00:00")
