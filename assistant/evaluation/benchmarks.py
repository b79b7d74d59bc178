"""The public retrieval benchmarks (`assistant.evaluation.retrieval`) written in the eval report format.

One report per pipeline: suite `retrieval-<dataset>`, mode = the pipeline, so the chart compares
the pipelines (and each with its previous run) as it compares answer modes for the seeds.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.evaluation.report import Report, write_report

if TYPE_CHECKING:
    from assistant.evaluation.retrieval.runner import BenchReport

DEFINITIONS = {
    "ndcg_at_10": "Over the queries: mean nDCG@10 of the ranked documents with binary relevance (as BEIR computes it).",
    "mrr_at_10": "Over the queries: mean of 1/rank of the first relevant document in the first 10 (0 when none).",
    "latency_p50_ms": "Over the queries: median time to rank the documents, question embedding included, in ms.",
}


def benchmark_reports(bench: BenchReport, date: str | None = None) -> list[Report]:
    """A Report per pipeline of a benchmark run, its metrics named like the seed eval's."""
    date = date or datetime.date.today().isoformat()
    reports = []
    for row in bench.rows:
        metrics: dict[str, float | None] = {"ndcg_at_10": row.ndcg10}
        metrics |= {f"recall_at_{k}": v for k, v in row.recall.items()}
        metrics |= {"mrr_at_10": row.mrr10, "latency_p50_ms": row.p50_ms}
        definitions = DEFINITIONS | {
            f"recall_at_{k}": f"Over the queries: mean share of the relevant documents among the first {k} ranked."
            for k in row.recall
        }
        setup = {"documents": f"{bench.n_docs} abstracts", "default pipeline": bench.default} | bench.setup
        reports.append(
            Report(
                f"retrieval-{bench.dataset}",
                row.pipeline,
                date,
                bench.n_queries,
                metrics,
                setup=setup,
                definitions=definitions,
            )
        )
    return reports


def write_benchmark_reports(bench: BenchReport, reports_dir: Path | None = None) -> list[Path]:
    """`eval/reports/<date>-retrieval-<dataset>-<pipeline>.{md,json,png}` for every pipeline."""
    return [path for report in benchmark_reports(bench) for path in write_report(report, reports_dir)]
