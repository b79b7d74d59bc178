"""Verdict metrics shared by training (threshold choice on validation) and the benchmark."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from assistant.answer.verifier.model import LABELS


def precision_recall(gold: Sequence[str], pred: Sequence[str], label: str = "supported") -> tuple[float, float]:
    tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
    predicted, actual = list(pred).count(label), list(gold).count(label)
    return (tp / predicted if predicted else 0.0), (tp / actual if actual else 0.0)


def kept_caught(gold: Sequence[str], pred: Sequence[str]) -> tuple[float, float]:
    """Share of faithful sentences kept (supported) and of changed ones caught (anything but supported)."""
    faithful = [p for g, p in zip(gold, pred, strict=True) if g == "supported"]
    changed = [p for g, p in zip(gold, pred, strict=True) if g != "supported"]
    kept = sum(p == "supported" for p in faithful) / max(1, len(faithful))
    return kept, sum(p != "supported" for p in changed) / max(1, len(changed))


def wilson_lower(share: float, n: int, z: float = 1.645) -> float:
    """One-sided lower confidence bound (95% for z 1.645) of a share observed on `n` items (Wilson score)."""
    if n == 0:
        return 0.0
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    index = {label: i for i, label in enumerate(LABELS)}
    return float(macro_f1_rows(np.array([index[g] for g in gold]), np.array([index[p] for p in pred]))[0])


def macro_f1_rows(gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Macro-F1 over the three labels (indices into LABELS) of each row of `pred` against `gold`: the threshold
    grid scores many decisions at once (`decision`)."""
    pred = np.atleast_2d(pred)
    total = np.zeros(len(pred))
    for k in range(len(LABELS)):
        tp = np.sum((pred == k) & (gold == k), axis=1)
        wrong = np.sum((pred == k) & (gold != k), axis=1) + np.sum((pred != k) & (gold == k), axis=1)
        total += np.where(tp > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 0.0)
    return total / len(LABELS)


def ranking_ceiling(positive: Sequence[bool], scores: Sequence[float], recall: float) -> tuple[float, float]:
    """Average precision of `scores` ranking the positives first, and the best precision any threshold reaches with
    at least `recall` of them: what the scores allow whatever threshold a decision picks (a report, never a choice)."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    hits = np.asarray(positive, dtype=bool)[order]
    if not hits.any():
        return 0.0, 0.0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    reached = np.cumsum(hits) / hits.sum() >= recall - 1e-12
    return float(precision[hits].mean()), float(precision[reached].max())
