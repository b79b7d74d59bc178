"""Files -> documents -> chunks -> embeddings -> store, embedding only what changed."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import DocumentError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.documents import SUPPORTED_SUFFIXES, load_documents, with_citation_line
from assistant.ingest.encoding import ToEncode, encode_documents
from assistant.models import Chunk, Document
from assistant.store.chroma import Store, make_node
from assistant.store.embeddings import Embedder, SentenceVectors

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run is; `str()` gives a one-line message for logs."""

    done: int  # files finished
    total: int  # files to do
    current: str  # file being indexed
    documents: int  # documents embedded so far
    chunks: int  # chunks embedded so far
    elapsed: float  # seconds since the run started

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far, once there is a pace."""
        return self.elapsed / self.done * (self.total - self.done) if self.done else None

    def __str__(self) -> str:
        if self.done >= self.total:
            return f"indexed {self.total} files, {self.chunks} chunks embedded in {self.elapsed:.1f} s"
        return f"[{self.done + 1}/{self.total}] {self.current}"


Progress = Callable[[IndexProgress], None]


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)  # sources newly indexed
    replaced: list[str] = field(default_factory=list)  # sources whose content changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # sources gone from a synced folder
    skipped: list[str] = field(default_factory=list)  # "source: reason" for files that could not be used
    recovered: list[str] = field(default_factory=list)  # doc ids of interrupted earlier writes
    chunks_embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.replaced)} replaced",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed",
            f"{len(self.skipped)} skipped",
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f} s",
        ]
        return ", ".join(parts)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer per index folder; a second one waits instead of interleaving batches."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".writer.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path], list[str]]:
    """(files named directly, files found in folders, skipped notes). Missing paths are an error."""
    direct: list[Path] = []
    walked: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise DocumentError(f"{path}: no such file or folder")
        if path.is_file():
            direct.append(path.resolve())
            continue
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
            if child.suffix.lower() in SUPPORTED_SUFFIXES:
                walked.append(child.resolve())
            else:
                skipped.append(f"{child.name}: unsupported file type {child.suffix or '(none)'}")
    return direct, walked, skipped


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


_BATCH_CHUNKS = 256  # chunks embedded and written together: fewer Chroma round trips per document


@dataclass
class _Batch:
    """Documents waiting to be embedded and written together, and the files they came from."""

    items: list[tuple[Document, str, Sequence[BaseNode]]] = field(default_factory=list)
    chunks: list[Sequence[Chunk]] = field(default_factory=list)  # of each item
    files: list[tuple[Path, list[Document]]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    n_chunks: int = 0

    def add(self, doc: Document, path: str, chunks: Sequence[Chunk]) -> None:
        self.items.append((doc, path, [make_node(doc, chunk) for chunk in chunks]))
        self.chunks.append(chunks)
        self.ids.add(doc.doc_id)
        self.n_chunks += len(chunks)


def embed_documents(
    embedder: Embedder, group: Sequence[tuple[Document, Sequence[Chunk], Sequence[BaseNode]]]
) -> dict[str, SentenceVectors]:
    """Put its vector on every chunk node; returns each document's sentence vectors (see `encoding`)."""
    encoded = encode_documents(embedder, [to_encode(doc, chunks, nodes) for doc, chunks, nodes in group])
    for (_, _, nodes), vectors in zip(group, encoded, strict=True):
        for node, vector in zip(nodes, vectors.chunks, strict=True):
            node.embedding = vector.tolist()
    return {doc.doc_id: vectors.sentences for (doc, _, _), vectors in zip(group, encoded, strict=True)}


def to_encode(doc: Document, chunks: Sequence[Chunk], nodes: Sequence[BaseNode]) -> ToEncode:
    """The document with the text LlamaIndex embeds for each chunk node (its title, then its text)."""
    from llama_index.core.schema import MetadataMode

    return ToEncode(doc, chunks, [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes])


