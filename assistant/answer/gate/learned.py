"""The learned answer gate: a logistic regression over the figures the gate computes anyway (`Figures`).

p(answerable) = sigmoid(intercept + sum of weight * (value - mean) / scale) over the features below; a question
is refused when p is below the threshold saved with the weights. The weights, the threshold and how they were
chosen (tune data only) are in `models/gate/gate.json` and its model card, written by `bench/gate_train.py`
(`make gate`); nothing here trains, and no library beyond the standard one is needed at run time.

Switching a refusal reason off by name (`answer.gate_off`) removes its features from the sum, which is the same as
giving them their training mean: `weak evidence` the best sentence score and the best passage's retrieval score and
cosine (and the answer relevance, for a gate trained with it), `missing terms` the term coverage and the quoted
documents' share of the terms, `not together` the split share, each threshold-free reason its own indicator.
`low answerability score` off turns the score's refusals off altogether. The best sentence's cosine and the
question's form belong to no reason: they say how to read the others, not that something is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.answer.gate.figures import THRESHOLD_FREE, Figures
from assistant.settings import RetrievalSettings

GATE_FILE = "gate.json"
SCORE_REASON = "low answerability score"
# Each feature and the refusal reason whose switch removes it (None: always used).
FEATURE_REASONS: dict[str, str | None] = {
    "best": "weak evidence",
    "coverage": "missing terms",
    # The same share in the documents the drafted answer quotes: a neighbour on a near topic can hold the best
    # sentence while the question's other terms sit in other documents.
    "quoted": "missing terms",
    "dense": None,  # the best sentence's cosine to the question: evidence for answering, not a reason to refuse
    "relevance": "weak evidence",  # the answer-relevance model's best p: evidence strength, like `best`
    # The best passage's retrieval score and cosine: how near the library comes to the question at all, before
    # any sentence is chosen (a question whose abstract is absent meets neighbours on a near topic).
    "retrieved": "weak evidence",
    "similarity": "weak evidence",
    # How the question is put (`figures.question_form`; wh-questions are the baseline): not a reason to refuse, but
    # what the other figures mean depends on it (a PubMedQA title or a SciFact claim against a seed question).
    "yes/no": None,
    "statement": None,
    # The best document's share of split terms; 1.0 when they are not split. Whether they are split at all is no
    # feature: in a library of many documents they often are, and the share says whether that matters (a `split`
    # indicator beside it lowered the tune objective, 0.8236 without it against 0.8208 with it, tune suites only).
    "together": "not together",
    **{reason: reason for reason in THRESHOLD_FREE},  # 1.0 when the reason fired
}
# The features `make gate` trains on: every figure above but `relevance` and `not combined`, which backward
# elimination on the tune suites left out (2026-12-07: leaving out either raised the tune objective, 0.8660 ->
# 0.8680 -> 0.8689; held-out sets not read). A gate trained with them (`gate_training.train(features=...)`) still
# reads them; `relevance` then needs `answer.relevance_candidates`.
FEATURES = tuple(f for f in FEATURE_REASONS if f not in ("relevance", "not combined"))


def feature_values(figures: Figures) -> dict[str, float | None]:
    """The features of one question's figures, by name (`FEATURES`); None where a figure was not computed."""
    return {
        "best": figures.best,
        "relevance": figures.relevance,
        "coverage": figures.coverage,
        "quoted": figures.quoted,
        "retrieved": figures.retrieved,
        "similarity": figures.similarity,
        "dense": figures.dense,
        "together": figures.together if figures.together is not None else 1.0,
        "yes/no": None if figures.form is None else float(figures.form == "yes/no"),
        "statement": None if figures.form is None else float(figures.form == "statement"),
        **{reason: float(reason in figures.fired) for reason in THRESHOLD_FREE},
    }


@dataclass(frozen=True)
class Feature:
    name: str
    mean: float  # of the training rows: the value that adds nothing to the sum
    scale: float  # their standard deviation (1.0 when it was 0)
    weight: float


@dataclass(frozen=True)
class LearnedGate:
    features: tuple[Feature, ...]
    intercept: float
    threshold: float  # least p(answerable) for an answer
    meta: tuple[tuple[str, Any], ...] = ()  # how it was trained (for the model card); not used to decide

    def probability(self, figures: Figures, off: Collection[str] = ()) -> float:
        """p(answerable) from the figures, without the features of the reasons switched `off`; a figure not
        computed (None) adds nothing, as its training mean would."""
        values = feature_values(figures)
        z = self.intercept
        for f in self.features:
            value = values[f.name]
            if FEATURE_REASONS[f.name] not in off and value is not None:
                z += f.weight * (value - f.mean) / f.scale
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic regression over the answer gate's figures",
            "features": [asdict(f) for f in self.features],
            "intercept": self.intercept,
            "threshold": self.threshold,
            **dict(self.meta),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LearnedGate:
        features = tuple(Feature(**f) for f in data["features"])
        unknown = [f.name for f in features if f.name not in FEATURE_REASONS]
        if unknown:
            raise ValueError(f"the learned gate names features this version does not compute: {unknown}")
        known = {"kind", "features", "intercept", "threshold"}
        meta = tuple((k, v) for k, v in data.items() if k not in known)
        return cls(features, float(data["intercept"]), float(data["threshold"]), meta)


def retrieval_fingerprint(settings: RetrievalSettings) -> str:
    """What the `retrieved` figure depends on beside the index: the retrieval settings (a passage's fused score moves
    with the weights, the reranker, the depth). Saved with the gate (`figures_from`) to tell a gate read under other
    settings than it was trained with."""
    return hashlib.sha256(json.dumps(settings.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def trained_beside(gate: LearnedGate, settings: RetrievalSettings) -> bool:
    """False when the gate records other retrieval settings than `settings` (a gate that records none: True)."""
    recorded = dict(gate.meta).get("figures_from", {}).get("retrieval")
    return recorded is None or recorded == retrieval_fingerprint(settings)


@lru_cache(maxsize=8)
def load_gate(folder: Path) -> LearnedGate:
    """The learned gate saved in `folder` (`gate.json`), read once per folder."""
    path = folder / GATE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no learned answer gate at {path}: run `make gate`, or set ASSISTANT_ANSWER__GATE=rules"
        )
    return LearnedGate.from_json(json.loads(path.read_text(encoding="utf-8")))
