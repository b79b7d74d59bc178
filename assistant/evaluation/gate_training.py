"""Training the learned answer gate (`assistant.answer.gate.learned`) on tune cases only.

The cases are those of `gate_tuning` (every question asked once with every reason off, the gate's figures recorded).
`train` reads only the tune suites (`TUNE_SUITES`: the seed tune split, the seed questions in other words of
`tune_paraphrase`, PubMedQA and SciFact outside their test parts) and fits a logistic regression of answerable
against the features of `learned.FEATURES`, then chooses its decision threshold on the same suites: the one that
maximises `mean_share` (the objective the rule gate was chosen by) while the seed tune split stays at its CI gate.
The held-out suites (`HELD_OUT_SUITES`) are only ever reported (`bench/gate_train.py`). Nothing is random: Newton's
method from zero weights.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from assistant.answer.gate.figures import vetoed
from assistant.answer.gate.learned import FEATURES, Feature, LearnedGate, feature_values, retrieval_fingerprint
from assistant.answer.relevance.model import RelevanceConfig
from assistant.answer.verifier.card import sha256
from assistant.answer.verifier.model import VerifierConfig
from assistant.evaluation.gate_tuning import Case, Replay, keeps_seed_gate, mean_share, shares
from assistant.evaluation.thresholds import Threshold, load_thresholds
from assistant.settings import Settings

TUNE_SUITES = ("seeds", "tune_paraphrase", "pubmedqa-tune", "scifact-tune")
SEED_SUITES = ("seeds", "tune_paraphrase")  # questions about the seeds, which `seed_weight` multiplies
HELD_OUT_SUITES = ("heldout", "pubmedqa-test", "scifact-test")
# How much more each seed suite weighs than its balanced share; the first that lets the seed split keep its CI gate
# and gives the best tune objective is taken (ties: the smaller). A 1-2-3-5-10 series, fixed before training.
SEED_WEIGHTS = (1.0, 2.0, 3.0, 5.0, 10.0)
C = 1.0  # inverse L2 strength on the standardised weights (the intercept is not penalised)


def figure_sources(settings: Settings, features: Sequence[str] = FEATURES) -> dict[str, str]:
    """A fingerprint of what the gate's figures come from: the claim verifier decides which questions are forced
    refusals (no sentence verified); the answer-relevance model gives `relevance` (only when the features read it);
    the retrieval settings shape `retrieved` (`learned.retrieval_fingerprint`). A gate trained on figures from
    other models or settings than the shipped ones no longer matches what the answer step computes. A model's
    fingerprint covers its weights and the settings the runtime reads beside them, not the validation figures saved
    in the same file: a recalibration that changes no decision leaves the gate current."""
    paths = settings.paths
    models = {"verifier": (paths.verifier_dir, asdict(VerifierConfig.load(paths.verifier_dir)))}
    if "relevance" in features:
        models["relevance"] = (paths.relevance_dir, asdict(RelevanceConfig.load(paths.relevance_dir)))
    found = {
        name: hashlib.sha256(
            (sha256(folder / "model.safetensors") + json.dumps(read, sort_keys=True)).encode()
        ).hexdigest()
        for name, (folder, read) in models.items()
    }
    return {**found, "retrieval": retrieval_fingerprint(settings.retrieval)}


def design(cases: Sequence[Case], features: Sequence[str] = FEATURES) -> np.ndarray:
    """One row of `features` (in that order) per case; every figure must have been computed."""
    rows = [[feature_values(c.figures)[name] for name in features] for c in cases]
    missing = sorted({name for row in rows for name, v in zip(features, row, strict=True) if v is None})
    if missing:
        raise ValueError(f"cases recorded without {missing}: ask them again with those figures computed")
    return np.array(rows, dtype=float)


def case_weights(cases: Sequence[Case], seed_weight: float = 1.0) -> np.ndarray:
    """Weights in the objective's own terms (`mean_share`, one answered and one refused share per suite).

    Balanced per suite and class: within each suite the answerable questions share one unit of weight in
    proportion to their answer score (answering a question whose answer scores 0 gains nothing), the unanswerable
    questions another unit. So PubMedQA's 500 and SciFact's 300 questions weigh no more than the 72 seed questions;
    the seed suites' units are then multiplied by `seed_weight`. A forced refusal (no sentence verified) weighs 0:
    no gate changes it. Scaled to a mean of 1."""
    weights = np.zeros(len(cases))
    for suite in {c.suite for c in cases}:
        for answerable in (True, False):
            group = [i for i, c in enumerate(cases) if c.suite == suite and c.answerable == answerable]
            for i in group:
                case = cases[i]
                value = 0.0 if case.forced else (case.score if answerable else 1.0)
                weights[i] = value / len(group) * (seed_weight if suite in SEED_SUITES else 1.0)
    scaled: np.ndarray = weights * len(cases) / weights.sum()
    return scaled


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float = C) -> tuple[np.ndarray, float]:
    """Weights and intercept minimising c * sum(w * log loss) + |weights|^2 / 2, by Newton's method."""
    design_ = np.hstack([np.ones((len(x), 1)), x])
    theta = np.zeros(design_.shape[1])
    penalty = np.eye(design_.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design_ @ theta)))
        gradient = c * design_.T @ (w * (p - y)) + penalty @ theta
        hessian = c * (design_.T * (w * p * (1 - p))) @ design_ + penalty
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-12:
            break
    return theta[1:], float(theta[0])


