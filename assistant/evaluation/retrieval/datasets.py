"""SciFact and PubMedQA (PQA-L) as retrieval benchmarks: documents, evaluated queries, tuning queries.

Formats and licences: `../shared/bench/README.md`. Documents become ordinary `Document`s (title in
the metadata, one abstract sentence or section per line) so they go through the product's chunking,
embedding and store like any file would.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from assistant.models import Document, DocumentMetadata


@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    relevant: frozenset[str]  # doc ids


@dataclass(frozen=True)
class Dataset:
    """Documents to index, the queries reported on, and the queries that tuning may look at."""

    name: str
    documents: tuple[Document, ...]
    queries: tuple[Query, ...]  # the evaluated split (SciFact dev = BEIR test; PubMedQA official test)
    tune: tuple[Query, ...]  # disjoint from `queries` (SciFact train; PubMedQA outside the test split)

    def sliced(self, n_queries: int, n_distractors: int, seed: int = 13) -> Dataset:
        """The first `n_queries` queries against their relevant documents plus `n_distractors` others."""
        queries = self.queries[:n_queries]
        wanted = set().union(*(q.relevant for q in queries)) if queries else set()
        others = [d.doc_id for d in self.documents if d.doc_id not in wanted]
        wanted |= set(random.Random(seed).sample(others, min(n_distractors, len(others))))
        docs = tuple(d for d in self.documents if d.doc_id in wanted)
        return Dataset(f"{self.name}-{n_queries}q-{len(docs)}d", docs, queries, ())


def load_dataset(name: str, bench_dir: Path) -> Dataset:
    """The named data set, read from its folder `bench_dir/<name>` (the registry `DATASETS` names them)."""
    folder = bench_dir / name
    if name in DATASETS and not folder.is_dir():
        raise AssistantError(
            f"benchmark data not found at {folder}; the data sets live in ../shared/bench "
            "(ASSISTANT_PATHS__BENCH_DIR), see its README"
        )
    reader = DATASETS.get(name)
    if reader is None:
        raise AssistantError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return reader(folder)


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _document(doc_id: str, title: str, lines: list[str]) -> Document:
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    # No source name: `Document.title` falls back to it, and an id in every chunk's title is noise.
    return Document(doc_id=doc_id, source="", text=text, metadata=DocumentMetadata(title=title))


def _scifact(folder: Path) -> Dataset:
    docs = tuple(
        _document(str(row["doc_id"]), str(row["title"]), [str(s) for s in row["abstract"]])  # type: ignore[attr-defined]
        for row in _jsonl(folder / "corpus.jsonl")
    )

    def claims(file: str) -> tuple[Query, ...]:
        rows = _jsonl(folder / file)
        return tuple(
            Query(str(r["id"]), str(r["claim"]), frozenset(str(d) for d in r["cited_doc_ids"]))  # type: ignore[attr-defined]
            for r in rows
            if r["cited_doc_ids"]
        )

    return Dataset("scifact", docs, claims("claims_dev.jsonl"), claims("claims_train.jsonl"))


def _pubmedqa(folder: Path) -> Dataset:
    rows: dict[str, dict[str, object]] = json.loads((folder / "ori_pqal.json").read_text(encoding="utf-8"))
    test = set(json.loads((folder / "test_ground_truth.json").read_text(encoding="utf-8")))
    # PQA-L abstracts have no title: the question is usually the paper's title turned into a question.
    docs = tuple(_document(pmid, "", [str(c) for c in r["CONTEXTS"]]) for pmid, r in rows.items())  # type: ignore[attr-defined]
    queries = [Query(pmid, str(r["QUESTION"]), frozenset({pmid})) for pmid, r in rows.items()]
    return Dataset(
        "pubmedqa",
        docs,
        tuple(q for q in queries if q.qid in test),
        tuple(q for q in queries if q.qid not in test),
    )


# A reader per data set, by the name of its folder under the bench data: a new data set is a reader and a line here.
DATASETS: dict[str, Callable[[Path], Dataset]] = {"scifact": _scifact, "pubmedqa": _pubmedqa}
