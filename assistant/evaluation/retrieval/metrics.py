"""IR metrics over ranked document ids with binary relevance, as BEIR/pytrec_eval compute them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence, Set
from dataclasses import dataclass

RECALL_AT = (1, 5, 10, 100)


def ndcg(ranked: Sequence[str], relevant: Set[str], k: int = 10) -> float:
    gain = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def recall(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Set[str], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in relevant), 0.0)


@dataclass(frozen=True)
class Row:
    """One pipeline's figures over a query set (means; p50 latency in milliseconds)."""

    pipeline: str
    ndcg10: float
    recall: dict[int, float]
    mrr10: float
    p50_ms: float

    def to_json(self) -> dict[str, object]:
        return {
            "pipeline": self.pipeline,
            "ndcg@10": round(self.ndcg10, 4),
            **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
            "mrr@10": round(self.mrr10, 4),
            "p50_ms": round(self.p50_ms, 1),
        }


def score_run(pipeline: str, runs: Sequence[tuple[Sequence[str], Set[str]]], latencies_ms: Sequence[float] = ()) -> Row:
    """Mean metrics of (ranked doc ids, relevant ids) pairs."""
    n = len(runs) or 1
    return Row(
        pipeline=pipeline,
        ndcg10=sum(ndcg(r, rel) for r, rel in runs) / n,
        recall={k: sum(recall(r, rel, k) for r, rel in runs) / n for k in RECALL_AT},
        mrr10=sum(reciprocal_rank(r, rel) for r, rel in runs) / n,
        p50_ms=statistics.median(latencies_ms) if latencies_ms else 0.0,
    )
