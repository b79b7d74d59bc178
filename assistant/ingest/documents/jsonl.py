"""JSON Lines collections: one document per line, `{"text": ..., "title"?, "authors"?, "journal"?, "year"?, "id"?}`.

Every line is checked before any document is returned: one bad line refuses the whole file, naming the
line, so a collection is never half indexed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import DocumentError
from assistant.ingest.documents.cleaning import clean_text, field_line
from assistant.ingest.documents.files import ingest_limits, numbered_lines, record_id, with_title
from assistant.ingest.documents.metadata import normalise_pages, year_of
from assistant.models import Document, DocumentMetadata
from assistant.settings import IngestSettings
from assistant.text.wrapping import unwrap

_STRING_FIELDS = ("title", "journal", "published", "pages")


class _LineError(Exception):
    """A problem with one line; parse_jsonl adds the file and the line number."""


def _string(record: dict[str, Any], key: str) -> str:
    value = record.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _LineError(f'"{key}" must be a string, not {type(value).__name__}')
    return value.strip()


def _authors(record: dict[str, Any]) -> tuple[str, ...]:
    value = record.get("authors") or ()
    if isinstance(value, str):
        value = value.split(";")  # one string: names separated by ";" (commas may sit inside "Last, First")
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        raise _LineError('"authors" must be a list of names or a string of names separated by ";"')
    return tuple(name.strip() for name in value if name.strip())


def _year(record: dict[str, Any]) -> int | None:
    value = record.get("year")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _LineError(f'"year" must be a number or a string, not {type(value).__name__}')
    year = year_of(str(value))
    if year is None:
        raise _LineError(f'"year" {value!r} is not a year')
    return year


def _key(record: dict[str, Any], number: int) -> str:
    value = record.get("id")
    if value is None or value == "":
        return str(number)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _LineError(f'"id" must be a string or a number, not {type(value).__name__}')
    return field_line(str(value))


def _metadata(record: dict[str, Any]) -> DocumentMetadata:
    fields = {key: _string(record, key) for key in _STRING_FIELDS}
    return DocumentMetadata(
        title=fields["title"],
        authors=_authors(record),
        journal=fields["journal"],
        year=_year(record) or year_of(fields["published"]),
        pages=normalise_pages(fields["pages"]),
        published=fields["published"],
    )


def _document(line: str, number: int, source_name: str, limits: IngestSettings) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _LineError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise _LineError(f'a JSON {type(record).__name__}, not an object with a "text" field')
    if not _string(record, "text").strip():
        said = "an empty" if record.get("text") is not None and "text" in record else "no"
        raise _LineError(f'{said} "text" field (a non-empty string is required)')
    if len(record["text"]) > limits.max_document_chars:
        raise _LineError(
            f'"text" holds {len(record["text"]):,} characters, over the {limits.max_document_chars:,} limit '
            "for one document (ASSISTANT_INGEST__MAX_DOCUMENT_CHARS)"
        )
    metadata = _metadata(record)
    text = clean_text(unwrap(record["text"]))  # a text field copied from a wrapped source
    if not text:
        raise _LineError("no article text left after cleaning (only page boilerplate)")
    text = with_title(text, clean_text(metadata.title))
    key = _key(record, number)
    return Document(doc_id=record_id(key, text), source=f"{source_name}#{key}", text=text, metadata=metadata)


def _check_line_size(line: str, limits: IngestSettings) -> None:
    """Refused before it is parsed: one line of tens of MB held a server for minutes."""
    limit = limits.max_line_kb * 1024
    size = len(line) if len(line) > limit else len(line.encode())  # no copy of a line already too long
    if size > limit:
        raise _LineError(
            f"{size:,} bytes, over the {limits.max_line_kb:,} KB ({limit:,} bytes) limit for one line "
            "(ASSISTANT_INGEST__MAX_LINE_KB); split the record"
        )


def parse_jsonl(path: Path, text: str, source_name: str, limits: IngestSettings | None = None) -> list[Document]:
    """One Document per non-blank line; `source` is "<file name>#<id>" (the line number when there is no id).
    `limits` default to the environment's settings."""
    limits = ingest_limits(limits)
    documents: list[Document] = []
    lines_of: dict[str, int] = {}
    for number, line in numbered_lines(text):
        if not line.strip():
            continue
        try:
            _check_line_size(line, limits)
            doc = _document(line, number, source_name, limits)
        except (_LineError, ValueError) as exc:  # ValueError: a number past Python's 4,300 digits, a lone surrogate
            why = exc if isinstance(exc, _LineError) else f"unreadable value ({' '.join(str(exc).split())[:120]})"
            raise DocumentError(f"{path} line {number}: {why}; nothing from this file was indexed") from None
        if doc.source in lines_of:
            raise DocumentError(
                f"{path} line {number}: repeats the id of line {lines_of[doc.source]}; ids must be unique in a file; "
                "nothing from this file was indexed"
            )
        lines_of[doc.source] = number
        documents.append(doc)
    return documents
