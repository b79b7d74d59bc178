"""Uploaded files: checked, kept under a managed folder with safe names, de-duplicated by content, then indexed.

Each upload lives at `<index_dir>/uploads/<content hash>/<safe name>`: a second upload of the same bytes
is recognised before anything is written, and `prune()` deletes stored uploads whose documents were all
removed from the index. Uploads whose documents are already indexed from elsewhere are not kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from assistant.errors import DocumentError
from assistant.ingest.documents import SUPPORTED_SUFFIXES
from assistant.ingest.documents.loading import document_id
from assistant.ingest.indexing import Progress
from assistant.models import DocumentRecord

if TYPE_CHECKING:
    from assistant.api import Assistant

MB = 1024 * 1024
_MAX_STEM = 80
_HASH_CHARS = 16
_UNSAFE = re.compile(r"[^\w\-]+")


class UploadError(DocumentError):
    """An upload refused before indexing; `status` is the HTTP status that fits it."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def record_json(r: DocumentRecord) -> dict[str, Any]:
    """The public JSON shape of an indexed document (REST `GET /api/documents`)."""
    m = r.metadata
    return {
        "doc_id": r.doc_id,
        "source": r.source,
        "title": m.title or r.source,
        "authors": list(m.authors),
        "journal": m.journal,
        "year": m.year,
        "n_chunks": r.n_chunks,
        "indexed_at": r.indexed_at,
    }


MESSAGE_TITLES = 5  # document titles an upload's message names; a 10,000-record export's would be megabytes


@dataclass(frozen=True)
class UploadResult:
    """One accepted upload: newly indexed (`added`) or with nothing new (`unchanged`: already indexed)."""

    name: str  # the stored (sanitised) file name
    status: Literal["added", "unchanged"]
    documents: tuple[DocumentRecord, ...]  # the documents it added, or the indexed ones it duplicates
    skipped: tuple[str, ...] = ()  # parts of the file that could not be used

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "documents": [record_json(r) for r in self.documents],
            "skipped": list(self.skipped),
        }

    def message(self) -> str:
        """One line for the page and the job's status; a collection's titles are cut after `MESSAGE_TITLES` (the
        job's result lists every document)."""
        titles = "; ".join(
            f"{r.metadata.title or r.source} ({r.n_chunks} passage{'s' if r.n_chunks != 1 else ''})"
            for r in self.documents[:MESSAGE_TITLES]
        )
        more = len(self.documents) - MESSAGE_TITLES
        titles += f"; and {more} more" if more > 0 else ""
        if self.status == "unchanged":
            text = f"{self.name}: already indexed{' as ' + titles if titles else ''}; nothing changed"
        else:
            count = len(self.documents)
            text = f"{self.name}: indexed {count} document{'s' if count != 1 else ''}: {titles}"
        return text + (f" (skipped: {'; '.join(self.skipped)})" if self.skipped else "")


def safe_name(filename: str) -> str:
    """A file name that cannot leave its folder: the last path part, word characters only, a known case."""
    base = unicodedata.normalize("NFKC", re.split(r"[\\/]", filename)[-1]).strip()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = _UNSAFE.sub("_", stem).strip("_-")[:_MAX_STEM] or "upload"
    ext = _UNSAFE.sub("", ext).replace("_", "").lower()
    return f"{stem}.{ext}" if ext else stem