def fit(cases: Sequence[Case], seed_weight: float, c: float = C, features: Sequence[str] = FEATURES) -> LearnedGate:
    """The logistic regression on `cases` (standardised on them); its threshold is left at 0.5. Numbers are kept to
    6 decimals, so that the last-digit noise of the figures between two runs does not change the file."""
    x = design(cases, features)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    y = np.array([c.answerable for c in cases], dtype=float)
    coef, intercept = fit_logistic((x - mean) / scale, y, case_weights(cases, seed_weight), c)
    fitted = tuple(
        Feature(name, round(float(m), 6), round(float(s), 6), round(float(b), 6))
        for name, m, s, b in zip(features, mean, scale, coef, strict=True)
    )
    return LearnedGate(fitted, round(intercept, 6), 0.5)


@dataclass(frozen=True)
class AtThreshold:
    """A learned gate's scores, refused below `threshold` (the run-time rule, on scores computed once)."""

    scores: dict[Case, float]
    threshold: float

    def refuses(self, case: Case) -> bool:
        return case.forced or bool(vetoed(case.figures)) or self.scores[case] < self.threshold

    def describe(self) -> str:
        return f"learned, threshold {self.threshold:.3f}"


def seed_gate_kept(gate: Replay, cases: Sequence[Case], least_precision: Threshold | None = None) -> bool:
    """The seed tune split at its CI gate: `keeps_seed_gate` (key facts, refusal recall) and refusal precision
    (eval/thresholds.toml [gate.extractive]), which one refused answerable seed question breaks."""
    seeds = [c for c in cases if c.suite == "seeds"]
    refused = [c for c in seeds if gate.refuses(c)]
    precision = sum(not c.answerable for c in refused) / len(refused) if refused else 1.0
    least = least_precision or load_thresholds("gate", "extractive")["refusal_precision"]
    return keeps_seed_gate(shares(gate, seeds)) and least.met(precision)


def choose_threshold(model: LearnedGate, cases: Sequence[Case]) -> tuple[float, float] | None:
    """(objective, threshold): the threshold maximising `mean_share` on `cases` while the seed split keeps its CI
    gate, or None when no threshold does. Candidates lie halfway between neighbouring scores (rounded to the fewest
    decimals that stay between them); ties go to the one nearest 0.5."""
    scores = {c: model.probability(c.figures) for c in cases}
    values = sorted(set(scores.values()))
    candidates = [0.0] + [_between(a, b) for a, b in itertools.pairwise(values)] + [1.0]
    least = load_thresholds("gate", "extractive")["refusal_precision"]
    ranked = []
    for threshold in candidates:
        gate = AtThreshold(scores, threshold)
        if seed_gate_kept(gate, cases, least):
            ranked.append((round(mean_share(shares(gate, cases)), 9), -abs(threshold - 0.5), threshold))
    if not ranked:
        return None
    objective, _, threshold = max(ranked)
    return objective, threshold


def _between(low: float, high: float) -> float:
    """The midpoint of two scores, to the fewest decimals that keep it above `low` and at most `high`: every
    threshold there decides alike (a score at the threshold is answered)."""
    middle = (low + high) / 2
    for digits in range(2, 17):
        if low < round(middle, digits) <= high:
            return round(middle, digits)
    return high


@dataclass(frozen=True)
class Trained:
    model: LearnedGate
    objective: float  # mean_share on the tune suites at the chosen threshold
    tried: tuple[tuple[float, float | None], ...]  # (seed weight, its tune objective or None when none kept the gate)


def train(
    cases: Sequence[Case],
    seed_weights: Sequence[float] = SEED_WEIGHTS,
    c: float = C,
    features: Sequence[str] = FEATURES,
) -> Trained:
    """Fit and threshold the learned gate on `features` of the tune suites of `cases` (the others are left unread)."""
    tune = [case for case in cases if case.suite in TUNE_SUITES]
    tried: list[tuple[float, float | None]] = []
    best: tuple[float, float, LearnedGate] | None = None
    for seed_weight in seed_weights:
        model = fit(tune, seed_weight, c, features)
        chosen = choose_threshold(model, tune)
        tried.append((seed_weight, chosen[0] if chosen else None))
        if chosen and (best is None or chosen[0] > best[0]):
            best = (chosen[0], seed_weight, replace(model, threshold=chosen[1]))
    if best is None:
        raise ValueError("no seed weight and threshold keep the seed tune split at its CI gate")
    objective, seed_weight, model = best
    counts = {s: [sum(c.answerable == a for c in tune if c.suite == s) for a in (True, False)] for s in TUNE_SUITES}
    meta = (
        ("trained_on", {s: {"answerable": a, "unanswerable": u} for s, (a, u) in counts.items()}),
        ("seed_weight", seed_weight),
        ("c", c),
        ("tune_objective", round(objective, 6)),
        (
            "chosen_on",
            "tune suites only: weights by weighted logistic regression (suite- and class-balanced, answerable "
            "questions weighted by their answer score, forced refusals left out); the seed weight and the threshold "
            "by mean_share with the seed tune split at its CI gate",
        ),
    )
    return Trained(replace(model, meta=meta), objective, tuple(tried))
