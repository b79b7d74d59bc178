"""The verifier's decision, chosen on the train-side validation slice only (`training.calibrate`): the support and
contradiction thresholds, the support threshold of units written far from the sentence's words, and the cap on
passage sentences scored per item.

Why two support thresholds: the weights are surest, and most often wrong, on a near copy of a passage sentence
with one fact changed (the synthetic probes), which asks a high threshold; a sentence written in other words (a
SciFact claim, a clinician's own sentence) is as precisely supported at a lower probability. A unit's regime is the
share of the sentence's content words it holds (`VerifierConfig.far`), so the far threshold never applies to a
near copy, and such a weaker support does not stand where some unit contradicts the sentence (`model.decide`; the
grid decides by the same rule, `_said`). Where it adds nothing, the single threshold stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from assistant.answer.verifier.metrics import kept_caught, macro_f1, macro_f1_rows, precision_recall, wilson_lower
from assistant.answer.verifier.model import LABELS
from assistant.answer.verifier.units import Unit

if TYPE_CHECKING:
    from assistant.answer.verifier.data import Dataset

# Caps tried for `max_units` (passage sentences scored per item, 0: all), and how much joint macro-F1 a cap that
# scores fewer units may give up: about one item of the ~500 validation items (set before calibrating with it).
UNIT_CAPS = (1, 2, 3, 4, 0)
CAP_MARGIN = 0.005
GRID = tuple(round(float(x), 2) for x in np.arange(0.30, 0.99, 0.02))
# Shares of the sentence's content words under which a unit is far (set before their first run, 2026-12-06).
NEAR_OVERLAPS = (0.5, 0.6, 0.7, 0.8, 0.9)
_SUPPORTED, _CONTRADICTED, _NOT_FOUND = range(3)

Table = dict[Unit, np.ndarray]  # an item's scored units: calibrated probabilities in LABELS order
Overlaps = dict[Unit, float]  # an item's units: the share of the sentence's content words each holds


class Decision(NamedTuple):
    """The thresholds chosen for one cap, and the validation figures they give."""

    support: float
    contradict: float
    far_support: float | None  # None: one support threshold for every unit
    near_overlap: float
    figures: dict[str, float]

    def settings(self) -> dict[str, Any]:
        """As `VerifierConfig` reads them from verifier.json."""
        return {"support_threshold": self.support, "contradict_threshold": self.contradict,
                "far_support_threshold": self.far_support, "near_overlap": self.near_overlap}  # fmt: skip


class _Choice(NamedTuple):
    """One row of the grid on the validation slice."""

    f1: float  # 3-label macro-F1 over claims and probes together
    single: bool  # one support threshold: preferred where a far one adds no F1
    far_key: float  # the far threshold (ties: the highest)
    near_key: float  # minus the near overlap (ties: the lowest)
    support: float
    contradict: float
    precision: float  # of `supported`, on the validation claims
    caught: float  # share of the changed probes caught


def choose_cap(figures: dict[int, dict[str, float]]) -> int:
    """The cap with the best joint macro-F1 on the validation slice; one within `CAP_MARGIN` of it that scores
    fewer units goes first (each unit is a model call, the verifier's whole cost)."""
    top = max(f["joint_macro_f1"] for f in figures.values())
    near = [c for c, f in figures.items() if f["joint_macro_f1"] >= top - CAP_MARGIN]
    return min(near, key=lambda c: figures[c]["units_per_item"])


def _best(tables: Sequence[Table], overlaps: Sequence[Overlaps] | None, near: float | None) -> np.ndarray:
    """Per item: the best supported probability over all its units and over its far ones (none are far when
    `near` is None), and the best contradicted one."""
    rows = []
    for i, table in enumerate(tables):
        far = [u for u in table if near is not None and overlaps is not None and overlaps[i][u] < near]
        rows.append(
            (
                max((float(p[0]) for p in table.values()), default=0.0),
                max((float(table[u][0]) for u in far), default=0.0),
                max((float(p[1]) for p in table.values()), default=0.0),
            )
        )
    return np.array(rows).reshape(-1, 3)


def _said(best: np.ndarray, support: float, far: float, contradicts: np.ndarray) -> np.ndarray:
    """Supported or not, one row per contradiction threshold: a unit at the support threshold, or a far unit at the
    far one where no unit contradicts (`model.decide`)."""
    unopposed = best[None, :, 2] < contradicts[:, None]
    return np.asarray((best[None, :, 0] >= support) | ((best[None, :, 1] >= far) & unopposed))


def _predict(best: np.ndarray, support: float, far: float, contradict: float) -> np.ndarray:
    said = _said(best, support, far, np.array([contradict]))[0]
    return np.where(said, _SUPPORTED, np.where(best[:, 2] >= contradict, _CONTRADICTED, _NOT_FOUND))


def _grid(
    claims: np.ndarray, probes: np.ndarray, gold_claims: np.ndarray, gold_probes: np.ndarray, near: float | None
) -> list[_Choice]:
    """Every (support, far support, contradiction) row for one near overlap (None: one support threshold); the
    contradiction thresholds of one support decision at once."""
    best, gold = np.concatenate([claims, probes]), np.concatenate([gold_claims, gold_probes])
    n, changed, contradicts = len(claims), gold_probes != _SUPPORTED, np.array(GRID)
    against = np.where(best[None, :, 2] >= contradicts[:, None], _CONTRADICTED, _NOT_FOUND)
    rows = []
    for support in GRID:
        for far in [2.0] if near is None else [f for f in GRID if f < support]:
            said = _said(best, support, far, contradicts)
            preds = np.where(said, _SUPPORTED, against)
            claimed = said[:, :n]
            right = np.sum(claimed & (gold_claims == _SUPPORTED), axis=1)
            precision = np.where(claimed.any(axis=1), right / np.maximum(claimed.sum(axis=1), 1), 0.0)
            caught = np.mean(~said[:, n:][:, changed], axis=1) if changed.any() else np.zeros(len(GRID))
            keys = (True, 0.0, 0.0) if near is None else (False, far, -near)
            for j, f1 in enumerate(macro_f1_rows(gold, preds)):
                rows.append(_Choice(float(f1), *keys, support, GRID[j], float(precision[j]), float(caught[j])))
    return rows


def choose_thresholds(
    data: Dataset, claims: Sequence[Table], probes: Sequence[Table],
    overlaps: tuple[Sequence[Overlaps], Sequence[Overlaps]] | None = None,
) -> Decision:  # fmt: skip
    """The thresholds with the best 3-label macro-F1 over the validation claims and probes together, among those
    that meet the issue's two targets on the side of safety: precision of `supported` >= 0.90 on the validation
    claims, and >= 0.95 of the changed probes caught by the share's 95% lower confidence bound, not its point
    estimate: a choice that sits on the target holds on new data only about half the time. Where no row meets
    both, the point estimate; then precision alone; where none reaches it, the most precise row. A wrongly kept
    change reaches a clinician as verified, a wrongly dropped paraphrase only costs an answer sentence, so catching
    is a constraint and keeping is left to the F1. With `overlaps` (of the claims' units, of the probes'), a far
    support threshold below the support one is tried for each of `NEAR_OVERLAPS`; it is kept only where it raises
    the F1 (ties: the highest far threshold, then the lowest near overlap). Validation slice only, never dev or
    test."""
    gold_claims = np.array([LABELS.index(p.label) for p in data.val_claims])
    gold_probes = np.array([LABELS.index(p.label) for p in data.val_probes])
    changed = int(np.sum(gold_probes != _SUPPORTED))
    claim_overlaps, probe_overlaps = overlaps or (None, None)
    rows: list[_Choice] = []
    for near in (None, *(NEAR_OVERLAPS if overlaps else ())):
        best = (_best(claims, claim_overlaps, near), _best(probes, probe_overlaps, near))
        rows += _grid(*best, gold_claims, gold_probes, near)
    precise = [r for r in rows if r.precision >= 0.90]
    tiers = [r for r in precise if wilson_lower(r.caught, changed) >= 0.95], [r for r in precise if r.caught >= 0.95]
    safe = next((tier for tier in (*tiers, precise) if tier), [])
    row = max(safe, key=lambda r: r[:4]) if safe else max(rows, key=lambda r: r.precision)
    near = None if row.single else -row.near_key
    bar = 2.0 if row.single else row.far_key
    c = _predict(_best(claims, claim_overlaps, near), row.support, bar, row.contradict)
    p = _predict(_best(probes, probe_overlaps, near), row.support, bar, row.contradict)
    labels = [[LABELS[i] for i in c], [LABELS[i] for i in p]]
    figures = _figures([x.label for x in data.val_claims], [x.label for x in data.val_probes], *labels)
    figures["units_per_item"] = round(float(np.mean([len(t) for t in [*claims, *probes]])), 4)
    return Decision(row.support, row.contradict, None if row.single else bar, near or 0.0, figures)


def _figures(gold_claims: list[str], gold_probes: list[str], c: list[str], p: list[str]) -> dict[str, float]:
    precision, recall = precision_recall(gold_claims, c)
    kept, caught = kept_caught(gold_probes, p)
    figures = {"claims_precision_supported": precision, "claims_recall_supported": recall,
               "claims_macro_f1": macro_f1(gold_claims, c), "probes_kept": kept, "probes_caught": caught,
               "joint_macro_f1": macro_f1(gold_claims + gold_probes, c + p)}  # fmt: skip
    return {k: round(v, 4) for k, v in figures.items()}
