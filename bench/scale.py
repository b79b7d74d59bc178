"""Scale benchmark: index the SciFact corpus, grow it to 100k+ chunks, and time questions at each size.

    .venv/bin/python bench/scale.py [--docs 5183] [--sizes 1000,10000,100000] [--queries 30]

Prints, all measured in the same run:
- indexing throughput of the real indexer (chunk + embed + store) in chunks/s, and its ratio to a bare
  `SentenceTransformer.encode` of the same chunk texts: every `--every`-th batch is encoded again right after it
  is indexed, so both see the same machine load (target >= 0.85);
- for each corpus size: index size on disk, peak memory, and question latency p50/p95 for retrieval
  and for the full extractive answer (model load excluded; target: answer p50 <= 100 ms at 100k).
Larger sizes replicate the embedded SciFact chunks under new document ids (their chunk and sentence vectors
are reused, as the issue allows: "replicated with ids changed"), so only the first pass pays for embedding.
Each timed question starts cold: its embedding and its documents' sentence vectors are not cached.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant  # noqa: E402,F401  (offline environment first)
from assistant.api import Assistant  # noqa: E402
from assistant.ingest.chunking import chunk_document  # noqa: E402
from assistant.ingest.encoding import texts_to_encode  # noqa: E402
from assistant.ingest.indexing import embed_documents, to_encode  # noqa: E402
from assistant.models import Document, DocumentMetadata  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from assistant.store.nodes import make_node  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "bench" / "scifact"


def _documents(limit: int) -> list[Document]:
    docs = []
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            r = json.loads(line)
            text = r["title"] + "\n\n" + " ".join(r["abstract"])
            meta = DocumentMetadata(title=r["title"])
            docs.append(Document(f"sf{r['doc_id']:0>14}", f"scifact-{r['doc_id']}", text, meta))
            if len(docs) >= limit:
                break
    return docs


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Throughput:
    """Seconds spent indexing and in the bare-encode baseline, and what each processed."""

    every: int  # every `every`-th batch is also bare-encoded, right after it is indexed
    chunks: int = 0
    seconds: float = 0.0
    bare_chunks: int = 0
    bare_seconds: float = 0.0
    batches: int = 0

    def report(self, documents: int) -> None:
        rate, bare = self.chunks / self.seconds, self.bare_chunks / self.bare_seconds
        print(f"indexed {documents} abstracts, {self.chunks} chunks in {self.seconds:.1f} s: {rate:.1f} chunks/s")
        print(
            f"bare SentenceTransformer.encode of the same texts (every {self.every}th batch, {self.bare_chunks} "
            f"chunks, right after it was indexed): {bare:.1f} chunks/s; ratio {rate / bare:.2f} (target >= 0.85)"
        )


def index_real(a: Assistant, docs: list[Document], target: int, done: list, clock: Throughput) -> None:
    """Index real documents the way the indexer does (batches of ~256 chunks: chunk, one encoding call, one
    `write_many`) until the index holds `target` chunks. Every `clock.every`-th batch's texts (its chunks and
    sentences, what `assistant.ingest.encoding` encodes) are encoded again by a bare
    `SentenceTransformer.encode`, same batch size, so that the baseline sees the same machine load as the
    indexing it is compared with. Indexed documents are appended to `done` with their nodes and sentence vectors."""
    while docs and a.store.chunk_count() < target:
        started = time.perf_counter()
        batch = []
        while docs and sum(len(c) for _, c, _ in batch) < 256:
            doc = docs.pop(0)
            chunks = chunk_document(doc, a.settings.chunking)
            batch.append((doc, chunks, [make_node(doc, c) for c in chunks]))
        sentences = embed_documents(a.embedder, batch)
        a.store.write_many([(doc, "", nodes) for doc, _, nodes in batch], sentences)
        clock.seconds += time.perf_counter() - started
        clock.chunks += sum(len(c) for _, c, _ in batch)
        done.extend((doc, nodes, sentences[doc.doc_id]) for doc, _, nodes in batch)
        if clock.batches % clock.every == 0:
            texts = texts_to_encode([to_encode(doc, chunks, nodes) for doc, chunks, nodes in batch])
            started = time.perf_counter()
            a.embedder.model.encode(texts, batch_size=a.settings.embedding.batch_size, normalize_embeddings=True)
            clock.bare_seconds += time.perf_counter() - started
            clock.bare_chunks += sum(len(c) for _, c, _ in batch)
        clock.batches += 1


def grow_to(a: Assistant, all_nodes: list, target: int, copy: int) -> int:
    """Add replicas (new ids, same chunk and sentence vectors) until the index holds `target` chunks;
    returns the copy counter."""
    count = a.store.chunk_count()
    pending: list = []
    sentences: dict = {}
    while count < target:
        for doc, nodes, vectors in all_nodes:
            if count >= target:
                break
            twin = replace(doc, doc_id=f"{doc.doc_id}r{copy:03d}", source=f"{doc.source}-r{copy}")
            pending.append((twin, "", [_clone(node, twin.doc_id) for node in nodes]))
            sentences[twin.doc_id] = vectors
            count += len(nodes)
            if len(pending) >= 200:
                a.store.write_many(pending, sentences)
                pending, sentences = [], {}
        copy += 1
    a.store.write_many(pending, sentences)
    return copy


def _clone(node: Any, doc_id: str) -> Any:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo

    clone = node.model_copy(deep=True)
    clone.id_ = f"{doc_id}-{node.metadata['chunk_index']:05d}"
    clone.metadata["doc_id"] = doc_id
    # The stored doc_id comes from the source relationship (see store.nodes.make_node).
    clone.relationships = {NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)}
    return clone


def time_questions(a: Assistant, questions: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds per question, retrieval alone and the full answer, each starting with nothing cached
    for the question (its embedding, its documents' sentence vectors and its answer-relevance scores)."""
    a.retriever.refresh()
    a.ask(questions[0])  # warm-up: BM25 build and first-call costs outside the timing
    retrieval, full = [], []
    for q in questions:
        for clock in (retrieval, full):
            a.embedder.forget()
            a.retriever.forget()
            if a.relevance is not None:
                a.relevance.forget()  # else every size after the first leaves out the answer-relevance model
            t = time.perf_counter()
            a.retriever.retrieve(q) if clock is retrieval else a.ask(q)
            clock.append((time.perf_counter() - t) * 1000)
    return retrieval, full


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=5183)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--every", type=int, default=8, help="bare-encode every Nth indexed batch as the baseline")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    index_dir = Path(tempfile.mkdtemp()) / "index"
    a = Assistant(load_settings(paths={"index_dir": index_dir}), index_seeds=False)
    print(f"device: {a.settings.embedding.device}; model: {a.settings.embedding.model}")
    claims = [json.loads(line)["claim"] for line in (SCIFACT / "claims_dev.jsonl").open()][: args.queries]

    print("| chunks | disk MB | peak RSS MB | retrieval p50 / p95 ms | full answer p50 / p95 ms |")
    print("|---|---|---|---|---|")
    docs, all_nodes, copy = _documents(args.docs), [], 0
    clock = Throughput(args.every)
    a.embedder.model.encode(["warm-up"] * 10)  # model load and first-call costs outside both timings
    for size in sizes:
        index_real(a, docs, size, all_nodes, clock)
        copy = grow_to(a, all_nodes, size, copy)
        retrieval, full = time_questions(a, claims)
        print(
            f"| {a.store.chunk_count()} | {_disk_mb(index_dir):.0f} | {_peak_mb():.0f} | "
            f"{statistics.median(retrieval):.0f} / {_pct(retrieval, 0.95):.0f} | "
            f"{statistics.median(full):.0f} / {_pct(full, 0.95):.0f} |",
            flush=True,
        )
    clock.report(len(all_nodes))


if __name__ == "__main__":
    main()
