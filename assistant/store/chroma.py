"""The persistent Chroma index: chunk vectors, the sentence vectors of each document, a catalog of documents.

Crash safety: a document is written as catalog `pending` -> its chunks and sentence vectors -> catalog `ready`.
Readers only see chunks of `ready` documents, and a writer first deletes the chunks of any
`pending` document, so a kill at any moment never shows half a document and the next run redoes it.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from assistant.errors import IndexMismatchError
from assistant.models import Document, DocumentMetadata, DocumentRecord
from assistant.settings import Settings
from assistant.store.client import open_client, reread
from assistant.store.embeddings import SentenceVectors
from assistant.text.aliases import ALIAS_RULES, find_aliases

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core.schema import BaseNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

_PAGE = 2000  # records per Chroma get (and ids per filter): one read of all overflows SQLite's variable limit
_T = TypeVar("_T")
_CATALOG_VECTOR: list[Sequence[float]] = [[1.0]]  # catalog records mean nothing in vector space; Chroma wants one
_GENERATION = "~generation"  # catalog record (no status) whose value changes on every commit


class Store:
    """Chunk vectors and the document catalog of one index."""

    def __init__(self, settings: Settings, *, reset: bool = False) -> None:
        """Open (creating if needed) the index; `reset` first drops it, whatever settings built it."""
        self.settings = settings
        self.client = open_client(settings)
        name = settings.store.collection
        self._names = (name, f"{name}-catalog", f"{name}-sentences")
        try:
            if reset:
                self._drop()
            self.chunks, self.catalog, self.sentences = self._open()
            self._seen = self._generation()  # the last commit this process wrote or opened the folder at
        except BaseException:
            self.close()  # an index that cannot be opened (built with other settings) keeps nothing open
            raise

    def reopen(self) -> bool:
        """Open the folder afresh when another process changed it (False for a server: all its clients agree)."""
        if self.settings.store.chroma_url:
            return False
        self.client = open_client(self.settings, fresh=True)
        self.chunks, self.catalog, self.sentences = self._open()
        self._seen = self._generation()  # not `generation`: a failure here is not read again
        return True

    def close(self) -> None:
        """Release the client (Chroma stops the folder's system, its files and database, with its last client)."""
        close = getattr(self.client, "close", None)  # chromadb >= 1.1
        if close is not None:
            close()

    def sync(self) -> None:
        """Before a write: reopen when another process committed since this one last wrote or opened, so that the
        write goes on from the folder as it is, not from vector indexes cached here."""
        if self.generation() != self._seen:
            self.reopen()

    def _open(self) -> tuple[Collection, Collection, Collection]:
        shape = self.settings.index_shape()
        meta: dict[str, Any] = {"fingerprint": self.settings.index_fingerprint(), "shape": json.dumps(shape)}
        cols = []
        for name in self._names:
            col = self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
            )
            found = (col.metadata or {}).get("fingerprint")
            if found != meta["fingerprint"]:
                raise IndexMismatchError(self._mismatch(col.metadata or {}, shape))
            cols.append(col)
        return cols[0], cols[1], cols[2]

    def _mismatch(self, found: dict[str, Any], shape: dict[str, object]) -> str:
        old = json.loads(str(found.get("shape", "{}")))
        diff = ", ".join(f"{k}: {old.get(k)!r} -> {v!r}" for k, v in shape.items() if old.get(k) != v)
        return (
            f"the index at {self.settings.store.chroma_url or self.settings.paths.index_dir} was built with "
            f"other settings ({diff or 'unknown'}); run `assistant index --rebuild` to rebuild it"
        )

    def _drop(self) -> None:
        """The catalog first: a kill part-way then leaves chunks no catalog row makes visible (overwritten when their
        documents are indexed again), never catalog rows whose chunks are gone."""
        existing = {c.name for c in self.client.list_collections()}
        chunks, catalog, sentences = self._names
        for name in (catalog, chunks, sentences):
            if name in existing:
                self.client.delete_collection(name)

    # --- catalog -------------------------------------------------------------------------
    @reread
    def records(self, status: str = "ready") -> list[DocumentRecord]:
        return sorted((_record(m) for _, m in self._catalog(status)), key=lambda r: r.source)

    def _catalog(self, status: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(doc id, metadata) of the catalog rows with this status, a page at a time: one read of tens of
        thousands of rows overflows SQLite's limit on query variables inside Chroma."""
        for got in pages(self.catalog, where={"status": status}, include=["metadatas"]):
            yield from zip(got["ids"], got["metadatas"] or [], strict=True)

    @reread
    def record(self, doc_id: str) -> DocumentRecord | None:
        got = self.catalog.get(ids=[doc_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return _record(metas[0]) if metas and metas[0].get("status") == "ready" else None

    def learned_aliases(self) -> tuple[list[tuple[str, str]], set[str]]:
        """(alias pairs stored with committed documents, ids of documents whose aliases are missing or stale).

        Aliases are extracted once, when a document is written; documents written by an older version of the alias
        rules are returned as stale so that the reader can extract theirs from the chunks."""
        pairs: list[tuple[str, str]] = []
        stale: set[str] = set()
        for _, m in self._catalog("ready"):
            stored = json.loads(str(m.get("aliases") or "{}"))
            if stored.get("rules") != ALIAS_RULES:
                stale.add(str(m["doc_id"]))
                continue
            pairs += [(str(long), str(short)) for long, short in stored["pairs"]]
        return pairs, stale

    @reread
    def paths(self) -> dict[str, set[str]]:
        """Absolute source path -> doc ids of the committed documents read from it (one file may hold many)."""
        by_path: dict[str, set[str]] = {}
        for _, m in self._catalog("ready"):
            if m.get("path"):
                by_path.setdefault(str(m["path"]), set()).add(str(m["doc_id"]))
        return by_path

    @reread
    def generation(self) -> str:
        """A token that changes whenever a document is committed or deleted (cheap staleness check)."""
        return self._generation()

    def _generation(self) -> str:
        got = self.catalog.get(ids=[_GENERATION], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0]["value"]) if metas else ""

    def _touch(self) -> None:
        meta: dict[str, Any] = {"value": uuid.uuid4().hex}
        self.catalog.upsert(ids=[_GENERATION], embeddings=_CATALOG_VECTOR, metadatas=[meta])
        self._seen = meta["value"]

    @reread
    def ready_ids(self) -> set[str]:
        return {doc_id for doc_id, _ in self._catalog("ready")}

    # --- writing ---------------------------------------------------------------------------
    @cached_property
    def max_batch(self) -> int:
        """Most records one Chroma write may carry, as the client reports it (a server's may differ from the
        local build's): one add over it fails whole, so every write is split by it."""
        limit = int(self.client.get_max_batch_size())
        return limit if limit > 0 else _PAGE  # an old server reports none (-1)

    @property
    def _id_page(self) -> int:
        """Ids per delete or `$in` filter: under the batch limit and SQLite's limit on query variables."""
        return min(_PAGE, self.max_batch)

    def recover(self) -> list[str]:
        """Delete the chunks of documents whose writing was interrupted; returns their ids."""
        pending = [doc_id for doc_id, _ in self._catalog("pending")]
        self._drop_contents(pending)
        for part in _slices(pending, self._id_page):
            self.catalog.delete(ids=part)
        return pending

    def write(
        self, doc: Document, path: str, nodes: Sequence[BaseNode], sentences: SentenceVectors | None = None
    ) -> DocumentRecord:
        """Write one document's embedded nodes; it becomes visible only when all are stored."""
        return self.write_many([(doc, path, nodes)], {doc.doc_id: sentences} if sentences else {})[0]

    def write_many(
        self,
        items: Sequence[tuple[Document, str, Sequence[BaseNode]]],
        sentences: Mapping[str, SentenceVectors] | None = None,
    ) -> list[DocumentRecord]:
        """Write several documents (and the sentence vectors of those in `sentences`), each Chroma call under
        the client's batch limit. A document becomes visible once all of its records are stored: all are
        marked `pending`, then written, then marked `ready`, so a kill between calls leaves no half document."""
        if not items:
            return []
        ids = [doc.doc_id for doc, _, _ in items]
        metas: list[Any] = [_catalog_meta(doc, path, len(nodes), "pending") for doc, path, nodes in items]
        self._upsert_catalog(ids, metas)
        self._drop_contents(ids)  # leftovers of an earlier attempt
        vector_store = self.vector_store()
        for batch in _slices([node for _, _, nodes in items for node in nodes], self.max_batch):
            vector_store.add(batch)
        written = set(ids)
        vectors = [(doc_id, _sentence_meta(v)) for doc_id, v in (sentences or {}).items() if doc_id in written]
        for rows in _slices(vectors, self.max_batch):
            self.sentences.add(
                ids=[doc_id for doc_id, _ in rows],
                embeddings=_CATALOG_VECTOR * len(rows),
                metadatas=[meta for _, meta in rows],
            )
        for meta in metas:
            meta["status"] = "ready"
        self._upsert_catalog(ids, metas, commit=True)
        return [_record(meta) for meta in metas]

    def _upsert_catalog(self, ids: Sequence[str], metas: Sequence[Any], commit: bool = False) -> None:
        """Catalog rows a slice at a time; on `commit` the generation moves after each slice made visible."""
        for part in _slices(list(zip(ids, metas, strict=True)), self.max_batch):
            rows = [doc_id for doc_id, _ in part]
            self.catalog.upsert(ids=rows, embeddings=_CATALOG_VECTOR * len(rows), metadatas=[m for _, m in part])
            if commit:
                self._touch()

    def delete(self, doc_id: str) -> None:
        self.delete_many([doc_id])

    def delete_many(self, doc_ids: Sequence[str]) -> None:
        """Hide the documents first (their catalog rows marked pending), then drop their chunks and sentence vectors,
        then the rows: a kill part-way leaves pending rows, which `recover` finishes, never orphaned chunks."""
        if not doc_ids:
            return
        for part in _slices(list(doc_ids), self._id_page):
            self.catalog.update(ids=part, metadatas=[{"status": "pending"} for _ in part])
        self._touch()
        self._drop_contents(doc_ids)
        for part in _slices(list(doc_ids), self._id_page):
            self.catalog.delete(ids=part)

    def _drop_contents(self, doc_ids: Sequence[str]) -> None:
        """Delete the chunks and sentence vectors of these documents (not their catalog rows)."""
        for part in _slices(list(doc_ids), self._id_page):
            self.chunks.delete(where=_doc_ids_in(part))
            self.sentences.delete(ids=part)

    @reread
    def sentence_vectors(self, doc_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of these documents (those indexed without any are left out)."""
        got = self.sentences.get(ids=list(dict.fromkeys(doc_ids)), include=["metadatas"])
        return {doc_id: _sentence_vectors(m) for doc_id, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    # --- reading ---------------------------------------------------------------------------
    def vector_store(self) -> ChromaVectorStore:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.chunks)

    def ready_chunks(self, ready: set[str], vectors: bool = False) -> Iterator[tuple[BaseNode, Any]]:
        """Every chunk node of the documents in `ready`, read back from Chroma, with its stored vector when
        `vectors` (else None)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        include = ["metadatas", "documents", "embeddings"] if vectors else ["metadatas", "documents"]
        for got in pages(self.chunks, include=include):
            metas, texts = got["metadatas"] or [], got["documents"] or []
            stored = got["embeddings"] if vectors else [None] * len(metas)
            for meta, text, vector in zip(metas, texts, stored, strict=True):  # type: ignore[arg-type]
                if meta.get("doc_id") in ready:
                    yield metadata_dict_to_node(dict(meta), text=text), vector

    def chunk_count(self) -> int:
        return self.chunks.count()


def pages(collection: Collection, **query: Any) -> Iterator[Any]:
    """A Chroma `get` a page of `_PAGE` records at a time: one read of tens of thousands of rows overflows
    SQLite's limit on query variables inside Chroma."""
    offset = 0
    while True:
        got = collection.get(limit=_PAGE, offset=offset, **query)
        yield got
        if len(got["ids"]) < _PAGE:
            return
        offset += _PAGE


def _slices(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive runs of at most `size` items."""
    for at in range(0, len(items), size):
        yield list(items[at : at + size])


def _doc_ids_in(ids: Sequence[str]) -> Any:
    """A Chroma filter for the chunks of these documents."""
    return {"doc_id": {"$in": list(ids)}}


def _catalog_meta(doc: Document, path: str, n_chunks: int, status: str) -> dict[str, Any]:
    m = doc.metadata
    return {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "path": path,
        "title": doc.title,
        "authors": json.dumps(list(m.authors)),
        "journal": m.journal,
        "year": m.year or 0,
        "pages": m.pages,
        "published": m.published,
        "n_chunks": n_chunks,
        "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": status,
        # Learned here, once per document, so that opening the index does not re-read every chunk for them.
        "aliases": json.dumps({"rules": ALIAS_RULES, "pairs": sorted(set(find_aliases(doc.text)))}),
    }


def _sentence_meta(vectors: SentenceVectors) -> dict[str, Any]:
    """Float16 is plenty for cosines compared at two decimals, and halves what each document stores."""
    packed = np.ascontiguousarray(vectors.vectors, dtype=np.float16).tobytes()
    return {
        "spans": json.dumps([list(span) for span in vectors.spans]),
        "dim": int(vectors.vectors.shape[1]) if len(vectors.spans) else 0,
        "vectors": base64.b64encode(packed).decode("ascii"),
    }


def _sentence_vectors(meta: Mapping[str, Any]) -> SentenceVectors:
    spans = tuple((int(s), int(e)) for s, e in json.loads(str(meta["spans"])))
    raw = np.frombuffer(base64.b64decode(str(meta["vectors"])), dtype=np.float16)
    return SentenceVectors(spans, raw.astype(np.float32).reshape(len(spans), int(meta["dim"]) or 0))


def _record(meta: Any) -> DocumentRecord:
    return DocumentRecord(
        doc_id=str(meta["doc_id"]),
        source=str(meta["source"]),
        metadata=DocumentMetadata(
            title=str(meta["title"]),
            authors=tuple(json.loads(str(meta["authors"]))),
            journal=str(meta["journal"]),
            year=int(meta["year"]) or None,
            pages=str(meta["pages"]),
            published=str(meta["published"]),
        ),
        n_chunks=int(meta["n_chunks"]),
        indexed_at=str(meta["indexed_at"]),
    )
