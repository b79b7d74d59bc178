"""What the answer gate sees of a question and its evidence, and the hand-written rules decided from it alone.

`judge` computes the figures once per question; the rule gate (`rule_reasons`) and the learned gate
(`learned.LearnedGate`) both decide from them, at run time and when a gate is replayed on recorded figures
(`assistant.evaluation.gate_tuning`), so that a replay refuses exactly what a real run refuses.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from assistant.answer.lexicon import QUESTION_WORD, SUBJECT_ASKED
from assistant.models import RULE_REASONS

# The reasons that fire without a threshold: `judge` records them whatever the settings say.
THRESHOLD_FREE = ("missing names", "no quantity", "no date", "not combined", "not linked")
# Reasons that refuse under the learned gate too, whatever its score: conditions of logic, not of degree. A question
# about things used together that no document names together cannot be answered from the library (the learned gate
# let "Is imatinib combined with imiquimod more effective against skin cancer?" through once backward elimination
# on tune data left the reason's feature out, 2026-12-07; it fires on few tune questions).
VETOES = ("not combined",)


Form = Literal["wh", "yes/no", "statement", "other"]


def question_form(question: str) -> Form:
    """How a question is put: with a question word ("how does ..."), for a yes or a no ("does imatinib block
    ..."), as a statement to check (a sentence ending in a full stop: a claim), or otherwise (a title ending in a
    question mark, a few key words). Evidence reads differently by form: a claim or a yes/no question is answered
    by a sentence on its very subject, a wh-question by one that gives the thing asked for. Key words are no claim:
    they fall with wh-questions and question-mark titles, the baseline the form's weights are measured from."""
    if QUESTION_WORD.match(question):
        return "wh"
    if SUBJECT_ASKED.match(question):
        return "yes/no"
    return "statement" if question.rstrip().endswith(".") else "other"


@dataclass(frozen=True)
class Figures:
    """The gate's evidence figures for one question."""

    best: float  # the best sentence score
    coverage: float  # share of the question's topical terms found in the passages
    dense: float = 0.0  # cosine of the best sentence to the question
    together: float | None = None  # the best document's share of the question's terms, when they are split
    fired: frozenset[str] = frozenset()  # the threshold-free reasons (THRESHOLD_FREE) that fire
    relevance: float | None = None  # the answer-relevance model's best p over the candidates; None: not scored
    form: Form | None = None  # how the question is put (`question_form`); None: not recorded
    quoted: float | None = None  # share of those terms the documents the answer quotes hold; None: not recorded
    retrieved: float | None = None  # the best passage's fused retrieval score; None: not recorded
    similarity: float | None = None  # the best passage's cosine to the question; None: not recorded


def vetoed(figures: Figures, off: Collection[str] = ()) -> tuple[str, ...]:
    """The vetoes (`VETOES`) that fired and are not switched `off`."""
    return tuple(r for r in VETOES if r in figures.fired and r not in off)


def rule_reasons(
    figures: Figures,
    refusal_threshold: float,
    min_term_coverage: float,
    paraphrase_cosine: float,
    together_share: float,
) -> tuple[str, ...]:
    """Every rule reason that fires on `figures` with these thresholds, in `RULE_REASONS` order (none switched
    off): weak evidence below `refusal_threshold`; missing terms below `min_term_coverage` unless the best
    sentence is a paraphrase (cosine at `paraphrase_cosine` or above); not together when the best document holds
    less than `together_share` of split terms; and the threshold-free reasons that fired."""
    found = set(figures.fired)
    if figures.best < refusal_threshold:
        found.add("weak evidence")
    if figures.coverage < min_term_coverage and figures.dense < paraphrase_cosine:
        found.add("missing terms")
    if figures.together is not None and figures.together < together_share:
        found.add("not together")
    return tuple(r for r in RULE_REASONS if r in found)