class Uploads:
    """Accepts uploaded bytes for one assistant; one upload at a time."""

    def __init__(self, assistant: Assistant, root: Path, max_bytes: int, allowed: frozenset[str] = SUPPORTED_SUFFIXES):
        self.assistant = assistant
        self.root = root
        self.max_bytes = max_bytes
        self.allowed = allowed
        self._lock = threading.RLock()

    def check(self, filename: str, size: int) -> str:
        """The safe name to store the file under; raises UploadError for a refused type or size."""
        name = safe_name(filename)
        suffix = Path(name).suffix
        if suffix not in self.allowed:
            kind = f"type '{suffix}'" if suffix else "no file extension"
            supported = ", ".join(sorted(self.allowed))
            raise UploadError(f"{name} has unsupported {kind}; supported: {supported}", status=415)
        if size > self.max_bytes:
            raise UploadError(
                f"{name} is {size / MB:.1f} MB, over the {self.max_bytes / MB:.0f} MB upload limit "
                "(ASSISTANT_SERVER__MAX_UPLOAD_MB)",
                status=413,
            )
        if size == 0:
            raise UploadError(f"{name} is empty")
        return name

    def ingest_file(self, path: Path, filename: str | None = None, progress: Progress | None = None) -> UploadResult:
        """Ingest a file already on disk (a Gradio upload); checks the size before reading it."""
        name = filename or path.name
        self.check(name, path.stat().st_size)
        return self.ingest(name, path.read_bytes(), progress)

    def ingest(self, filename: str, data: bytes, progress: Progress | None = None) -> UploadResult:
        """Check, store and index one upload. A refused or unreadable file leaves no trace."""
        name = self.check(filename, len(data))
        folder = self.root / hashlib.sha256(data).hexdigest()[:_HASH_CHARS]
        target = folder / name
        if not target.resolve().is_relative_to(self.root.resolve()):  # safe_name makes this impossible
            raise UploadError(f"{name}: refused file name", status=400)
        with self._lock:
            self.prune()
            stored = self._stored(folder)  # the same bytes uploaded before (and still indexed)
            created = stored is None
            if stored is None:
                _write_atomic(target, data)
                stored = target
            before = {r.doc_id: r for r in self.assistant.documents()}
            try:
                # Indexing a stored upload again restores any of its documents that were removed.
                report = self.assistant.index([stored], progress=progress)
            except BaseException as exc:
                if created:
                    shutil.rmtree(folder, ignore_errors=True)
                if isinstance(exc, DocumentError):
                    raise DocumentError(_without_path(str(exc), stored, name)) from None
                raise
            added = tuple(r for r in self.assistant.documents() if r.doc_id not in before)
            skipped = tuple(_without_path(note, stored, name) for note in report.skipped)
            if added:
                return UploadResult(name, "added", added, skipped)
            if not created:
                return UploadResult(name, "unchanged", tuple(self._indexed_from(stored)), skipped)
            shutil.rmtree(folder, ignore_errors=True)  # all of it is indexed from elsewhere: keep nothing
            if not report.unchanged:
                raise DocumentError("; ".join(skipped) or f"{name}: no document could be read from it")
            same = before.get(document_id(data))
            return UploadResult(name, "unchanged", (same,) if same else (), skipped)

    def prune(self) -> list[str]:
        """Delete stored uploads none of whose documents is indexed any more; returns their names."""
        with self._lock:  # never while an upload is being indexed
            if not self.root.is_dir():
                return []
            indexed = set(self.assistant.store.paths())
            gone = []
            for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
                stored = self._stored(folder)
                if stored is None or str(stored.resolve()) not in indexed:
                    shutil.rmtree(folder, ignore_errors=True)
                    gone.append(stored.name if stored else folder.name)
            return gone

    def _stored(self, folder: Path) -> Path | None:
        files = (
            sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []
        )
        return files[0] if files else None

    def _indexed_from(self, path: Path) -> list[DocumentRecord]:
        ids = _ids(self.assistant.store.paths().get(str(path.resolve()), ()))
        return [r for r in self.assistant.documents() if r.doc_id in ids]


def _ids(value: object) -> set[str]:
    """Doc ids of one path in `Store.paths()`, whether it maps a path to one id or to a set of them."""
    return {value} if isinstance(value, str) else set(cast("Iterable[str]", value))


def _without_path(message: str, target: Path, name: str) -> str:
    """Messages name the upload as the user called it, never the server's folders."""
    return message.replace(str(target.resolve()), name).replace(str(target), name)


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
