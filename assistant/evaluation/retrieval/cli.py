"""`assistant eval retrieval --dataset scifact|pubmedqa [--json] [--limit N] [--distractors M]`.

`main(argv)` takes the arguments after `eval retrieval`. Progress goes to stderr; stdout holds the
table (or, with `--json`, exactly one JSON object).
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.errors import AssistantError, exit_status
from assistant.evaluation.retrieval.datasets import DATASETS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant eval retrieval",
        description="Retrieval benchmarks (SciFact, PubMedQA) for every pipeline, on a cached index per dataset.",
    )
    p.add_argument("--dataset", choices=DATASETS, required=True, help="benchmark data set in ../shared/bench")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N queries")
    p.add_argument(
        "--distractors",
        type=int,
        default=None,
        help="index only the evaluated queries' documents plus M others (a small, separately cached slice)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return exit_status(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from assistant.evaluation.retrieval.datasets import load_dataset
    from assistant.evaluation.retrieval.report import markdown, write_report
    from assistant.evaluation.retrieval.runner import run_benchmark
    from assistant.settings import load_settings
    from assistant.store.embeddings import SentenceTransformerEmbedder

    if args.limit is not None and args.limit < 1:
        raise AssistantError("--limit must be at least 1")
    settings = load_settings()
    dataset = load_dataset(args.dataset, settings.paths.bench_dir)
    if args.distractors is not None:
        dataset = dataset.sliced(args.limit or len(dataset.queries), args.distractors)
    report = run_benchmark(dataset, settings, SentenceTransformerEmbedder(settings.embedding), args.limit, _say)
    for path in write_report(report):
        _say(f"wrote {path}")
    print(json.dumps(report.to_json()) if args.json else markdown(report))
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
