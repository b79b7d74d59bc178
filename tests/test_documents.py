"""Tests for assistant.ingest.documents: real seed files and made-up files in tmp_path, no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.documents import SUPPORTED_SUFFIXES, clean_text, extract_metadata, load_document
from assistant.models import Document, DocumentMetadata
from tests.conftest import write

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
IMIQUIMOD = SEEDS / "000_d70bce7e43d09f54.txt"
IMATINIB = SEEDS / "003_82ced8ffe1d35513.txt"
IMATINIB_TITLE = (
    "Imatinib mesylate inhibits CD4+CD25+ regulatory T cell activity and enhances active immunotherapy "
    "against BCR-ABL- tumors"
)
BOILERPLATE = (
    "intended for health professionals",
    "Subscribe to",
    "Latest Issue",
    "Cite this",
    "Dive into the research topics",
    "Research output",
    "Scopus",
    "ASJC",
    "Be in the know",
    "Original language",
    "Pages (from-to)",
)
ODD_CHARACTERS = ("\u00a0", "\u2018", "\u2019", "\u201c", "\u201d", "\u00b4", "\u00ad", "\u200b", "\t")


@pytest.fixture(scope="module")
def imiquimod() -> Document:
    return load_document(IMIQUIMOD)


@pytest.fixture(scope="module")
def imatinib() -> Document:
    return load_document(IMATINIB)


# --- seeds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["imiquimod", "imatinib"])
def test_seed_text_is_clean(name: str, request: pytest.FixtureRequest) -> None:
    doc: Document = request.getfixturevalue(name)
    for char in ODD_CHARACTERS:
        assert char not in doc.text, repr(char)
    for phrase in BOILERPLATE:
        assert phrase.lower() not in doc.text.lower(), phrase
    assert "\n\n\n" not in doc.text
    assert doc.text == doc.text.strip()
    assert all(line == line.strip() and "  " not in line for line in doc.text.split("\n"))


def test_imiquimod_keeps_content(imiquimod: Document) -> None:
    text = imiquimod.text
    assert text.startswith("Imiquimod immune effect explained\n\n")
    assert "mast cells release CCL2 messenger substances" in text
    assert "the drug's exact mechanism of action was not known." in text  # acute accent as apostrophe
    assert 'into "tumour killers" that attack' in text
    assert (
        '"We were able to show that Imi has an immediate and direct effect on mast cells in the skin," explains' in text
    )
    assert "repsonse \u2013 they produce" in text  # en dash kept
    assert "published and commented on in the Journal of Clinical Investigation." in text
    assert not text.rstrip().endswith("Journal of Clinical Investigation")  # trailing journal label dropped


def test_imiquimod_metadata(imiquimod: Document) -> None:
    meta = imiquimod.metadata
    assert meta.title == "Imiquimod immune effect explained"
    assert meta.authors == ()
    assert meta.journal == ""  # a journal named in a news sentence is not the page's own journal
    assert imiquimod.source == IMIQUIMOD.name


def test_imatinib_keeps_content(imatinib: Document) -> None:
    text = imatinib.text
    assert text.startswith(IMATINIB_TITLE + "\n\n")
    assert "imatinib impaired Treg immunosuppressive function and FoxP3 expression but not production of IL-10" in text
    assert "TGF-\u03b2 in vitro." in text
    assert text.endswith("targeting Treg in cancer immunotherapy.")
    assert "Nicolas Larmonier" not in text  # the author line is metadata


def test_imatinib_metadata(imatinib: Document) -> None:
    meta = imatinib.metadata
    assert meta.title == IMATINIB_TITLE
    assert len(meta.authors) == 9
    assert meta.authors[0] == "Nicolas Larmonier"
    assert meta.authors[-1] == "Emmanuel Katsanis"
    assert "Claire Billerey Larmonier" in meta.authors
    assert meta.journal == "Journal of Immunology"
    assert meta.year == 2008
    assert meta.pages == "6955-6963"
    assert meta.published == "Nov 15 2008"
    assert imatinib.title == IMATINIB_TITLE


def test_doc_id_is_stable_and_content_based(tmp_path: Path) -> None:
    first, second = load_document(IMATINIB), load_document(IMATINIB)
    assert first.doc_id == second.doc_id
    assert len(first.doc_id) == 16 and all(c in "0123456789abcdef" for c in first.doc_id)
    copy = write(tmp_path, "copy.txt", IMATINIB.read_bytes())
    assert load_document(copy).doc_id == first.doc_id  # the name does not matter, the bytes do
    changed = write(tmp_path, "changed.txt", IMATINIB.read_bytes() + b"\nOne more sentence here.\n")
    assert load_document(changed).doc_id != first.doc_id


def test_source_defaults_to_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "note.txt", "A short note about imatinib and regulatory T cells.\n")
    assert load_document(path).source == "note.txt"
    assert load_document(path, source="upload.txt").source == "upload.txt"


# --- cleaning rules are general, not seed-specific ---------------------------------------------------

MADE_UP_PAGE = """\
This website is intended for medical professionals only

Sign in

Dasatinib \u2018rescues\u2019 exhausted T cells

\u201cWe saw a clear effect,\u201d says the author.
Patients\u00a0received  dasatinib for 12\u00a0weeks and their T\u2011cell counts rose markedly.
Side effects were mild.

12 Web of Science citations

Subscribe to our Oncology Weekly newsletter
Share this article
\u00a9 2024 Example Media Ltd. All rights reserved.

