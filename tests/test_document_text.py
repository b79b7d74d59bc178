"""What a user's own document keeps and loses in cleaning: its reference list is not its findings, and an exponent
is not part of its base. Real files through the real loaders, and a real index for the answer they lead to."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.claims import check_text
from assistant.answer.questions import check_question
from assistant.api import Assistant
from assistant.errors import InputError
from assistant.ingest.documents import load_documents
from assistant.models import Document
from assistant.text.characters import normalize_unicode

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


def _loaded(folder: Path, name: str, text: str) -> Document:
    """The one document the file `name` holding `text` reads as."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    (document,) = load_documents(path)
    return document


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_reference_list_is_not_indexed_and_an_exponent_keeps_its_caret(tmp_path: Path, name: str) -> None:
    exponent = "× 10<sup>9</sup>" if name.endswith(".html") else "× 10⁹"
    document = _loaded(tmp_path, name, PAGES[name].format(body=BODY.format(exp=exponent), ref=REFERENCE))
    assert "oncostatin M-induced STAT3" in document.text and "cytomegalovirus" not in document.text
    assert "4.2 × 10^9/L" in document.text  # NFKC alone makes it "4.2 × 109/L"


def test_a_document_that_is_only_a_reference_list_keeps_it(tmp_path: Path) -> None:
    document = _loaded(tmp_path, "list.txt", f"Reading list\n\nReferences\n\n1. {REFERENCE}\n")
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
    document = _loaded(
        tmp_path,
        "trial.md",
        "# Ruxolitinib in steroid-refractory GVHD\n\nOutcomes at day 28 are shown below.\n\n"
        "| Outcome (day 28) | Ruxolitinib (n=154) | Control (n=155) |\n|:---|---:|---|\n"
        "| Overall response | 62% | 39% |\n| Grade 3 **anaemia** | 30% | 28% |\n\nThe trial ended in 2019.\n",
    )
    lines = document.text.split("\n")
    assert "Outcome (day 28): Overall response; Ruxolitinib (n=154): 62%; Control (n=155): 39%." in lines
    assert "Outcome (day 28): Grade 3 anaemia; Ruxolitinib (n=154): 30%; Control (n=155): 28%." in lines
    assert "|" not in document.text and "---" not in document.text  # no header row or delimiter alone
    assert "The trial ended in 2019." in lines


def test_an_html_table_row_is_read_beside_its_headers(tmp_path: Path) -> None:
    document = _loaded(
        tmp_path,
        "trial.html",
        "<html><body><h1>Ruxolitinib in GVHD</h1><p>Outcomes at day 28 are shown below.</p><table>"
        "<thead><tr><th>Outcome</th><th>Ruxolitinib</th><th>Control</th></tr></thead><tbody>"
        "<tr><td>Overall response</td><td>62%</td><td>39%</td></tr>"
        "<tr><td>Neutrophils <b>(/L)</b></td><td>4.2 × 10<sup><i>9</i></sup></td><td></td></tr>"
        "<tr><td>Dose</td><td>15<br>20 mg/kg</td><td>10 mg/kg</td></tr>"
        "</tbody></table><p>The trial ended in 2019.</p></body></html>",
    )
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
    page = f"<html><body><h1>Trial</h1><p>Results were clear.</p>{table}<p>The trial ended in 2019.</p></body></html>"
    document = _loaded(tmp_path, "page.html", page)
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
    document = _loaded(tmp_path, "note.md", f"# Note\n\nResults were clear.\n\n{markdown}\nThe trial ended in 2019.\n")
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
    document = _loaded(
        tmp_path,
        "page.html",
        "<html><body><h1>Trial</h1><p>Results were clear.</p><table><tr><th rowspan=2>Event</th>"
        "<th colspan=2>Ruxolitinib</th></tr><tr><td>Anaemia</td><td>61</td><td>42%</td></tr></table>"
        "<p>Latest Issue</p></body></html>",
    )
    assert "Anaemia 61 42%" in document.text and "Latest Issue" not in document.text


def test_what_follows_a_reference_list_and_a_contents_line_is_kept(tmp_path: Path) -> None:
    document = _loaded(
        tmp_path,
        "review.txt",
        "JAK inhibitors in myelofibrosis\n\nContents\n1. Findings\n2. References\n\n"
        "Ruxolitinib reduces spleen volume in myelofibrosis.\n\nReferences\n\n"
        "1. Verstovsek S, et al. Ruxolitinib doubles survival. N Engl J Med. 2012;366:799-807.\n"
        "2. Harrison C, et al. JAK inhibition. N Engl J Med. 2012;366:787-98.\n\n"
        "Appendix A. Dose adjustments\n\nRuxolitinib should be reduced to 5 mg twice daily when platelets fall.\n",
    )
    assert "Ruxolitinib reduces spleen volume" in document.text and "reduced to 5 mg twice daily" in document.text
    assert "doubles survival" not in document.text
    document = _loaded(
        tmp_path,
        "guidance.txt",
        "Hydroxychloroquine screening\n\nThis guidance summarises screening.\n\nContents\n1. Risk factors\n"
        "2. References\n\n1. Risk factors\nThe risk rises when the daily dose exceeds 5 mg/kg of body weight.\n",
    )
    assert "exceeds 5 mg/kg" in document.text  # "2. References" heads the contents, not a list


