"""Reading a file from disk with checks that every loader shares, and the stable ids of what it holds."""

from __future__ import annotations

import hashlib
from collections.abc import Set
from pathlib import Path

from assistant.errors import DocumentError
from assistant.settings import IngestSettings, load_settings

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are almost never single articles; refuse before reading
DOC_ID_CHARS = 16
_SNIFF_BYTES = 8192  # binary detection looks at the head of the file only
_MAX_CONTROL_SHARE = 0.10  # text has almost no control characters besides tab/newline/form feed
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def ingest_limits(limits: IngestSettings | None) -> IngestSettings:
    """The limits given, else those the environment sets (for a loader called without any)."""
    return limits if limits is not None else load_settings().ingest


def check_document_chars(chars: int, limits: IngestSettings, where: str) -> None:
    """Refuse one document of more text than the limit: cleaning, chunking and embedding it would take hours."""
    if chars > limits.max_document_chars:
        raise DocumentError(
            f"{where} holds {chars:,} characters of text, over the {limits.max_document_chars:,} limit for one "
            "document (ASSISTANT_INGEST__MAX_DOCUMENT_CHARS); split it; nothing from this file was indexed"
        )


def document_id(data: bytes) -> str:
    """Stable id: the same bytes always give the same id, whatever the file is called."""
    return hashlib.sha256(data).hexdigest()[:DOC_ID_CHARS]


def record_id(key: str, text: str) -> str:
    """Id of one record of a collection file: its key (PMID, line id) and cleaned text, not its neighbours,
    so editing one record of an export changes only that record's id."""
    return document_id(f"{key}\n{text}".encode())


def check_path(path: Path, supported: Set[str]) -> None:
    """A readable regular file of a supported suffix (`supported`: the loaders' registry), not oversized."""
    if not path.exists():
        raise DocumentError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DocumentError(f"{path} is a directory; pass the files inside it")
    if not path.is_file():
        raise DocumentError(f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in supported:
        kind = f"type '{suffix}'" if suffix else "no file extension"
        listed = ", ".join(sorted(supported))
        raise DocumentError(f"{path} has unsupported {kind}; supported: {listed} (convert it to text first)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        raise DocumentError(f"{path} is {size / 1024 / 1024:.1f} MB, over the {limit_mb} MB limit; split it first")


def read_bytes(path: Path, supported: Set[str]) -> bytes:
    """The bytes of a supported, not oversized, non-empty file."""
    check_path(path, supported)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not data:
        raise DocumentError(f"{path} is empty")
    return data


def check_text_bytes(path: Path, data: bytes) -> None:
    if data.startswith(_UTF16_BOMS):
        raise DocumentError(f"{path} is UTF-16 text, not UTF-8; convert it with `iconv -f UTF-16 -t UTF-8`")
    head = data[:_SNIFF_BYTES]
    controls = sum(1 for byte in head if (byte < 32 and byte not in _TEXT_CONTROLS) or byte == 127)
    if b"\x00" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise DocumentError(f"{path} looks like a binary file, not text; export it as .txt, .md or .html")


def decode_text(path: Path, data: bytes) -> str:
    """Strict UTF-8 (a BOM is fine): guessing another encoding would silently corrupt characters."""
    check_text_bytes(path, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it with `iconv -f <its encoding> -t UTF-8`"
        ) from exc
    if not text.strip():
        raise DocumentError(f"{path} contains only whitespace")
    return text


def with_title(text: str, title: str) -> str:
    """A title given only as metadata opens the text like a title line does (unless the text already has it)."""
    head = text.split("\n\n", 3)[:3]
    if not title or any(title in paragraph for paragraph in head):
        return text
    return f"{title}\n\n{text}"
