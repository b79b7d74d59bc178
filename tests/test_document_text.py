"""What a user's own document keeps and loses in cleaning: its reference list is not its findings, and an exponent
is not part of its base. Real files through the real loaders, and a real index for the answer they lead to."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.ingest.documents import load_documents
from assistant.ingest.documents.cleaning import normalize_unicode

BODY = (
    "Tofacitinib inhibited oncostatin M-induced STAT3 phosphorylation in synovial fibroblasts. "
    "Neutrophil counts stayed above 4.2 {exp}/L in every patient."
)
REFERENCE = (
    "Smith AB, Jones CD. Tofacitinib increases the risk of cytomegalovirus reactivation by suppressing NK cells. "
    "Transplantation. 2019;103:455-61."
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
        "<tr><td>Neutrophils <b>(/L)</b></td><td>4.2 × 10<sup><i>9</i></sup></td><td></td></tr>"
        "<tr><td>Dose</td><td>15<br>20 mg/kg</td><td>10 mg/kg</td></tr>"
        "</tbody></table><p>The trial ended in 2019.</p></body></html>",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    lines = [line for line in document.text.split("\n") if line]
    assert "Outcome: Overall response; Ruxolitinib: 62%; Control: 39%." in lines
    assert "Outcome: Neutrophils (/L); Ruxolitinib: 4.2 × 10^9." in lines  # an empty cell says nothing
    assert "Outcome: Dose; Ruxolitinib: 15 20 mg/kg; Control: 10 mg/kg." in lines  # a line break is no 1520
    assert not any(line.startswith("Outcome Ruxolitinib") for line in lines)  # no header row alone


@pytest.mark.parametrize(
    ("table", "kept"),
    [
        # Merged header cells: a label would put 42% under the wrong arm; the cells stay as they read.
        (
            "<table><tr><th rowspan=2>Event</th><th colspan=2>Ruxolitinib</th><th colspan=2>Control</th></tr>"
            "<tr><th>n</th><th>%</th><th>n</th><th>%</th></tr><tr><td>Anaemia</td><td>61</td><td>42%</td>"
            "<td>10</td><td>14%</td></tr></table>",
            "Anaemia 61 42% 10 14%",
        ),
        # A layout table: the article's paragraphs stay paragraphs.
        (
            "<table><tr><td><h2>Results</h2><p>Apixaban lowered bleeding in dialysis patients.</p></td>"
            "<td>Journal home</td></tr></table>",
            "Apixaban lowered bleeding in dialysis patients.",
        ),
        # Never closed: its text is still read.
        ("<table><tr><td>Imatinib reduced Treg frequency by 40%.", "Imatinib reduced Treg frequency by 40%."),
        # No header row: no labels to give.
        ("<table><tr><td>ACR20 response</td><td>59.8%</td></tr></table>", "ACR20 response 59.8%"),
    ],
)
def test_a_table_that_is_not_a_plain_grid_reads_as_written(tmp_path: Path, table: str, kept: str) -> None:
    path = tmp_path / "page.html"
    page = f"<html><body><h1>Trial</h1><p>Results were clear.</p>{table}<p>The trial ended in 2019.</p></body></html>"
    path.write_text(page, encoding="utf-8")
    (document,) = load_documents(path)
    assert kept in " ".join(document.text.split()) and ":" not in document.text.split("Results were clear.")[1]


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("The conditional probability P(A|B) was 0.3 in treated mice.\n---\n", "P(A|B) was 0.3 in treated mice."),
        (
            "| Regimen | Dose |\n|---|---|\n| Vancomycin | 15 mg/kg q12h | hold if CrCl < 20 |\n",
            "Vancomycin; 15 mg/kg q12h; hold if CrCl < 20.",  # wider than its header: unlabelled, nothing lost
        ),
    ],
)
def test_markdown_that_is_not_a_plain_table_loses_nothing(tmp_path: Path, markdown: str, kept: str) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"# Note\n\nResults were clear.\n\n{markdown}\nThe trial ended in 2019.\n", encoding="utf-8")
    (document,) = load_documents(path)
    assert kept in document.text


@pytest.mark.parametrize(
    ("printed", "stored"),
    [
        ("4.2 × 10⁹/L", "4.2 × 10^9/L"),
        ("3 × 10⁻⁶ M", "3 × 10^−6 M"),
        ("in 2019¹² we", "in 2019 12 we"),  # a footnote mark, not 2019 to the 12th; NFKC alone: "201912"
        ("CD4⁺CD25⁺ and Ca²⁺ per m²", "CD4+CD25+ and Ca2+ per m2"),
    ],
)
def test_superscripts_after_a_number_stay_apart_from_it(printed: str, stored: str) -> None:
    assert normalize_unicode(printed) == stored


def test_a_table_row_at_the_end_of_a_page_is_data_not_a_label(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><h1>Trial</h1><p>Results were clear.</p><table><tr><th rowspan=2>Event</th>"
        "<th colspan=2>Ruxolitinib</th></tr><tr><td>Anaemia</td><td>61</td><td>42%</td></tr></table>"
        "<p>Latest Issue</p></body></html>",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    assert "Anaemia 61 42%" in document.text and "Latest Issue" not in document.text


def test_what_follows_a_reference_list_and_a_contents_line_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "review.txt"
    path.write_text(
        "JAK inhibitors in myelofibrosis\n\nContents\n1. Findings\n2. References\n\n"
        "Ruxolitinib reduces spleen volume in myelofibrosis.\n\nReferences\n\n"
        "1. Verstovsek S, et al. Ruxolitinib doubles survival. N Engl J Med. 2012;366:799-807.\n"
        "2. Harrison C, et al. JAK inhibition. N Engl J Med. 2012;366:787-98.\n\n"
        "Appendix A. Dose adjustments\n\nRuxolitinib should be reduced to 5 mg twice daily when platelets fall.\n",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    assert "Ruxolitinib reduces spleen volume" in document.text and "reduced to 5 mg twice daily" in document.text
    assert "doubles survival" not in document.text
    path.write_text(
        "Hydroxychloroquine screening\n\nThis guidance summarises screening.\n\nContents\n1. Risk factors\n"
        "2. References\n\n1. Risk factors\nThe risk rises when the daily dose exceeds 5 mg/kg of body weight.\n",
        encoding="utf-8",
    )
    (document,) = load_documents(path)
    assert "exceeds 5 mg/kg" in document.text  # "2. References" heads the contents, not a list