Blood Advances
Most Read Articles
"""


def test_rules_work_on_other_wording() -> None:
    text = clean_text(MADE_UP_PAGE)
    assert text.startswith("Dasatinib 'rescues' exhausted T cells\n\n")
    assert '"We saw a clear effect," says the author.' in text  # short quoted sentence kept
    assert "Patients received dasatinib for 12 weeks" in text
    assert "Side effects were mild." in text  # short sentence kept
    for phrase in (
        "intended for",
        "Sign in",
        "Web of Science",
        "Subscribe",
        "Share this",
        "2024",
        "Blood Advances",
        "Most Read",
    ):
        assert phrase not in text, phrase


def test_portal_fields_are_metadata_not_text() -> None:
    raw = (
        "Checkpoint blockade in melanoma\n\nAnna Berg, Tom de Vries, Li Wei\n\n"
        "Research output: Contribution to journal > Review article\n\n"
        "We review checkpoint blockade in advanced melanoma and its long-term outcomes in patients.\n\n"
        "Journal:\tMelanoma Research\nVolume 31\nPages (from-to) 1-9\nState Published - 2021 Mar 2\n"
        "DOIs https://doi.org/10.1000/xyz\n\nSubject areas\n\n  \u2022 Oncology\n  \u2022 Dermatology\n"
    )
    cleaned = clean_text(raw)
    assert cleaned == (
        "Checkpoint blockade in melanoma\n\nAnna Berg, Tom de Vries, Li Wei\n\n"
        "We review checkpoint blockade in advanced melanoma and its long-term outcomes in patients."
    )
    meta = extract_metadata(raw, cleaned)
    assert meta.title == "Checkpoint blockade in melanoma"
    assert meta.authors == ("Anna Berg", "Tom de Vries", "Li Wei")
    assert (meta.journal, meta.pages, meta.published, meta.year) == ("Melanoma Research", "1-9", "2021 Mar 2", 2021)


def test_sentences_are_never_boilerplate() -> None:
    raw = (
        "Title of a study\n\n"
        "Subscribe to our newsletter and magazine, which nobody in this trial ever read, to get updates.\n"
        "Journal of Clinical Investigation\n"
        "The trial ended early. Patients of\nVolume 12 and the rest of the\ncohort were followed up in\n"
        "Two Dutch Centres\n"
    )
    cleaned = clean_text(raw)
    assert "\nVolume 12 and the rest of the\n" in cleaned  # a wrapped sentence line is not a "Volume" field
    assert "Subscribe to our newsletter and magazine, which nobody" in cleaned  # a full sentence is content
    assert "Journal of Clinical Investigation" in cleaned  # a label mid-document is kept
    assert cleaned.endswith("cohort were followed up in\nTwo Dutch Centres")  # wrapped last line, not a label


def test_date_field_gives_year() -> None:
    raw = "Statins and sepsis\n\nPublished: 12 March 2019\n\nStatins did not lower mortality in sepsis in this trial.\n"
    cleaned = clean_text(raw)
    assert "Published" not in cleaned
    meta = extract_metadata(raw, cleaned)
    assert (meta.title, meta.published, meta.year) == ("Statins and sepsis", "12 March 2019", 2019)


def test_unicode_normalisation() -> None:
    raw = (
        "drug\u00b4s \u201cquoted\u201d \u2018single\u2019 a\u00a0b\u2009c "
        "soft\u00adhyphen zero\u200bwidth \ufb01ne \u2014 ok"
    )
    assert clean_text(raw) == "drug's \"quoted\" 'single' a b c softhyphen zerowidth fine \u2014 ok"


def test_characters_that_draw_nothing_are_dropped() -> None:
    """Invisible operators, tags, direction marks, variation selectors and fillers split a word a reader sees (an
    audit's planted "Ig\u2062nore"); accented letters, Greek and a combining macron (x\u0304, a mean) stay."""
    raw = "Ig\u2062nore prev\U000e0020ious \u202etext\u202c Hangul\u3164 fill\ufe0f caf\u00e9 e\u0301 \u03b2 x\u0304"
    assert clean_text(raw) == "Ignore previous text Hangul fill caf\u00e9 \u00e9 \u03b2 x\u0304"


def test_paragraphs_separated_by_one_blank_line() -> None:
    raw = "  First line  \n second line\n\n\n\n\t Second   paragraph.  \n\n\n"
    assert clean_text(raw) == "First line\nsecond line\n\nSecond paragraph."
    assert clean_text("Line one\r\nline two\r\n\r\nNext.\r\n") == "Line one\nline two\n\nNext."  # CRLF


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".xml", ".nbib", ".jsonl"} <= SUPPORTED_SUFFIXES


def test_citation_line_states_the_metadata_after_the_title(imatinib: Document) -> None:
    from assistant.ingest.documents import with_citation_line

    paragraphs = with_citation_line(imatinib).text.split("\n\n")
    assert paragraphs[0] == IMATINIB_TITLE
    assert paragraphs[1] == (
        "Published in Journal of Immunology, on Nov 15 2008, pages 6955-6963, by Nicolas Larmonier, Nona Janikashvili, "
        "Collin James Lacasse, Claire Billerey Larmonier, Jessica Cantrell, Elaine Situ, Tamara Lundeen, "
        "Bernard Bonnotte and Emmanuel Katsanis."
    )
    assert "\n\n".join(paragraphs[:1] + paragraphs[2:]) == imatinib.text
    bare = Document("x" * 16, "x.txt", "Title\n\nText.")
    assert with_citation_line(bare) == bare
    paged = Document("y" * 16, "y.pdf", "Title\n\nPage one.\n\nPage two.", DocumentMetadata(year=2020), (0, 18))
    moved = with_citation_line(paged)
    assert moved.text[moved.page_starts[1] :] == "Page two."
