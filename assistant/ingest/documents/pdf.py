"""PDF files: text per page with pypdf (pure Python), laid out by `pdf_text`, with title/authors/year
from the document information dictionary or the first page.

Whatever pypdf raises on a damaged file becomes one DocumentError line naming the file; a PDF without a
text layer (a scan) and an encrypted PDF are refused with what to do about them.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError

from assistant.errors import DocumentError
from assistant.ingest.documents.files import document_id, ingest_limits
from assistant.ingest.documents.metadata import extract_metadata, merge_metadata, year_of
from assistant.ingest.documents.pdf_text import PdfText, lay_out
from assistant.models import Document, DocumentMetadata
from assistant.settings import IngestSettings
from assistant.text.characters import normalize_unicode

_HEADER_WINDOW = 1024  # the %PDF- marker may follow a little junk, as readers allow
_MIN_TEXT_CHARS = 20  # fewer letters/digits than this in the whole file: no usable text layer
_ALNUM = re.compile(r"[^\W_]")
_TITLE_FONT_RATIO = 1.15  # a title is set at least this much larger than the body text
_JUNK_TITLE = re.compile(
    r"\W*|untitled\b.*|microsoft \w+ - .*|.*\.(?:docx?|pdf|tex|dvi|indd|rtf|odt|ps|qxd)|(?:pii|doi)\s*:.*", re.I
)
# A journal citation's "2022; 14: 301-309" or "2008;181(11):6956": in a running header or footer, the article's own.
_CITATION_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*;\s*\d+\s*(?:\(\s*[\w-]+\s*\))?\s*:\s*[A-Za-z]?\d+")
_COPYRIGHT_YEAR = re.compile(r"(?:\u00a9|\(c\)|copyright)\s*((?:19|20)\d\d)\b", re.I)

# pypdf logs its repairs of damaged files ("EOF marker not found") as warnings; without a handler of the
# application's own they would reach stderr through logging's last-resort handler next to our one-line error.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def _one_line(exc: Exception) -> str:
    message = " ".join(str(exc).split())[:160]
    return message or type(exc).__name__


def _decrypt(path: Path, reader: PdfReader) -> None:
    # Many PDFs are encrypted only to restrict printing or copying, with an empty password to open them.
    try:
        opened = reader.decrypt("")
    except DependencyError as exc:
        raise DocumentError(
            f"{path} is encrypted with AES, which needs the 'cryptography' package; save an unencrypted copy"
        ) from exc
    if not opened:
        raise DocumentError(f"{path} is encrypted (password-protected); save an unprotected copy and index that")


def _open(path: Path, data: bytes) -> PdfReader:
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise DocumentError(f"{path} is not a PDF (no %PDF- header); check the file or give it its real extension")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(path, reader)
        n_pages = len(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged input; all mean the same here
        raise DocumentError(f"{path} is a damaged or truncated PDF ({_one_line(exc)}); get a fresh copy") from exc
    if not n_pages:
        raise DocumentError(f"{path} is a PDF with no pages")
    return reader


class _FontSizes:
    """Collects the text of page 1 by rendered font size, to find the title (the largest text)."""

    def __init__(self) -> None:
        self.pieces: list[tuple[float, str]] = []

    def __call__(self, text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        # The rendered size is the font size scaled by the text and page matrices' vertical factor.
        scale = abs(tm[3] * cm[3]) or abs(tm[2] * cm[2]) or 1.0
        if text.strip():
            self.pieces.append((round(size * scale, 1), text))

    def title(self) -> str:
        chars = Counter[float]()
        for size, text in self.pieces:
            chars[size] += len(text)
        if not chars:
            return ""
        body = chars.most_common(1)[0][0]
        largest = max(chars)
        if largest < _TITLE_FONT_RATIO * body:
            return ""
        return " ".join(text for size, text in self.pieces if size == largest)


def _page_texts(path: Path, reader: PdfReader, limits: IngestSettings) -> tuple[list[str], str]:
    """(text of each page, text of page 1 in its largest font); refused at the first page over a limit."""
    if len(reader.pages) > limits.max_pdf_pages:
        raise DocumentError(
            f"{path} has {len(reader.pages):,} pages: page {limits.max_pdf_pages + 1:,} is past the limit of "
            f"{limits.max_pdf_pages:,} pages for one PDF (ASSISTANT_INGEST__MAX_PDF_PAGES); split it"
        )
    sizes = _FontSizes()
    texts: list[str] = []
    chars = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text(visitor_text=sizes if number == 1 else None))
        except Exception as exc:  # as in _open: a damaged content stream can raise anything
            raise DocumentError(f"{path}: page {number} cannot be read ({_one_line(exc)}); get a fresh copy") from exc
        chars += len(texts[-1])
        if chars > limits.max_document_chars:
            raise DocumentError(
                f"{path}: page {number} takes its text past {limits.max_document_chars:,} characters, the limit "
                "for one document (ASSISTANT_INGEST__MAX_DOCUMENT_CHARS); split it"
            )
    return texts, sizes.title()


def _split_names(value: str) -> tuple[str, ...]:
    parts = [p.strip() for p in re.split(r";" if ";" in value else r",|\band\b|&", value)]
    parts = [p for p in parts if any(c.isalpha() for c in p)]
    if len(parts) == 2 and all(len(p.split()) == 1 for p in parts) and "," in value:
        return (f"{parts[1]} {parts[0]}",)  # "Smith, John" is one person
    return tuple(parts)


def _info(reader: PdfReader) -> tuple[str, tuple[str, ...], int | None]:
    """(title, authors, year) from the document information dictionary, leaving out placeholder titles."""
    try:
        info = reader.metadata
        title = normalize_unicode(" ".join(str(info.title or "").split())) if info else ""
        author = normalize_unicode(str(info.author or "")) if info else ""
        created = info.creation_date if info else None
    except Exception:  # a damaged info dictionary only costs its metadata, not the document
        return "", (), None
    title = "" if _JUNK_TITLE.fullmatch(title) else title
    return title, _split_names(author), created.year if created else None


def _running_citation_year(running: Sequence[str]) -> int | None:
    """The year of a journal citation in the running headers and footers (lines recurring on the pages' edges):
    the article's own; a citation in its text or reference list is another paper's."""
    counts = Counter(m.group(1) for line in running for m in _CITATION_YEAR.finditer(line))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return year_of(ranked[0][0]) if ranked else None


def _metadata(reader: PdfReader, first_page: str, laid_out: PdfText) -> DocumentMetadata:
    info_title, info_authors, created = _info(reader)
    from_page = extract_metadata(first_page, laid_out.text)  # portal-style fields ("Published: ...") on page 1
    copyright_year = _COPYRIGHT_YEAR.search(normalize_unicode(first_page))
    # The file's creation date is when the PDF was made (a download, a print), so only the last resort.
    year = (
        from_page.year
        or _running_citation_year(laid_out.running)
        or (year_of(copyright_year.group(1)) if copyright_year else None)
        or created
    )
    stated = DocumentMetadata(title=info_title or laid_out.title, authors=info_authors or laid_out.authors, year=year)
    return merge_metadata(stated, from_page)


def parse_pdf(path: Path, data: bytes, source_name: str, limits: IngestSettings | None = None) -> Document:
    """One Document; `page_starts` gives where each page begins in the cleaned text. `limits` default to
    the environment's settings."""
    reader = _open(path, data)
    texts, title_hint = _page_texts(path, reader, ingest_limits(limits))
    if sum(len(_ALNUM.findall(text)) for text in texts) < _MIN_TEXT_CHARS:
        raise DocumentError(f"{path} has no text layer (a scanned PDF?); run OCR on it first")
    laid_out = lay_out(texts, title_hint)
    if not laid_out.text:
        raise DocumentError(f"{path} has no article text (only page furniture or references)")
    return Document(
        doc_id=document_id(data),
        source=source_name,
        text=laid_out.text,
        metadata=_metadata(reader, texts[0], laid_out),
        page_starts=laid_out.page_starts,
    )