class Indexer:
    """Keeps a store in step with a set of files."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._known: dict[str, set[str]] = {}

    def index(self, paths: list[Path], progress: Progress | None = None) -> IndexReport:
        """Index files and folders. Folders are synced: files gone from them leave the index.

        Every named file is read and checked before anything is written, so one bad file
        named on the command line changes nothing.
        """
        say = progress or (lambda _event: None)
        started = time.perf_counter()
        report = IndexReport()
        direct, walked, report.skipped = expand_paths(paths)
        files = [(p, load_documents(p)) for p in direct]  # raises on a bad named file
        with writer_lock(self.store.settings.paths.index_dir):
            report.recovered = self.store.recover()
            for path in walked:
                try:
                    files.append((path, load_documents(path)))
                except DocumentError as exc:
                    report.skipped.append(str(exc))
            self._index_files(files, report, say, started)
            self._remove_missing([p for p in paths if p.is_dir()], self._known, report)
        report.seconds = time.perf_counter() - started
        return report

    def _index_files(
        self, files: list[tuple[Path, list[Document]]], report: IndexReport, say: Progress, started: float
    ) -> None:
        """Embed and write new documents in batches; a file's old version goes once its new one is in."""
        self._known = self.store.paths()
        ready = self.store.ready_ids()
        batch = _Batch()
        for i, (path, docs) in enumerate(files):
            elapsed = time.perf_counter() - started
            say(IndexProgress(i, len(files), path.name, len(report.added), report.chunks_embedded, elapsed))
            for doc in map(with_citation_line, docs):  # metadata stated as a citable sentence
                if doc.doc_id in ready or doc.doc_id in batch.ids:
                    report.unchanged.append(doc.source)
                    continue
                chunks = chunk_document(doc, self.store.settings.chunking)
                if chunks:
                    batch.add(doc, str(path), chunks)
                else:
                    report.skipped.append(f"{doc.source}: no text left after cleaning")
            batch.files.append((path, docs))
            if batch.n_chunks >= _BATCH_CHUNKS or i == len(files) - 1:
                self._flush(batch, report)
                batch = _Batch()
        done = time.perf_counter() - started
        say(IndexProgress(len(files), len(files), "", len(report.added), report.chunks_embedded, done))

    def _flush(self, batch: _Batch, report: IndexReport) -> None:
        group = [(doc, chunks, nodes) for (doc, _, nodes), chunks in zip(batch.items, batch.chunks, strict=True)]
        sentences = embed_documents(self.embedder, group)
        self.store.write_many(batch.items, sentences)
        report.chunks_embedded += batch.n_chunks
        for path, docs in batch.files:
            stale = self._known.get(str(path), set()) - {doc.doc_id for doc in docs}
            for doc_id in stale:  # the old version goes only after the new one is in
                self.store.delete(doc_id)
            target = report.replaced if stale else report.added
            target += [doc.source for doc in docs if doc.doc_id in batch.ids]

    def _remove_missing(self, folders: list[Path], known: dict[str, set[str]], report: IndexReport) -> None:
        for folder in (f.resolve() for f in folders):
            for path, doc_ids in known.items():
                if Path(path).is_relative_to(folder) and not Path(path).exists():
                    for doc_id in doc_ids:
                        self.store.delete(doc_id)
                    report.removed.append(Path(path).name)

    def remove(self, target: str) -> str:
        """Remove a document by id, or every document read from a path or file name; returns their sources."""
        with writer_lock(self.store.settings.paths.index_dir):
            sources = []
            for doc_id in sorted(self._resolve(target)):
                record = self.store.record(doc_id)
                self.store.delete(doc_id)
                sources.append(record.source if record else doc_id)
            return ", ".join(sources)

    def _resolve(self, target: str) -> set[str]:
        if self.store.record(target) is not None:
            return {target}
        by_path = self.store.paths()
        resolved = str(Path(target).resolve())
        if resolved in by_path:
            return by_path[resolved]
        by_source = {r.doc_id for r in self.store.records() if r.source == target}
        if by_source:
            return by_source
        raise DocumentError(f"{target}: no indexed document has this id, path or file name")
