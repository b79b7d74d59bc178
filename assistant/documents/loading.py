"""Read one file into a cleaned `Document`, refusing inputs that cannot be indexed with a clear message."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.documents.cleaning import clean_text
from assistant.documents.formats import html_to_text, markdown_to_text
from assistant.documents.metadata import extract_metadata, merge_metadata, split_front_matter, strip_author_line
from assistant.errors import DocumentError
from assistant.models import Document, DocumentMetadata

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})
MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are almost never single articles; refuse before reading
_SNIFF_BYTES = 8192  # binary detection looks at the head of the file only
_MAX_CONTROL_SHARE = 0.10  # text has almost no control characters besides tab/newline/form feed
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DOC_ID_CHARS = 16


def document_id(data: bytes) -> str:
    """Stable id: the same bytes always give the same id, whatever the file is called."""
    return hashlib.sha256(data).hexdigest()[:DOC_ID_CHARS]


def _check_path(path: Path) -> None:
    if not path.exists():
        raise DocumentError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DocumentError(f"{path} is a directory; pass the files inside it")
    if not path.is_file():
        raise DocumentError(f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"type '{suffix}'" if suffix else "no file extension"
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{path} has unsupported {kind}; supported: {supported} (convert it to text first)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        raise DocumentError(f"{path} is {size / 1024 / 1024:.1f} MB, over the {limit_mb} MB limit; split it first")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _check_bytes(path: Path, data: bytes) -> None:
    if not data:
        raise DocumentError(f"{path} is empty")
    if data.startswith(_UTF16_BOMS):
        raise DocumentError(f"{path} is UTF-16 text, not UTF-8; convert it with `iconv -f UTF-16 -t UTF-8`")
    head = data[:_SNIFF_BYTES]
    controls = sum(1 for byte in head if (byte < 32 and byte not in _TEXT_CONTROLS) or byte == 127)
    if b"\x00" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise DocumentError(f"{path} looks like a binary file, not text; export it as .txt, .md or .html")


def _decode(path: Path, data: bytes) -> str:
    # Strict UTF-8 (a BOM is fine): guessing another encoding would silently corrupt characters.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it with `iconv -f <its encoding> -t UTF-8`"
        ) from exc


def _to_plain(text: str, suffix: str) -> tuple[str, str, DocumentMetadata]:
    """(plain text to clean, raw text for metadata rules, metadata the format itself states)."""
    if suffix in (".html", ".htm"):
        plain, stated = html_to_text(text)
        return plain, plain, stated
    front, body = split_front_matter(text)
    front_block = text[: len(text) - len(body)]  # kept for extract_metadata, which reads front matter itself
    if suffix in (".md", ".markdown"):
        body, title = markdown_to_text(body)
        # Front matter outranks the "# " heading; extract_metadata applies it.
        return body, front_block + body, DocumentMetadata(title="" if "title" in front else title)
    return body, text, DocumentMetadata()


def _with_title(text: str, title: str) -> str:
    # A title given only as metadata (front matter, <title>, meta tags) opens the text like a title line does.
    head = text.split("\n\n", 3)[:3]
    if not title or any(title in paragraph for paragraph in head):
        return text
    return f"{title}\n\n{text}"


def load_document(path: Path, source: str | None = None) -> Document:
    """Read, check, convert and clean one file; raises DocumentError with a one-line message naming it."""
    path = Path(path)
    _check_path(path)
    data = _read(path)
    _check_bytes(path, data)
    text = _decode(path, data)
    if not text.strip():
        raise DocumentError(f"{path} contains only whitespace")
    suffix = path.suffix.lower()
    plain, raw_for_metadata, stated = _to_plain(text, suffix)
    cleaned = clean_text(plain)
    metadata = merge_metadata(stated, extract_metadata(raw_for_metadata, cleaned))
    cleaned = strip_author_line(cleaned, metadata.authors)
    if not cleaned:
        raise DocumentError(f"{path} has no article text (only page boilerplate or metadata)")
    cleaned = _with_title(cleaned, metadata.title)
    return Document(
        doc_id=document_id(data),
        source=Path(source).name if source else path.name,
        text=cleaned,
        metadata=metadata,
    )


def load_documents(path: Path) -> list[Document]:
    """Every document a file holds: one for text formats; many for collections (JSONL, PubMed XML)."""
    return [load_document(path)]
