"""Loaders for PDF, PubMed XML, MEDLINE and JSONL files: real fixture files (tests/fixtures) and files made
in tmp_path, read by the real libraries; no mocks."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.errors import DocumentError
from assistant.ingest.documents import SUPPORTED_SUFFIXES, load_document, load_documents
from assistant.ingest.documents.pdf_text import Line, assemble, cut_references, join_hyphenated, strip_running_lines
from assistant.models import Document
from tests.conftest import write

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def refused(path: Path) -> str:
    """The message of the DocumentError that loading `path` raises; it must be one line naming the file."""
    with pytest.raises(DocumentError) as info:
        load_documents(path)
    message = str(info.value)
    assert path.name in message
    assert "\n" not in message and "Traceback" not in message
    return message


def paragraphs(doc: Document) -> list[str]:
    return doc.text.split("\n\n")


def test_supported_suffixes_include_the_new_formats() -> None:
    assert {".pdf", ".xml", ".nbib", ".jsonl"} <= SUPPORTED_SUFFIXES
    assert {".txt", ".md", ".markdown", ".html", ".htm"} <= SUPPORTED_SUFFIXES


# --- PDF --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def article() -> Document:
    return load_document(FIXTURES / "article.pdf")


def test_pdf_text_is_the_article_only(article: Document) -> None:
    text = article.text
    assert text.startswith("Mast cells shape the early response to topical imiquimod in mouse skin\n\nAbstract\n\n")
    for furniture in ("Journal of Fixture Studies", "Page 1 of 3", "Page 3 of 3", "101-103"):
        assert furniture not in text, furniture  # running header and footer
    assert "References" not in text and "Chemokines in skin inflammation" not in text  # the reference list
    assert text.endswith(
        "Further work should test whether mast cell stabilisers change the clinical effect of the cream."
    )
    assert "Maria Keller" not in text  # the author line is metadata


def test_pdf_joins_hyphenated_words_and_wrapped_lines(article: Document) -> None:
    assert "a weaker inflammatory response to the cream." in article.text
    assert "reduced the migration of dendritic cells" in article.text
    assert not re.search(r"[a-z]- ", article.text)
    # Wrapped lines become one-line paragraphs (the chunker ends a sentence at every line break)...
    assert (
        "Imiquimod is a topical immune response modifier that is used against basal cell carcinoma and genital warts. "
        "Its early effects on the cells that live in the skin are less well described than its effects on dendritic "
        "cells." in paragraphs(article)
    )
    # ...and headings stand alone.
    assert {"Abstract", "Results", "Discussion"} <= set(paragraphs(article))
    assert "\n\n\n" not in article.text and all(p == p.strip() and "\n" not in p for p in paragraphs(article))


def test_pdf_page_starts_match_the_pages(article: Document) -> None:
    starts = article.page_starts
    pages = [page.extract_text() for page in PdfReader(FIXTURES / "article.pdf").pages]
    assert len(starts) == len(pages) == 3
    assert starts[0] == 0 and list(starts) == sorted(starts) and starts[-1] < len(article.text)
    for number, (start, page_text) in enumerate(zip(starts, pages, strict=True), start=1):
        opening = article.text[start : start + 40].split()[:3]
        assert " ".join(opening) in " ".join(page_text.split()), (number, opening)  # the page begins there
        assert article.text[start - 2 : start] in ("", "\n\n", " ") or start == 0
        assert article.page_at(start) == number
    assert article.page_at(article.text.index("Mast cell numbers")) == 2
    assert article.page_at(article.text.index("stabilisers")) == 3
    assert article.page_at(article.text.index("draining lymph node")) == 1


def test_pdf_metadata_from_document_info(article: Document) -> None:
    meta = article.metadata
    assert meta.title == "Mast cells shape the early response to topical imiquimod in mouse skin"
    assert meta.authors == ("Maria Keller", "Tomas Berg", "Lina Osei")
    assert meta.year == 2024
    assert article.source == "article.pdf"
    assert article.doc_id == hashlib.sha256((FIXTURES / "article.pdf").read_bytes()).hexdigest()[:16]


def test_pdf_metadata_from_the_first_page() -> None:
    doc = load_document(FIXTURES / "simple.pdf")  # no document info dictionary
    assert doc.metadata.title == "Imatinib and regulatory T cells"  # the largest font on page 1
    assert doc.metadata.authors == ("Anna Berg", "Li Wei")
    assert doc.metadata.year == 2021  # from the "(c) 2021" line, which is boilerplate in the text
    assert doc.text == (
        "Imatinib and regulatory T cells\n\n"
        "Imatinib mesylate impaired the suppressive function of regulatory T cells in vitro and in vivo. The drug "
        "lowered FoxP3 expression and STAT3 phosphorylation in the treated cells, but it did not change their "
        "production of IL-10 or TGF-beta in culture."
    )
    assert doc.page_starts == (0,)


def test_pdf_encrypted_only_against_copying_loads(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=FIXTURES / "simple.pdf")
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)
    assert load_document(path).text == load_document(FIXTURES / "simple.pdf").text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("scanned.pdf", "has no text layer (a scanned PDF?); run OCR on it first"),
        ("encrypted.pdf", "is encrypted (password-protected)"),
        ("truncated.pdf", "is a damaged or truncated PDF"),
    ],
)
def test_bad_pdf_fixtures(name: str, message: str) -> None:
    assert message in refused(FIXTURES / name)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"Just some text that someone named .pdf\n", "is not a PDF"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "damaged or truncated"),
    ],
)
def test_bad_pdf_bytes(tmp_path: Path, content: bytes, message: str) -> None:
    assert message in refused(write(tmp_path, "paper.pdf", content))


def test_running_lines_need_half_the_pages() -> None:
    bodies = [[f"Text {word} of the {topic} section." for word in ("one", "two", "three")] for topic in "abc"]
    pages = [
        ["J Test 2020;1:10", *bodies[0], "Page 1"],
        ["J Test 2020;1:11", *bodies[1], "2"],
        ["Different top line", *bodies[2], "- 3 -"],
    ]
    # The header is on 2 of 3 pages (its page number aside); page numbers go wherever they are.
    assert strip_running_lines(pages) == [bodies[0], bodies[1], ["Different top line", *bodies[2]]]
    single = [["Only page header", "Some text here.", "7"]]
    assert strip_running_lines(single) == [["Only page header", "Some text here."]]


def test_hyphen_kept_where_the_document_prints_it() -> None:
    lines = [Line(0, "an anti-inflammatory drug was given; the anti-"), Line(0, "inflammatory effect and the im-")]
    lines += [Line(1, "mune response were measured.")]
    joined = [line.text for line in join_hyphenated(lines)]
    assert joined == [
        "an anti-inflammatory drug was given; the anti-inflammatory",
        "effect and the immune",
        "response were measured.",
    ]


def test_references_cut_from_the_last_heading() -> None:
    lines = [Line(0, "Methods"), Line(0, "We cite earlier work [1]."), Line(1, "5. References"), Line(1, "1. A B. X.")]
    assert [line.text for line in cut_references(lines)] == ["Methods", "We cite earlier work [1]."]


def test_page_without_text_starts_where_the_next_text_begins() -> None:
    lines = [Line(0, "The first page ends in the middle of a"), Line(2, "sentence on page three."), Line(2, "Methods")]
    text, starts = assemble(lines, n_pages=4)  # page 2 is a figure, page 4 was all references
    assert text == "The first page ends in the middle of a sentence on page three.\n\nMethods"
    assert starts == (0, 39, 39, len(text))
    assert text[starts[2] :].startswith("sentence on page three.")


# --- PubMed XML ---------------------------------------------------------------------------------------------

PUBMED = FIXTURES / "pubmed_export.xml"


@pytest.fixture(scope="module")
def pubmed() -> list[Document]:
    return load_documents(PUBMED)


def test_pubmed_one_document_per_article(pubmed: list[Document]) -> None:
    assert [doc.source for doc in pubmed] == [f"pubmed_export.xml#{p}" for p in ("21214884", "20813740", "11296674")]
    ids = [doc.doc_id for doc in pubmed]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert ids == [doc.doc_id for doc in load_documents(PUBMED)]  # stable


def test_pubmed_text_and_metadata(pubmed: list[Document]) -> None:
    doc = pubmed[0]
    assert paragraphs(doc) == [
        "Can 'high-risk' human papillomaviruses (HPVs) be detected in human breast milk?",  # <i> markup gone
        "METHODS: Using polymerase chain reaction techniques, we evaluated the presence of HPV infection in human "
        "breast milk collected from 21 HPV-positive and 11 HPV-negative mothers.",
        "RESULTS: Of the 32 studied human milk specimens, no 'high-risk' HPV 16, 18, 31, 33, 35, 39, 45, 51, 52, 56, "
        "58 or 58 DNA was detected.",
        doc.text.split("\n\n")[-1],
    ]
    trailer = paragraphs(doc)[-1].split("\n")
    assert trailer[0].startswith("MeSH terms: Adult; Alphapapillomavirus; Case-Control Studies; DNA, Viral;")
    assert trailer[1] == "PMID: 21214884; DOI: 10.5555/fixture.21214884."
    assert "Fixture Press" not in doc.text  # <CopyrightInformation> is boilerplate
    meta = doc.metadata
    assert meta.authors == ("Ann Example", "Ben C Sample", "Fixture Study Group")
    assert (meta.journal, meta.year, meta.pages, meta.published) == (
        "Journal of Fixture Data",
        2011,
        "101-9",
        "2011 Mar",
    )
    assert meta.title == paragraphs(doc)[0]


def test_pubmed_article_with_missing_fields(pubmed: list[Document]) -> None:
    doc = pubmed[2]
    assert doc.metadata.authors == () and doc.metadata.journal == "" and doc.metadata.year is None
    assert doc.text.endswith("\nPMID: 11296674.")
    assert "\u03b2-catenin" in pubmed[1].metadata.title


def test_pubmed_single_article_root(tmp_path: Path, pubmed: list[Document]) -> None:
    article = re.search(r"<PubmedArticle>.*?</PubmedArticle>", PUBMED.read_text(encoding="utf-8"), re.S)
    assert article is not None
    [doc] = load_documents(write(tmp_path, "one.xml", article.group()))
    assert doc.doc_id == pubmed[0].doc_id  # the id depends on the article, not on the file around it
    assert doc.source == "one.xml#21214884"


def test_collection_needs_load_documents() -> None:
    with pytest.raises(DocumentError, match="holds 3 documents; load it with load_documents"):
        load_document(PUBMED)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<PubmedArticleSet>&b;</PubmedArticleSet>",
            "declares XML entities",
        ),
        ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><PubmedArticleSet>&e;</PubmedArticleSet>', "entities"),
        ("<PubmedArticleSet><PubmedArticle></PubmedArticleSet>", "is not well-formed XML"),
        ("<article><front/></article>", "not a PubMed export"),
        ("<PubmedArticleSet></PubmedArticleSet>", "no PubmedArticle records"),
        ("<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>", "has no PMID"),
    ],
)
def test_bad_pubmed_xml(tmp_path: Path, content: str, message: str) -> None:
    assert message in refused(write(tmp_path, "export.xml", content))


# --- MEDLINE ---------------------------------------------------------------------------------------------------


def test_medline_nbib() -> None:
    docs = load_documents(FIXTURES / "medline.nbib")
    assert [doc.source for doc in docs] == ["medline.nbib#23848044", "medline.nbib#27491658"]
    assert len({doc.doc_id for doc in docs}) == 2
    meta = docs[1].metadata
    assert meta.title == "Can predilatation in transcatheter aortic valve implantation be omitted?"
    assert meta.authors == ("Ann Example", "Ben C Sample", "Dora Placeholder")  # FAU "Last, First" turned round
    assert (meta.journal, meta.year, meta.pages, meta.published) == (
        "Journal of fixture data",
        2016,
        "66-71",
        "2016 Jun 6",
    )
    assert [p.split(":")[0] for p in paragraphs(docs[1])[1:4]] == ["BACKGROUND", "METHODS", "RESULTS"]
    assert paragraphs(docs[1])[-1].split("\n")[1] == "PMID: 27491658; DOI: 10.5555/fixture.27491658."


def test_medline_txt_export() -> None:
    docs = load_documents(FIXTURES / "medline_export.txt")
    assert [doc.source for doc in docs] == ["medline_export.txt#2224269", "medline_export.txt#11481172"]
    first, second = docs
    assert [p.split(":")[0] for p in paragraphs(first)[1:-1]] == [
        "OBJECTIVE",
        "DESIGN",
        "SETTING",
        "PATIENTS",
        "MAIN OUTCOME MEASURE",
        "RESULTS",
    ]
    assert paragraphs(first)[-1].startswith("MeSH terms: Adolescent; Adult;")  # "*Adolescent/physiology" -> descriptor
    # A title continued on an indented line is one line again.
    assert (
        second.metadata.title
        == "Does the manic/mixed episode distinction in bipolar disorder patients run true over time?"
    )
    assert paragraphs(second)[0] == second.metadata.title


def test_plain_txt_mentioning_pmid_stays_plain(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "My reading notes.\n\nPMID- 123 is the paper about mast cells.\n")
    [doc] = load_documents(path)
    assert doc.source == "notes.txt" and "PMID- 123" in doc.text


def test_medline_record_fields_from_tags(tmp_path: Path) -> None:
    content = "PMID- 1\nTI  - A title.\nAU  - Smith JA\nCN  - Some Consortium\nAB  - One plain abstract.\n"
    [doc] = load_documents(write(tmp_path, "one.nbib", "\r\n".join(content.split("\n"))))
    assert doc.metadata.authors == ("JA Smith", "Some Consortium")  # AU when there is no FAU; CN kept
    assert doc.metadata.title == "A title"
    assert doc.text == "A title.\n\nOne plain abstract.\n\nPMID: 1."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.nbib", "PMID- 1\nTI  - Title\nthis line is not a tag\n", "line 3 is not a MEDLINE 'TAG - value' line"),
        ("nopmid.nbib", "TI  - Title only\nAB  - Text.\n", "has no PMID"),
        ("empty.nbib", "PMID- 5\nOWN - NLM\n", "record 5 has neither a title nor an abstract"),
        ("blank.nbib", "\n\n  \n", "only whitespace"),
    ],
)
def test_bad_medline(tmp_path: Path, name: str, content: str, message: str) -> None:
    assert message in refused(write(tmp_path, name, content))


# --- JSONL -------------------------------------------------------------------------------------------------------


def test_jsonl_fixture() -> None:
    docs = load_documents(FIXTURES / "scifact.jsonl")
    assert [doc.source for doc in docs] == ["scifact.jsonl#991137", "scifact.jsonl#1967410", "scifact.jsonl#7968532"]
    assert len({doc.doc_id for doc in docs}) == 3
    first = docs[0]
    assert first.metadata.title == "The descent of memory T-cell subsets"
    assert first.text.startswith("The descent of memory T-cell subsets\n\nThe immune system has evolved")


def test_jsonl_fields_and_defaults(tmp_path: Path) -> None:
    rows = [
        {
            "text": "First study text.",
            "title": "A first look",
            "authors": ["Ann Lee", "Bo Chan"],
            "year": 2019,
            "id": 7,
        },
        {"text": "Second study text.", "authors": "Lee, Ann; Chan, Bo", "year": "2020-05-01", "journal": "J Test"},
    ]
    path = write(tmp_path, "set.jsonl", json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n")
    first, second = load_documents(path)
    assert (first.source, first.text, first.metadata.authors, first.metadata.year) == (
        "set.jsonl#7",
        "A first look\n\nFirst study text.",
        ("Ann Lee", "Bo Chan"),
        2019,
    )
    assert second.source == "set.jsonl#3"  # no id: the line number
    assert (second.metadata.authors, second.metadata.year, second.metadata.journal) == (
        ("Lee, Ann", "Chan, Bo"),
        2020,
        "J Test",
    )
    assert first.doc_id == load_documents(path)[0].doc_id


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"text": "ok"}', '{"text": "broken"'], "line 2: not valid JSON"),
        (['{"text": "ok"}', '{"title": "no text"}'], 'line 2: no "text" field'),
        (['{"text": "ok"}', '{"text": " "}'], 'line 2: an empty "text" field'),
        (['{"text": "ok"}', '{"text": null}'], 'line 2: no "text" field'),
        (['["a", "list"]'], "line 1: a JSON list, not an object"),
        (['{"text": "ok", "authors": {"a": 1}}'], 'line 1: "authors" must be a list of names'),
        (['{"text": "ok", "year": "someday"}'], "line 1: \"year\" 'someday' is not a year"),
        (['{"text": "ok", "id": "x"}', '{"text": "other", "id": "x"}'], "line 2: repeats the id of line 1"),
        (['{"text": "Sign in"}'], "line 1: no article text left after cleaning"),
    ],
)
def test_bad_jsonl_refuses_the_whole_file(tmp_path: Path, lines: list[str], message: str) -> None:
    text = refused(write(tmp_path, "data.jsonl", "\n".join(lines) + "\n"))
    assert message in text and "nothing from this file was indexed" in text
