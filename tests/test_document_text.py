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


def test_a_markdown_table_row_is_read_beside_its_headers(tmp_path: Path) -> None:
    path = tmp_path / "trial.md"
    path.write_text(
        "# Ruxolitinib in steroid-refractory GVHD\n\nOutcomes at day 28 are shown below.\n\n"
        "| Outcome (day 28) | Ruxolitinib (n=154) | Control (n=155) |\n|:---|---:|---|\n"
        "| Overall response | 62% | 39% |\n| Grade 3 **anaemia** | 30% | 28% |\n\nThe trial ended in 2019.\n",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    lines = document.text.split("\n")
    assert "Outcome (day 28): Overall response; Ruxolitinib (n=154): 62%; Control (n=155): 39%." in lines
    assert "Outcome (day 28): Grade 3 anaemia; Ruxolitinib (n=154): 30%; Control (n=155): 28%." in lines
    assert "|" not in document.text and "---" not in document.text  # no header row or delimiter alone
    assert "The trial ended in 2019." in lines


def test_an_html_table_row_is_read_beside_its_headers(tmp_path: Path) -> None:
    path = tmp_path / "trial.html"
    path.write_text(
        "<html><body><h1>Ruxolitinib in GVHD</h1><p>Outcomes at day 28 are shown below.</p><table>"
        "<thead><tr><th>Outcome</th><th>Ruxolitinib</th><th>Control</th></tr></thead><tbody>"
        "<tr><td>Overall response</td><td>62%</td><td>39%</td></tr>"
        "<tr><td>Neutrophils <b>(/L)</b></td><td><p>4.2 × 10<sup>9</sup></p></td><td></td></tr>"
        "</tbody></table><p>The trial ended in 2019.</p></body></html>",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    lines = [line for line in document.text.split("\n") if line]
    assert "Outcome: Overall response; Ruxolitinib: 62%; Control: 39%." in lines
    assert "Outcome: Neutrophils (/L); Ruxolitinib: 4.2 × 10^9." in lines  # an empty cell says nothing
    assert not any(line.startswith("Outcome Ruxolitinib") for line in lines)  # no header row alone
