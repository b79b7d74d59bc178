"""Read a file into cleaned `Document`s by its format, refusing inputs that cannot be indexed with a clear message.

Formats are a registry keyed by file suffix (`LOADERS`): a new format is one module with a function of the
`Loader` shape and one line in `LOADERS`; the supported suffixes are derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from assistant.errors import DocumentError
from assistant.ingest.documents.cleaning import clean_text
from assistant.ingest.documents.files import (
    MAX_FILE_BYTES,
    check_document_chars,
    decode_text,
    document_id,
    ingest_limits,
    read_bytes,
    with_title,
)
from assistant.ingest.documents.formats import html_to_text
from assistant.ingest.documents.jsonl import parse_jsonl
from assistant.ingest.documents.markdown import markdown_to_text
from assistant.ingest.documents.medline import is_medline, parse_medline
from assistant.ingest.documents.metadata import (
    extract_metadata,
    merge_metadata,
    settled,
    split_front_matter,
    strip_author_line,
)
from assistant.ingest.documents.pdf import parse_pdf
from assistant.ingest.documents.pubmed import parse_pubmed_xml
from assistant.models import Document, DocumentMetadata
from assistant.settings import IngestSettings
from assistant.text.wrapping import unwrap

__all__ = ["MAX_FILE_BYTES", "SUPPORTED_SUFFIXES", "document_id", "load_document", "load_documents"]


# A page format's reading: (plain text to clean, raw text for the metadata rules, metadata the format itself states).
Plain = Callable[[str], tuple[str, str, DocumentMetadata]]


def _html_plain(text: str) -> tuple[str, str, DocumentMetadata]:
    plain, stated = html_to_text(text)
    return plain, plain, stated


def _markdown_plain(text: str) -> tuple[str, str, DocumentMetadata]:
    front, body = split_front_matter(text)
    front_block = text[: len(text) - len(body)]  # kept for extract_metadata, which reads front matter itself
    body, title = markdown_to_text(body)
    # Front matter outranks the "# " heading; extract_metadata applies it.
    return body, front_block + body, DocumentMetadata(title="" if "title" in front else title)


def _text_plain(text: str) -> tuple[str, str, DocumentMetadata]:
    _, body = split_front_matter(text)
    return unwrap(body), text, DocumentMetadata()  # hard-wrapped lines back into paragraphs


def _text_document(path: Path, data: bytes, text: str, source: str, limits: IngestSettings, read: Plain) -> Document:
    plain, raw_for_metadata, stated = read(text)
    # Checked before cleaning: the cleaning rules are regexes that hold the interpreter for seconds on a huge text.
    check_document_chars(len(plain), limits, str(path))
    cleaned = clean_text(plain)
    metadata = merge_metadata(stated, extract_metadata(raw_for_metadata, cleaned))
    cleaned = strip_author_line(cleaned, metadata.authors)
    if not cleaned:
        raise DocumentError(f"{path} has no article text (only page boilerplate or metadata)")
    return Document(
        doc_id=document_id(data),
        source=source,
        text=with_title(cleaned, metadata.title),
        metadata=metadata,
    )


class Loader(Protocol):
    """Reads one file's bytes into its documents within `limits` (one record, one document, one PDF); raises
    `DocumentError` with one line naming the file (and the line, record or page)."""

    def __call__(self, path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]: ...


def _pdf(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
    return [parse_pdf(path, data, source, limits)]


def _pubmed(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
    return parse_pubmed_xml(path, decode_text(path, data), source, limits)


def _jsonl(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
    return parse_jsonl(path, decode_text(path, data), source, limits)


def _medline(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
    return parse_medline(path, decode_text(path, data), source, limits)


def _page(read: Plain) -> Loader:
    """The loader of a one-document page format read by `read`."""

    def load(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
        return [_text_document(path, data, decode_text(path, data), source, limits, read)]

    return load


def _text(path: Path, data: bytes, source: str, limits: IngestSettings) -> list[Document]:
    """A text page; one that opens like a MEDLINE export ("PMID-") is read as one."""
    text = decode_text(path, data)
    if is_medline(text):
        return parse_medline(path, text, source, limits)
    return [_text_document(path, data, text, source, limits, _text_plain)]


# One line per format.
LOADERS: dict[str, Loader] = {
    ".txt": _text,
    ".md": _page(_markdown_plain),
    ".markdown": _page(_markdown_plain),
    ".html": _page(_html_plain),
    ".htm": _page(_html_plain),
    ".pdf": _pdf,
    ".xml": _pubmed,
    ".nbib": _medline,
    ".jsonl": _jsonl,
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def load_documents(path: Path, source: str | None = None, limits: IngestSettings | None = None) -> list[Document]:
    """Every document a file holds: one for a text page or a PDF; one per record for collections
    (PubMed XML, MEDLINE .nbib/.txt exports, JSONL). Raises DocumentError with a one-line message
    naming the file; a collection with one bad record is refused whole, so it is never half indexed.
    `limits` default to the environment's settings (`Indexer` passes those of its own settings)."""
    path = Path(path)
    data = read_bytes(path, SUPPORTED_SUFFIXES)
    name = Path(source).name if source else path.name
    documents = LOADERS[path.suffix.lower()](path, data, name, ingest_limits(limits))
    return [replace(d, metadata=settled(d.metadata)) for d in documents]


def load_document(path: Path, source: str | None = None, limits: IngestSettings | None = None) -> Document:
    """The one document of a file; a collection file holding several must go through `load_documents`."""
    documents = load_documents(path, source, limits)
    if len(documents) != 1:
        raise DocumentError(f"{path} holds {len(documents)} documents; load it with load_documents")
    return documents[0]
