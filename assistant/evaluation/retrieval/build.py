"""Cached benchmark indexes, built through the product's own chunking, embedding and store.

One index per dataset and `Settings.index_fingerprint()`, under `<index_dir>/.bench-cache/` (git-ignored
with the index). Documents already committed there are skipped, so a second run embeds nothing and an
interrupted build resumes. While building, indexing throughput is measured next to a bare
`SentenceTransformer.encode` of the same texts (those `assistant.ingest.encoding` puts through the model: each
chunk and each sentence), every `SAMPLE_EVERY`th batch, in the same run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.evaluation.retrieval.datasets import Dataset
from assistant.ingest.chunking import chunk_document, count_tokens
from assistant.ingest.encoding import texts_to_encode
from assistant.ingest.indexing import embed_documents, to_encode, writer_lock
from assistant.models import Chunk, Document
from assistant.settings import Settings, StoreSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import SentenceTransformerEmbedder
from assistant.store.nodes import make_node

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

Say = Callable[[str], None]
Group = list[tuple[Document, list[Chunk], list["TextNode"]]]  # documents with their chunks, embedded in one call
EMBED_GROUP = 128  # texts per embedding call: whole documents grouped, so that length-sorted batches pad little
SAMPLE_EVERY = 3  # every 3rd batch is also encoded bare, right after, for the throughput baseline


@dataclass(frozen=True)
class Throughput:
    """Indexing speed over the whole build against a bare encode of every `SAMPLE_EVERY`th batch's texts.

    Each bare encode runs right after its batch, so on a shared machine both figures average over the same
    stretch of load.
    """

    passages: int
    seconds: float  # chunking + embedding + store writes, all batches
    sampled: int  # passages encoded bare as well
    bare_seconds: float  # SentenceTransformer.encode alone on them

    @property
    def rate(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0

    @property
    def bare_rate(self) -> float:
        return self.sampled / self.bare_seconds if self.bare_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.bare_rate if self.bare_rate else 0.0

    def __str__(self) -> str:
        return (
            f"indexed {self.passages} passages at {self.rate:.1f} passages/s; a bare SentenceTransformer.encode "
            f"of {self.sampled} of the same texts ran at {self.bare_rate:.1f} passages/s: ratio {self.ratio:.2f}"
        )


def cache_dir(settings: Settings, name: str) -> Path:
    return settings.paths.index_dir / ".bench-cache" / f"{name}-{settings.index_fingerprint()}"


def bench_settings(settings: Settings, name: str) -> Settings:
    """The same settings pointed at the dataset's cache folder (always a local Chroma, never the user's index)."""
    paths = settings.paths.model_copy(update={"index_dir": cache_dir(settings, name)})
    return settings.model_copy(update={"paths": paths, "store": StoreSettings()})


def open_index(
    dataset: Dataset, settings: Settings, embedder: SentenceTransformerEmbedder, say: Say = print
) -> tuple[Store, Throughput | None]:
    """The dataset's store, building what is missing; the throughput when anything was built."""
    bench = bench_settings(settings, dataset.name)
    with writer_lock(bench.paths.index_dir):
        store = Store(bench)
        store.recover()
        done = store.ready_ids()
        todo = [d for d in dataset.documents if d.doc_id not in done]
        if not todo:
            say(f"{dataset.name}: reusing the cached index at {bench.paths.index_dir} ({len(done)} documents)")
            return store, None
        say(f"{dataset.name}: indexing {len(todo)} documents into {bench.paths.index_dir}")
        throughput = _build(store, embedder, todo, say)
    say(f"{dataset.name}: {throughput}")
    return store, throughput


def extend_index(
    store: Store, embedder: SentenceTransformerEmbedder, docs: Sequence[Document], say: Say = print
) -> Throughput | None:
    """Add the documents the store does not hold yet (a cached benchmark index, or a test's); None when none."""
    with writer_lock(store.settings.paths.index_dir):
        store.recover()
        done = store.ready_ids()
        todo = [d for d in docs if d.doc_id not in done]
        return _build(store, embedder, todo, say) if todo else None


def _groups(store: Store, docs: Sequence[Document]) -> Iterator[tuple[int, Group]]:
    """(documents done, their nodes) in groups of about EMBED_GROUP passages."""
    group: Group = []
    for i, doc in enumerate(docs, 1):
        chunks = chunk_document(doc, store.settings.chunking)
        if chunks:
            group.append((doc, chunks, [make_node(doc, chunk) for chunk in chunks]))
        if sum(len(c) for _, c, _ in group) >= EMBED_GROUP or i == len(docs):
            yield i, group
            group = []


def _build(store: Store, embedder: SentenceTransformerEmbedder, docs: Sequence[Document], say: Say) -> Throughput:
    """Embed each group of documents in one call and write it in one batch (each document pending -> ready)."""
    embedder.model  # noqa: B018  (load the model and the tokenizer before the clock starts)
    count_tokens("warm-up", store.settings.chunking.encoding)
    total = Counter[str]()
    started = time.perf_counter()
    for n, (done, group) in enumerate(_groups(store, docs)):
        sentences = embed_documents(embedder, group)
        # One batch per group: per-document writes cost four Chroma commits each, as much as the embedding.
        store.write_many([(doc, "", nodes) for doc, _, nodes in group], sentences)
        passages = sum(len(chunks) for _, chunks, _ in group)
        total.update({"passages": passages})
        if n % SAMPLE_EVERY == 1 or (done == len(docs) and not total["sampled"]):
            texts = texts_to_encode([to_encode(doc, chunks, nodes) for doc, chunks, nodes in group])
            total.update({"sampled": passages, "bare": _bare_encode(embedder, texts)})
        say(f"  {done}/{len(docs)} documents, {total['passages']:.0f} passages")
    seconds = time.perf_counter() - started - total["bare"]  # the bare encodes are not the pipeline's time
    return Throughput(int(total["passages"]), seconds, int(total["sampled"]), total["bare"])


def _bare_encode(embedder: SentenceTransformerEmbedder, texts: list[str]) -> float:
    """Seconds for the bare model to encode the texts, with the embedder's batch size."""
    model = embedder.model
    started = time.perf_counter()
    model.encode(texts, batch_size=embedder.settings.batch_size, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started