def test_pdf_year_from_its_running_citation_not_from_when_the_file_was_made(tmp_path: Path) -> None:
    from tests.fixtures.make_pdfs import text_pdf, wrapped

    body = wrapped("Theophylline restored HDAC2 activity in alveolar macrophages from smokers. " * 6)
    pages = [[(16.0, "Theophylline and HDAC2"), (11.0, ""), *body], body, body]
    info = {"/Title": "Theophylline and HDAC2", "/CreationDate": "D:20260301120000Z"}  # a download's date
    path = tmp_path / "theophylline.pdf"
    text_pdf(pages, "Respiratory Pharmacology 2022; 14: 301-309", info).write(path)
    document = load_documents(path)[0]
    assert document.metadata.year == 2022 and "Respiratory Pharmacology" not in document.text


def test_pdf_year_is_never_that_of_a_paper_it_cites(tmp_path: Path) -> None:
    from tests.fixtures.make_pdfs import text_pdf

    pages = [
        [(16.0, "Empagliflozin in older adults"), (11.0, "We enrolled 80 adults in 2024 and followed them a year.")],
        [(11.0, "Our results agree with EMPA-REG OUTCOME (N Engl J Med 2015;373:2117).")],
        [(11.0, "References"), (9.0, "1. Zinman B, et al. Empagliflozin. N Engl J Med 2015;373:2117-28.")],
    ]
    path = tmp_path / "cohort.pdf"
    text_pdf(pages, None, {"/Title": "Empagliflozin in older adults", "/CreationDate": "D:20250301120000Z"}).write(path)
    assert load_documents(path)[0].metadata.year == 2025  # the file's date, the last resort; not the cited 2015


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        # Entries without years are a list too.
        ("References\n\n1. Smith J. Tofacitinib causes thrombosis. N Engl J Med.\n2. Lee K. Tofacitinib. BMJ.\n",
         "", "thrombosis"),
        # An entry that opens with "Supplemental" does not end the list.
        ("References\n\n1. Smith J. Oxygen. Lancet 2017;1:2.\n2. Supplemental oxygen cures sepsis. Lancet 2018\n",
         "", "cures sepsis"),
        # Paragraphs with author-year citations after a contents line are the body.
        ("Contents\n1. Myopathy\n3. References\n\nMyopathy occurs in 1 in 10000 patients a year (Smith 2019).\n",
         "Myopathy occurs", ""),
        # A table's last rows at the page's end are data, unlike a volume label.
        ("Event Ruxolitinib Placebo\n\nAnaemia 61 42\n\nThrombocytopenia 53 12\n\nVol 12 Issue 3\n",
         "Thrombocytopenia 53 12", "Vol 12"),
    ],
)  # fmt: skip
def test_what_cleaning_keeps_and_cuts_after_the_body(tmp_path: Path, text: str, kept: str, gone: str) -> None:
    document = _loaded(tmp_path, "note.txt", f"Title\n\nThe study found what it found.\n\n{text}")
    assert kept in document.text and (not gone or gone not in document.text)


def test_a_plain_tables_caption_short_rows_and_footer_keep_their_place(tmp_path: Path) -> None:
    page = (
        "<html><body><h1>Trial</h1><p>Results were clear.</p><table><caption>Table 2. Adverse events</caption>"
        "<thead><tr><th>Event</th><th>Drug</th></tr></thead><tbody><tr><td>Anaemia</td><td>42%</td></tr></tbody>"
        "<tfoot><tr><td>Values are n (%).</td><td></td></tr></tfoot></table><p>The trial ended in 2019.</p>"
    )
    text = " ".join(_loaded(tmp_path, "page.html", page).text.split())
    assert "Table 2. Adverse events Event: Anaemia; Drug: 42%. Values are n (%)." in text
    markdown = "# Trial\n\nResults were clear.\n\n| Event | Drug | Placebo |\n|---|---|---|\n| Anaemia | 42% |\n"
    assert "Event: Anaemia; Drug: 42%." in _loaded(tmp_path, "note.md", markdown + "\nThe end.\n").text


def test_unicode_hyphens_are_read_as_the_hyphen_a_reader_types() -> None:
    """HTML's non-breaking hyphen (&#8209;) and the Unicode hyphen were stored as printed, and the claim check then
    found "COX-1" typed by a user nowhere in a passage writing "COX‐1" (an outside tester's finding). Documents,
    questions and checked texts are normalised alike; en dashes in ranges ("7–10 days") stay."""
    assert normalize_unicode("COX\u20111 and IL\u201010 for 7\u201310 days") == "COX-1 and IL-10 for 7\u201310 days"
    assert check_question("Does aspirin acetylate COX\u20101?", 1000) == "Does aspirin acetylate COX-1?"
    with pytest.raises(InputError, match="27 characters"):
        check_question("What is \ufdfa?", 20)  # one character NFKC writes as 18: the limit counts what is searched
    assert check_text("Low-dose aspirin acetylates serine 529 of COX\u20111 in platelets.", 1000) == [
        "Low-dose aspirin acetylates serine 529 of COX-1 in platelets."
    ]
