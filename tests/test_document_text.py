"""What a user's own document keeps and loses in cleaning: its reference list is not its findings, and an exponent
is not part of its base. Real files through the real loaders, and a real index for the answer they lead to."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.ingest.documents import load_documents

BODY = (
    "Tofacitinib inhibited oncostatin M-induced STAT3 phosphorylation in synovial fibroblasts. "
    "Neutrophil counts stayed above 4.2 {exp}/L in every patient."
)
REFERENCE = (
    "Smith AB, Jones CD. Tofacitinib increases the risk of cytomegalovirus reactivation by suppressing NK cells."
)
PAGES = {
    "paper.md": "# Tofacitinib and synovial fibroblasts\n\n{body}\n\n## References\n\n1. {ref}\n",
    "paper.txt": "Tofacitinib and synovial fibroblasts\n\n{body}\n\nREFERENCES\n\n1. {ref}\n",
    "paper.html": "<html><body><h1>Tofacitinib and synovial fibroblasts</h1><p>{body}</p>"
    "<h2>References</h2><ol><li>{ref}</li></ol></body></html>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_reference_list_is_not_indexed_and_an_exponent_keeps_its_caret(tmp_path: Path, name: str) -> None:
    exponent = "× 10<sup>9</sup>" if name.endswith(".html") else "× 10⁹"
    path = tmp_path / name
    path.write_text(PAGES[name].format(body=BODY.format(exp=exponent), ref=REFERENCE), encoding="utf-8")
    (document,) = load_documents(path)
    assert "oncostatin M-induced STAT3" in document.text and "cytomegalovirus" not in document.text
    assert "4.2 × 10^9/L" in document.text  # NFKC alone makes it "4.2 × 109/L"


def test_a_document_that_is_only_a_reference_list_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text(f"Reading list\n\nReferences\n\n1. {REFERENCE}\n", encoding="utf-8")
    (document,) = load_documents(path)
    assert "cytomegalovirus" in document.text


def test_a_cited_papers_title_is_not_answered_as_the_documents_finding(fresh: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text(PAGES["paper.md"].format(body=BODY.format(exp="× 10⁹"), ref=REFERENCE), encoding="utf-8")
    fresh.index([path])
    answer = fresh.ask("does tofacitinib increase the risk of cytomegalovirus reactivation")
    assert "cytomegalovirus" not in answer.text.lower() or answer.refused
    check = fresh.check("Tofacitinib increases the risk of cytomegalovirus reactivation by suppressing NK cells.")
    assert all(s.verdict != "supported" for s in check.sentences)
