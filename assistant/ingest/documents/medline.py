"""MEDLINE-format exports (PubMed "Save as PubMed format", citation-manager `.nbib`): one `Document` per record.

Each line is "TAG - value" with the tag padded to four characters ("PMID- ", "TI  - ", "FAU - "); a value
that wraps continues on lines indented by six spaces; records are separated by blank lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.documents.articles import Article, article_document, one_line, unique
from assistant.ingest.documents.files import check_document_chars, ingest_limits, numbered_lines
from assistant.ingest.documents.metadata import normalise_pages, year_of
from assistant.models import Document, DocumentMetadata
from assistant.settings import IngestSettings

_TAG_LINE = re.compile(r"(?P<tag>[A-Z][A-Z0-9]{0,3}) *- ?(?P<value>.*)")
_CONTINUATION = re.compile(r"[ \t]+\S")
_OPENS_WITH_PMID = re.compile(r"[\ufeff \t\r\n]*PMID-")
# Structured abstracts arrive as one AB field: "BACKGROUND: ... METHODS: ...". A new section starts
# where an upper-case label and a colon follow the end of a sentence.
_SECTION_START = re.compile(r"(?<=[.?!])\s+(?=[A-Z][A-Z0-9 ,/&()'-]{2,60}: )")
_SECTION = re.compile(r"(?P<label>[A-Z][A-Z0-9 ,/&()'-]{2,60}): (?P<text>.*)", re.S)
_ID_TYPE = re.compile(r"(?P<id>\S+)\s*\[(?P<kind>[a-z]+)\]")

Record = dict[str, list[str]]


def is_medline(text: str) -> bool:
    """A .txt file is a MEDLINE export only when it opens with a PMID tag; otherwise it is plain text."""
    return _OPENS_WITH_PMID.match(text) is not None  # not lstrip: that copies the whole export


def _records(path: Path, text: str) -> list[tuple[int, Record]]:
    """(first line number, tag -> values) per record; a line that is neither a tag nor a continuation is
    an error, so a damaged export is refused instead of being half read."""
    records: list[tuple[int, dict[str, list[list[str]]]]] = []
    current: dict[str, list[list[str]]] | None = None  # None after a blank line: the next tag opens a record
    last: list[str] | None = None  # lines of the value that a continuation line extends
    for number, line in numbered_lines(text):
        line = line.removesuffix("\r")
        if not line.strip():
            current = last = None
        elif last is not None and _CONTINUATION.match(line):
            last.append(line.strip())  # joined once at the end: adding to a string is quadratic in its length
        elif match := _TAG_LINE.fullmatch(line.rstrip()):
            if current is None or (match["tag"] == "PMID" and "PMID" in current):
                current = {}
                records.append((number, current))
            last = [match["value"].strip()]
            current.setdefault(match["tag"], []).append(last)
        else:
            raise DocumentError(f"{path} line {number} is not a MEDLINE 'TAG - value' line; check the export")
    return [(n, {tag: [" ".join(v) for v in values] for tag, values in r.items()}) for n, r in records]


def _first(record: Record, *tags: str) -> str:
    return next((one_line(record[tag][0]) for tag in tags if record.get(tag)), "")


def _person(name: str) -> str:
    """FAU "Lord, Christina E N" -> "Christina E N Lord"; AU "Lord CE" -> "CE Lord"."""
    if "," in name:
        last, given = (part.strip() for part in name.split(",", 1))
        return f"{given} {last}".strip()
    parts = name.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].isupper() and len(parts[1]) <= 4:
        return f"{parts[1]} {parts[0]}"
    return name


def _authors(record: Record) -> tuple[str, ...]:
    people = record.get("FAU") or record.get("AU") or []
    return tuple(_person(one_line(name)) for name in people) + tuple(one_line(n) for n in record.get("CN", []))


def _doi(record: Record) -> str:
    for value in record.get("LID", []) + record.get("AID", []):
        match = _ID_TYPE.fullmatch(value.strip())
        if match and match["kind"] == "doi":
            return match["id"]
    return ""


def _sections(abstract: str) -> list[tuple[str, str]]:
    sections = []
    for part in _SECTION_START.split(one_line(abstract)):
        match = _SECTION.fullmatch(part)
        sections.append((match["label"], match["text"]) if match else ("", part))
    return sections


def _descriptor(heading: str) -> str:
    # "Alismataceae/*cytology/*physiology": the descriptor before the qualifiers; "*" marks a major topic.
    return heading.split("/", 1)[0].lstrip("*").strip()


def _article(path: Path, number: int, record: Record) -> Article:
    key = _first(record, "PMID")
    if not key:
        raise DocumentError(f"{path}: the record at line {number} has no PMID; check the export")
    title = _first(record, "TI", "BTI")
    published = _first(record, "DP")
    return Article(
        key=key,
        title=title,
        sections=_sections(" ".join(record.get("AB", []))),
        metadata=DocumentMetadata(
            authors=_authors(record),
            journal=_first(record, "JT", "TA"),
            year=year_of(published),
            pages=normalise_pages(_first(record, "PG")),
            published=published,
        ),
        mesh=[_descriptor(heading) for heading in record.get("MH", [])],
        doi=_doi(record),
    )


def parse_medline(path: Path, text: str, source_name: str, limits: IngestSettings | None = None) -> list[Document]:
    """One Document per MEDLINE record; `source` is "<file name>#<PMID>". `limits` default to the
    environment's settings."""
    limits = ingest_limits(limits)
    if "\r" in text and "\n" not in text:  # an export with old Mac line endings: one line, the whole file a PMID
        text = text.replace("\r", "\n")
    records = _records(path, text)
    if not records:
        raise DocumentError(f"{path} has no MEDLINE records")
    documents = []
    for number, record in records:
        article = _article(path, number, record)
        chars = len(article.title) + sum(len(part) for _, part in article.sections)
        check_document_chars(chars, limits, f"{path}: the record at line {number} (PMID {article.key})")
        documents.append(article_document(path, source_name, article))
    return unique(documents)
