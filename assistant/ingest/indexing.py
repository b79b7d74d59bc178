"""Files -> documents -> chunks -> embeddings -> store, embedding only what changed.

A file is read and checked whole first (one bad record refuses it); its new documents are then embedded and
committed a few hundred at a time (`ingest.commit_documents`), so that a kill loses at most the batch in
flight and the next run, which finds the committed documents by id, embeds only the rest.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import DocumentError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.documents import load_documents, with_citation_line
from assistant.ingest.documents.files import check_document_chars
from assistant.ingest.encoding import ToEncode, encode_documents
from assistant.ingest.paths import expand_paths, gone
from assistant.models import Chunk, Document
from assistant.settings import IngestSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, SentenceVectors
from assistant.store.nodes import make_node

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run is; `str()` gives a one-line message for logs and the CLI."""

    done: int  # files finished
    total: int  # files to do
    current: str  # file being indexed
    documents: int  # documents embedded so far
    chunks: int  # chunks embedded so far
    elapsed: float  # seconds since the run started
    records: int = 0  # documents of all files dealt with so far: embedded, found unchanged or skipped
    records_total: int = 0  # documents in all files
    to_embed: int = 0  # documents new to the index: what this run embeds
    embedding_s: float = 0.0  # seconds since the first embedding began (embedding and writing)

    @property
    def fraction(self) -> float:
        """Share of the run's work done, moving within a file: embedding is nearly all the work, so it is the
        share of the documents to embed (else of the files)."""
        if self.done >= self.total:
            return 1.0
        if self.to_embed:
            return min(self.documents / self.to_embed, 1.0)
        return self.done / self.total

    @property
    def rate(self) -> float | None:
        """Documents embedded (and written) per second, once there is a pace."""
        return self.documents / self.embedding_s if self.documents and self.embedding_s > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far, once there is a pace."""
        rate = self.rate
        return max(self.to_embed - self.documents, 0) / rate if rate else None

    def __str__(self) -> str:
        if self.done >= self.total:
            return f"indexed {self.total} files, {self.chunks} chunks embedded in {self.elapsed:.1f} s"
        head = f"[{self.done + 1}/{self.total}] {self.current}"
        if self.records_total <= self.total:  # one document per file: the file count says it all
            return head
        line = f"{head}: {self.records}/{self.records_total} records, {self.documents}/{self.to_embed} embedded"
        line += f" ({self.chunks} chunks)"
        rate, eta = self.rate, self.eta
        return line + (f", {rate:.1f} docs/s, ETA {_duration(eta)}" if rate and eta is not None else "")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


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
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # said, so that a second run does not look hung
            log.warning("waiting for another indexing run on %s to finish", index_dir)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_PROGRESS_DOCUMENTS = 32  # per encoding call, a progress event after each: smaller calls cost ~5% more time


@dataclass
class _File:
    """One file on its way in: its documents, and the sources of those this run embeds."""

    path: Path
    docs: list[Document]
    new: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """Documents embedded and committed together, and the files that end in it: a file's old version goes,
    and it is reported, once the batch holding its last new document is committed."""

    items: list[tuple[Document, str, Sequence[BaseNode]]] = field(default_factory=list)
    chunks: list[Sequence[Chunk]] = field(default_factory=list)  # of each item
    files: list[_File] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    n_chunks: int = 0

    def add(self, doc: Document, path: str, chunks: Sequence[Chunk]) -> None:
        self.items.append((doc, path, [make_node(doc, chunk) for chunk in chunks]))
        self.chunks.append(chunks)
        self.ids.add(doc.doc_id)
        self.n_chunks += len(chunks)

    def full(self, limits: IngestSettings) -> bool:
        return len(self.items) >= limits.commit_documents or self.n_chunks >= limits.commit_chunks


@dataclass
class _Run:
    """The counters of one indexing run, told to its `Progress` callback."""

    say: Progress
    started: float
    files: int
    records_total: int
    to_embed: int
    done: int = 0
    current: str = ""
    records: int = 0
    documents: int = 0
    chunks: int = 0
    embedding_since: float | None = None

    def tell(self) -> None:
        now = time.perf_counter()
        progress = IndexProgress(
            done=self.done,
            total=self.files,
            current=self.current,
            documents=self.documents,
            chunks=self.chunks,
            elapsed=now - self.started,
            records=self.records,
            records_total=self.records_total,
            to_embed=self.to_embed,
            embedding_s=now - self.embedding_since if self.embedding_since is not None else 0.0,
        )
        self.say(progress)


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


def read_file(path: Path, limits: IngestSettings) -> list[Document]:
    """The file's documents, refused whole if one holds more text than one document may (the shipped loaders refuse
    sooner, naming the line, record or page; this holds the limit for any loader plugged in). A loader's unforeseen
    failure is this file's error, not the run's: the other files of a folder are still indexed."""
    try:
        docs = load_documents(path, limits=limits)
    except DocumentError:
        raise
    except Exception as exc:  # a loader's bug or a library's surprise on one odd file
        log.exception("reading %s failed", path)
        raise DocumentError(f"{path}: could not be read ({type(exc).__name__}: {str(exc)[:200]})") from exc
    for doc in docs:
        check_document_chars(len(doc.text), limits, f"{path}: {doc.source}")
    return docs


def check_named(paths: list[Path], limits: IngestSettings) -> None:
    """Raise what indexing `paths` would raise before writing anything (a missing path, a bad file named directly):
    `assistant index --rebuild` asks this before it drops the index."""
    direct, _, _ = expand_paths(paths)
    for path in direct:
        read_file(path, limits)


class Indexer:
    """Keeps a store in step with a set of files."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._known: dict[str, set[str]] = {}
        self._held: set[str] = set()  # the documents the files of the run in progress hold

    def index(self, paths: list[Path], progress: Progress | None = None) -> IndexReport:
        """Index files and folders. Folders are synced: files gone from them leave the index.

        Every named file is read and checked before anything is written, so one bad file
        named on the command line changes nothing.
        """
        say = progress or (lambda _event: None)
        started = time.perf_counter()
        report = IndexReport()
        direct, walked, report.skipped = expand_paths(paths)
        files = [(p, self._load(p)) for p in direct]  # raises on a bad named file
        with writer_lock(self.store.settings.paths.index_dir):
            self.store.sync()  # another process may have written since this one opened the index
            report.recovered = self.store.recover()
            for path in walked:
                try:
                    files.append((path, self._load(path)))
                except DocumentError as exc:
                    report.skipped.append(str(exc))
            self._index_files(files, report, say, started)
            self._remove_missing([p for p in paths if p.is_dir()], self._known, report)
            self._held = set()
        report.seconds = time.perf_counter() - started
        return report

    def _load(self, path: Path) -> list[Document]:
        return read_file(path, self.store.settings.ingest)

    def _index_files(
        self, files: list[tuple[Path, list[Document]]], report: IndexReport, say: Progress, started: float
    ) -> None:
        """Embed and write new documents in committed batches of a few hundred, so that a kill loses at most
        the batch in flight and the next run, finding the committed ones by id, embeds only the rest."""
        self._known = self.store.paths()
        ready = self.store.ready_ids()
        # A document two files hold (an export overlapping another, a copy) is stored under one of their paths: it
        # leaves the index only when no file of this run holds it any more.
        self._held = {doc.doc_id for _, docs in files for doc in docs}
        new = self._held - ready
        run = _Run(say, started, len(files), sum(len(docs) for _, docs in files), len(new))
        batch = _Batch()
        for i, (path, docs) in enumerate(files):
            run.done, run.current = i, path.name
            run.tell()
            file = _File(path, docs)
            for doc in map(with_citation_line, docs):  # metadata stated as a citable sentence
                if doc.doc_id in ready or doc.doc_id in batch.ids:
                    report.unchanged.append(doc.source)
                    run.records += 1
                elif chunks := chunk_document(doc, self.store.settings.chunking):
                    batch.add(doc, str(path), chunks)
                    file.new.append(doc.source)
                else:
                    report.skipped.append(f"{doc.source}: no text left after cleaning")
                    run.records += 1
                if batch.full(self.store.settings.ingest):
                    self._commit(batch, report, run, ready)
                    batch = _Batch()
            batch.files.append(file)
        self._commit(batch, report, run, ready)
        run.done = len(files)
        run.tell()

    def _commit(self, batch: _Batch, report: IndexReport, run: _Run, ready: set[str]) -> None:
        """Embed and write the batch's documents, then finish the files that end in it."""
        if batch.items:
            sentences = self._embed(batch, run)
            self.store.write_many(batch.items, sentences)
            ready |= batch.ids
            report.chunks_embedded += batch.n_chunks
        for file in batch.files:
            stale = self._known.get(str(file.path), set()) - self._held
            self.store.delete_many(sorted(stale))  # the old version goes only after the new one is in
            (report.replaced if stale else report.added).extend(file.new)

    def _embed(self, batch: _Batch, run: _Run) -> dict[str, SentenceVectors]:
        """The batch's vectors, a few documents per encoding call, telling progress after each."""
        if run.embedding_since is None:
            _ = self.embedder.dimension  # loads the model (seconds), which is not the pace of embedding
            run.embedding_since = time.perf_counter()
        group = [(doc, chunks, nodes) for (doc, _, nodes), chunks in zip(batch.items, batch.chunks, strict=True)]
        sentences: dict[str, SentenceVectors] = {}
        for at in range(0, len(group), _PROGRESS_DOCUMENTS):
            part = group[at : at + _PROGRESS_DOCUMENTS]
            sentences |= embed_documents(self.embedder, part)
            run.records += len(part)
            run.documents += len(part)
            run.chunks += sum(len(chunks) for _, chunks, _ in part)
            run.tell()
        return sentences

    def _remove_missing(self, folders: list[Path], known: dict[str, set[str]], report: IndexReport) -> None:
        for folder in (f.resolve() for f in folders):
            for path, doc_ids in known.items():
                missing = doc_ids - self._held
                if missing and Path(path).is_relative_to(folder) and gone(Path(path)):
                    self.store.delete_many(sorted(missing))
                    report.removed.append(Path(path).name)

    def remove(self, target: str) -> str:
        """Remove a document by id, or every document read from a path or file name (in one pass: a 10,000-record
        export goes at once, and a kill part-way is finished by the next run); returns their sources."""
        with writer_lock(self.store.settings.paths.index_dir):
            self.store.sync()
            self.store.recover()
            doc_ids = sorted(self._resolve(target))
            known = {r.doc_id: r.source for r in self.store.records()}  # one read, not one a document
            sources = [known.get(d, d) for d in doc_ids]
            self.store.delete_many(doc_ids)
            return ", ".join(sorted(sources))

    def _resolve(self, target: str) -> set[str]:
        if self.store.record(target) is not None:
            return {target}
        by_path = self.store.paths()
        for named in (str(Path(target).resolve()), os.path.abspath(target)):  # a link found in a folder: its own path
            if named in by_path:
                return by_path[named]
        # A file name: its one document, or each record of an export ("recs.jsonl#17").
        by_source = {r.doc_id for r in self.store.records() if r.source == target or r.source.startswith(f"{target}#")}
        if by_source:
            return by_source
        if Path(target).is_file():  # indexed under another name (renamed since, or a copy): its documents by content
            with contextlib.suppress(DocumentError):
                held = {doc.doc_id for doc in self._load(Path(target))} & self.store.ready_ids()
                if held:
                    return held
        raise DocumentError(f"{target}: no indexed document has this id, path or file name")
