"""The retrieval benchmark's markdown table and JSON, printed and written beside the eval reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from assistant.evaluation import report as eval_report
from assistant.evaluation.retrieval.metrics import RECALL_AT
from assistant.evaluation.retrieval.runner import BenchReport


def markdown(report: BenchReport) -> str:
    head = ["pipeline", "nDCG@10", *(f"R@{k}" for k in RECALL_AT), "MRR@10", "p50 ms"]
    lines = [
        f"# Retrieval benchmark: {report.dataset}",
        "",
        f"{report.n_queries} queries against {report.n_docs} documents; default pipeline: `{report.default}`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in report.rows:
        cells = [f"{row.ndcg10:.4f}", *(f"{row.recall[k]:.4f}" for k in RECALL_AT), f"{row.mrr10:.4f}"]
        name = f"**{row.pipeline}**" if row.pipeline == report.default else row.pipeline
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {row.p50_ms:.1f} |")
    lines += ["", _throughput_line(report), "", "Retrieval settings: `" + json.dumps(report.setup) + "`", ""]
    return "\n".join(lines)


def _throughput_line(report: BenchReport) -> str:
    if report.throughput is None:
        return "Index reused from the cache (nothing embedded in this run, so no throughput figure)."
    return f"Index throughput: {report.throughput}."


def write_report(report: BenchReport, folder: Path | None = None) -> list[Path]:
    folder = folder or eval_report.REPORTS_DIR  # the one reports folder, read at call time
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{datetime.now(UTC).date().isoformat()}-retrieval-{report.dataset}"
    md, js = stem.with_suffix(".md"), stem.with_suffix(".json")
    md.write_text(markdown(report), encoding="utf-8")
    payload = report.to_json()
    if report.throughput is not None:
        t = report.throughput
        payload["throughput"] = {
            "passages_per_s": round(t.rate, 2),
            "bare_per_s": round(t.bare_rate, 2),
            "ratio": round(t.ratio, 3),
        }
    js.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return [md, js]
