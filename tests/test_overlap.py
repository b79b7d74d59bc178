"""The term half of a sentence's score uses its own document's statistics and aliases (`answer.overlap`), so an
answer does not move when unrelated documents join the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.overlap import DocumentOverlap
from assistant.api import Assistant
from tests.conftest import IMIQUIMOD

# An unrelated abstract that defines "DCs" and talks of dendritic cells and IL-10: indexed beside the seeds it once
# changed the weights of the chat page's example questions (the alias joined the question, IL-10 got commoner).
NEIGHBOUR = (
    "Monocyte-derived dendritic cells (DCs) were generated from 20 healthy donors. "
    "IL-10 production by DCs rose after stimulation with lipopolysaccharide. "
    "DCs exposed to IL-10 expressed less CD86 and activated fewer allogeneic T cells. "
    "IL-10 therefore limits how DCs prime naive T cells in this culture system."
)
EXAMPLES = ("how does imiquimod activate dendritic cells", "does imatinib block IL-10 production?")


def _answers(assistant: Assistant) -> list[tuple[bool, list[str]]]:
    return [(a.refused, [s.text for s in a.sentences]) for a in map(assistant.ask, EXAMPLES)]


def _overlaps(assistant: Assistant, question: str) -> dict[str, float]:
    passages = assistant.retriever.retrieve(question)
    found = assistant.answerer.candidates(question, passages, assistant.retriever.aliases.expand)
    return {c.text: c.overlap for c in found if passages[c.passage].document.source == IMIQUIMOD}


def test_answers_stay_put_when_an_unrelated_document_joins(fresh: Assistant, tmp_path: Path) -> None:
    before = _answers(fresh)
    overlaps = _overlaps(fresh, EXAMPLES[0])
    neighbour = tmp_path / "neighbour.txt"
    neighbour.write_text(NEIGHBOUR, encoding="utf-8")
    fresh.index([neighbour])
    assert "DCs" in fresh.retriever.expand("dendritic cells"), "the neighbour defines the alias"
    after = _overlaps(fresh, EXAMPLES[0])
    shared = overlaps.keys() & after.keys()
    assert shared and all(after[t] == pytest.approx(overlaps[t]) for t in shared)
    assert _answers(fresh) == before


def test_document_sentences_are_the_whole_document_once(seeded: Assistant) -> None:
    doc = next(r for r in seeded.documents() if r.source == IMIQUIMOD)
    sentences = seeded.retriever.document_sentences(doc.doc_id)
    assert len(sentences) == len(set(sentences)) > 5, "each sentence once, though chunks overlap"
    assert any("CCL2" in s for s in sentences) and all(s == " ".join(s.split()) for s in sentences)
    assert seeded.retriever.document_sentences("no-such-document") == ()


def test_rare_terms_of_the_document_weigh_more() -> None:
    doc = ["Imiquimod activates mast cells.", "Mast cells release CCL2.", "Mast cells are common.", "Cells die."]
    overlap = DocumentOverlap(lambda doc_id: doc if doc_id == "d" else ())
    rare, common = overlap.shares(
        "imiquimod mast", [("d", "v1", "Imiquimod was applied."), ("d", "v1", "Mast cells are common.")]
    )
    assert rare > common > 0.0, "imiquimod is in one sentence of four, mast in three"
    gone = overlap.shares("imiquimod mast", [("x", "v1", "Imiquimod was applied."), ("x", "v1", "Mast cells.")])
    assert gone[0] == pytest.approx(gone[1]) and gone[0] > 0.0, "a document outside the snapshot: the given sentences"


def test_statistics_are_kept_per_document_version() -> None:
    versions = {"v1": ["Imiquimod works.", "Imiquimod again.", "Nothing here."], "v2": ["Imiquimod works."]}
    current = ["v1"]
    overlap = DocumentOverlap(lambda doc_id: versions[current[0]])
    first = overlap.shares("imiquimod works", [("d", "v1", "Imiquimod works.")])
    current[0] = "v2"
    assert overlap.shares("imiquimod works", [("d", "v1", "Imiquimod works.")]) == first, "remembered for v1"
    assert overlap.shares("imiquimod works", [("d", "v2", "Imiquimod works.")]) == [pytest.approx(1.0)]
