"""The queries the default retrieval pipeline gets wrong, for reading: where the relevant document ranks,
and what ranked first instead.

    .venv/bin/python bench/retrieval_misses.py scifact|pubmedqa [--k 10]

Reuses the cached benchmark index (run `make bench-retrieval` first, or this builds it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.evaluation.retrieval.datasets import DATASETS, load_dataset
from assistant.evaluation.retrieval.runner import DEPTH, open_retriever
from assistant.retrieval.hybrid import default_pipeline
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--k", type=int, default=10, help="a query is a miss when no relevant document is in its top k")
    args = parser.parse_args()
    settings = load_settings()
    dataset = load_dataset(args.dataset, settings.paths.bench_dir)
    # PubMedQA contexts have no title: their opening words stand in.
    titles = {d.doc_id: d.metadata.title or " ".join(d.text.split()[:14]) for d in dataset.documents}
    retriever, _ = open_retriever(
        dataset, settings, SentenceTransformerEmbedder(settings.embedding), say=lambda _: None
    )
    pipeline = default_pipeline(settings.retrieval)
    misses = 0
    for q in dataset.queries:
        ranked = [doc for doc, _ in retriever.rank_documents(q.text, DEPTH, pipeline)]
        ranks = sorted(ranked.index(d) + 1 if d in ranked else DEPTH + 1 for d in q.relevant)
        if ranks[0] <= args.k:
            continue
        misses += 1
        print(f"- {q.qid}: {q.text}")
        print(f"  relevant at rank {ranks} ({'; '.join(titles[d][:90] for d in q.relevant)})")
        print(f"  first instead: {titles[ranked[0]][:110]}")
    print(f"{misses} of {len(dataset.queries)} queries have no relevant document in their top {args.k}")


if __name__ == "__main__":
    main()
