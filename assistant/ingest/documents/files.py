"""Reading a file from disk with checks that every loader shares, and the stable ids of what it holds."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator, Set
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.documents.cleaning import title_line
from assistant.settings import IngestSettings, load_settings

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are almost never single articles; refuse before reading
DOC_ID_CHARS = 16
_SNIFF_BYTES = 8192  # binary detection looks at the head of the file only
_MAX_CONTROL_SHARE = 0.10  # text has almost no control characters besides tab/newline/form feed
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# hashlib lets go of the GIL for inputs of 2 KiB and more. A loop hashing thousands of records (one big JSONL
# upload) would then drop and retake it so often that the server's other threads starve: CPython hands the GIL
# over on a timeout that every voluntary release restarts (`/api/health` stalled past a second). Smaller slices
# keep it; the digest is the same.
_HASH_SLICE = 2047
_DECODE_SLICE = 1 << 20


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
    digest = hashlib.sha256()
    view = memoryview(data)
    for start in range(0, len(data), _HASH_SLICE):
        digest.update(view[start : start + _HASH_SLICE])
    return digest.hexdigest()[:DOC_ID_CHARS]


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
        text = _decode_slices(data)
    except UnicodeDecodeError:
        raise _not_utf8(path, data) from None
    if not text or text.isspace():
        raise DocumentError(f"{path} contains only whitespace")
    return text


def _decode_slices(data: bytes) -> str:
    """A MiB at a time: one decode of a 50 MB upload holds the GIL for as long as a second in the server,
    where `/api/health` and questions wait for it; between slices the other threads get their turn."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    view = memoryview(data)
    parts = [decoder.decode(view[start : start + _DECODE_SLICE]) for start in range(0, len(data), _DECODE_SLICE)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def _not_utf8(path: Path, data: bytes) -> DocumentError:
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        data[bom:].decode("utf-8")  # once more in one piece, for the offset of the first bad byte in the file
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        return DocumentError(
            f"{path} is not UTF-8 text (byte 0x{data[at]:02x} at offset {at}); "
            "convert it with `iconv -f <its encoding> -t UTF-8`"
        )
    return DocumentError(f"{path} is not UTF-8 text; convert it with `iconv -f <its encoding> -t UTF-8`")


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number from 1, line) split on "\n" only, one at a time: `text.split` of a 50 MB export is one call
    that holds the GIL while it builds every line (and a JSON string may hold U+2028, where
    `str.splitlines` would split too)."""
    start, number = 0, 1
    while (end := text.find("\n", start)) != -1:
        yield number, text[start:end]
        start, number = end + 1, number + 1
    yield number, text[start:]


def with_title(text: str, title: str) -> str:
    """A title given only as metadata opens the text like a title line does (unless the text already has it), as
    the metadata will hold it: one line, bounded (`title_line`)."""
    title = title_line(title)
    head = text.split("\n\n", 3)[:3]
    if not title or any(title in paragraph for paragraph in head):
        return text
    return f"{title}\n\n{text}"
