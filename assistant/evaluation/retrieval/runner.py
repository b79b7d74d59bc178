"""Run every retrieval pipeline over a dataset's queries, in one process, on one cached index."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.evaluation.retrieval.build import Say, Throughput, open_index
from assistant.evaluation.retrieval.datasets import Dataset, Query
from assistant.evaluation.retrieval.metrics import RECALL_AT, Row, score_run
from assistant.retrieval.hybrid import PIPELINES, HybridRetriever, Pipeline, default_pipeline
from assistant.settings import Settings
from assistant.store.embeddings import SentenceTransformerEmbedder

DEPTH = max(RECALL_AT)  # documents ranked per query


@dataclass
class BenchReport:
    """The figures of one benchmark run, ready for `--json` and the report files."""

    dataset: str
    n_queries: int
    n_docs: int
    rows: list[Row]
    default: str
    throughput: Throughput | None = None
    setup: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "n_queries": self.n_queries,
            "n_docs": self.n_docs,
            "default": self.default,
            "rows": [r.to_json() for r in self.rows],
        }

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.pipeline == name)


def pipelines(settings: Settings) -> list[Pipeline]:
    """The pipelines a run compares: every one, the reranked one only when a reranker is configured."""
    return [p for p in PIPELINES if not p.rerank or settings.retrieval.reranker]


def open_retriever(
    dataset: Dataset, settings: Settings, embedder: SentenceTransformerEmbedder, say: Say = print
) -> tuple[HybridRetriever, Throughput | None]:
    store, throughput = open_index(dataset, settings, embedder, say)
    retriever = HybridRetriever(store, embedder, settings.retrieval)
    retriever.refresh()
    return retriever, throughput


def evaluate(retriever: HybridRetriever, queries: Sequence[Query], pipeline: Pipeline) -> Row:
    """One pipeline over the queries. Latency counts the question's embedding (the cache is emptied first)."""
    runs: list[tuple[list[str], frozenset[str]]] = []
    latencies: list[float] = []
    for q in queries:
        retriever.embedder.forget()  # each pipeline pays for its own question embedding
        started = time.perf_counter()
        ranked = retriever.rank_documents(q.text, DEPTH, pipeline)
        latencies.append((time.perf_counter() - started) * 1000)
        runs.append(([doc for doc, _ in ranked], q.relevant))
    return score_run(pipeline.name, runs, latencies)


def run_benchmark(
    dataset: Dataset,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    limit: int | None = None,
    say: Say = print,
) -> BenchReport:
    retriever, throughput = open_retriever(dataset, settings, embedder, say)
    queries = dataset.queries[:limit] if limit else dataset.queries
    rows = []
    for pipeline in pipelines(settings):
        rows.append(evaluate(retriever, queries, pipeline))
        say(f"{dataset.name} {pipeline.name}: nDCG@10 {rows[-1].ndcg10:.4f}, R@1 {rows[-1].recall[1]:.4f}")
    default = default_pipeline(settings.retrieval).name
    setup: dict[str, object] = {
        "settings": settings.retrieval.model_dump(),
        "fingerprint": settings.index_fingerprint(),
    }
    n_docs = len(retriever.store.ready_ids())
    return BenchReport(dataset.name, len(queries), n_docs, rows, default, throughput, setup)
