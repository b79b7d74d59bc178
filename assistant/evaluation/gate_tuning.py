"""The answer gate chosen on tune data only: the seed tune split (`eval/gold/tune.jsonl`) and PubMedQA outside its
official test split (250 of those questions with their abstract held apart, 250 with it indexed).

Every question is asked once with every refusal reason off, so that its answer is always written, while the gate's
figures are recorded (`Figures`: the best sentence score, the term coverage, the best sentence's cosine, the split
share, and which of the threshold-free reasons fired). Any gate (two thresholds, a set of reasons off; or the
learned gate, `Configured`) is then replayed on these cases without asking again, through the functions the answer
step decides with at run time (`rule_reasons`, `decide`). `choose` picks the gate that maximises the mean of four
shares: seed key facts found (0 for a refused answerable question), seed unanswerable questions refused, PubMedQA
questions answered citing their own abstract, PubMedQA questions without their abstract refused. Ties go to the
gate with the fewest reasons off, then to thresholds nearest the current ones. The held-out split and PubMedQA's
test split are never read here.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.answer.gate.answerability import decide
from assistant.answer.gate.figures import Figures, Form, question_form, rule_reasons
from assistant.answer.gate.learned import LearnedGate, feature_values
from assistant.evaluation.thresholds import Threshold, load_thresholds
from assistant.models import REFUSAL_REASONS, RULE_REASONS
from assistant.settings import AnswerSettings, Settings

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.models import Answer

REFUSAL_GRID = (0.3, 0.35, 0.4, 0.45)
COVERAGE_GRID = tuple(round(0.4 + 0.05 * i, 2) for i in range(9))  # 0.40 .. 0.80
PARAPHRASE_GRID = (0.6, 0.65, 0.7, 0.75, 0.8, 1.01)  # 1.01: never
TOGETHER_GRID = (0.5, 0.6, 0.67, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)


@dataclass(frozen=True)
class Case:
    """One tune question: what the gate sees, and how good the answer is when it is not refused."""

    suite: str
    answerable: bool
    best: float
    coverage: float
    dense: float  # the best sentence's cosine to the question
    together: float | None  # the best document's share of the question's terms when they are split
    fired: frozenset[str]  # threshold-free reasons that fire with every reason on
    forced: bool  # refused even with every reason off (no sentence verified)
    score: float  # when answered: share of key facts found (seeds), 1.0 if it cites its own abstract (PubMedQA)
    relevance: float | None = None  # the answer-relevance model's best p (None: not computed)
    form: Form | None = None  # how the question is put (None: not recorded)
    quoted: float | None = None  # the quoted documents' share of the question's terms (None: not recorded)
    retrieved: float | None = None  # the best passage's fused retrieval score (None: not recorded)
    similarity: float | None = None  # the best passage's cosine to the question (None: not recorded)

    @property
    def figures(self) -> Figures:
        return Figures(
            self.best, self.coverage, self.dense, self.together, self.fired, self.relevance, self.form, self.quoted,
            self.retrieved, self.similarity,
        )  # fmt: skip

    @classmethod
    def of(cls, suite: str, answerable: bool, f: Figures, forced: bool, score: float) -> Case:
        return cls(
            suite, answerable, f.best, f.coverage, f.dense, f.together, f.fired, forced, score, f.relevance, f.form,
            f.quoted, f.retrieved, f.similarity,
        )  # fmt: skip


class Replay(Protocol):
    """A gate replayed on recorded cases."""

    def refuses(self, case: Case) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Gate:
    refusal_threshold: float
    min_term_coverage: float
    off: frozenset[str] = frozenset()
    paraphrase_cosine: float = 1.01
    together_share: float = 1.0

    @classmethod
    def of(cls, answer: AnswerSettings) -> Gate:
        """The gate the answer settings configure."""
        return cls(
            answer.refusal_threshold,
            answer.min_term_coverage,
            frozenset(answer.gate_off),
            answer.paraphrase_cosine,
            answer.together_share,
        )

    def refuses(self, case: Case) -> bool:
        if case.forced:
            return True
        thresholds = (self.refusal_threshold, self.min_term_coverage, self.paraphrase_cosine, self.together_share)
        return any(r not in self.off for r in rule_reasons(case.figures, *thresholds))

    def describe(self) -> str:
        off = ", ".join(sorted(self.off)) or "none"
        return (
            f"refusal_threshold {self.refusal_threshold:g}, min_term_coverage {self.min_term_coverage:g}, "
            f"paraphrase_cosine {self.paraphrase_cosine:g}, together_share {self.together_share:g}, off: {off}"
        )


@dataclass(frozen=True)
class Configured:
    """The gate some answer settings configure (`answer.gate`, its thresholds, `gate_off`), replayed through the
    answer step's own `decide`; `model` is the learned gate, needed when `answer.gate` is "learned"."""

    answer: AnswerSettings
    model: LearnedGate | None = None

    def refuses(self, case: Case) -> bool:
        if self.model is not None and self.answer.gate == "learned":
            # A figure recorded before the gate read it would silently count as its training mean.
            values = feature_values(case.figures)
            missing = [f.name for f in self.model.features if values[f.name] is None]
            if missing:
                raise ValueError(f"a case was recorded without {missing}, which the learned gate reads: ask again")
        return case.forced or bool(decide(case.figures, self.answer, self.model)[0])

    def describe(self) -> str:
        off = ", ".join(self.answer.gate_off) or "none"
        if self.answer.gate == "rules":
            return Gate.of(self.answer).describe()
        assert self.model is not None
        return f"learned, threshold {self.model.threshold:.3f}, off: {off}"


def shares(gate: Replay, cases: Sequence[Case]) -> dict[str, float]:
    """Per suite: `<suite> answered` (mean answer score over answerable questions, 0 when refused) and
    `<suite> refused` (share of unanswerable questions refused)."""
    out: dict[str, float] = {}
    for suite in sorted({c.suite for c in cases}):
        answerable = [c for c in cases if c.suite == suite and c.answerable]
        unanswerable = [c for c in cases if c.suite == suite and not c.answerable]
        out[f"{suite} answered"] = sum(0.0 if gate.refuses(c) else c.score for c in answerable) / len(answerable)
        out[f"{suite} refused"] = sum(gate.refuses(c) for c in unanswerable) / len(unanswerable)
    return out


def mean_share(values: dict[str, float]) -> float:
    """The objective: the mean of the answered and refused shares of every suite."""
    return sum(values.values()) / len(values)


def choose(
    cases: Sequence[Case], current: Gate, allowed: Callable[[dict[str, float]], bool] = lambda _: True
) -> list[tuple[float, Gate]]:
    """Every gate of the grid (all reasons on, or one off) whose shares are `allowed`, best first: objective,
    then fewest reasons off, then nearest `current`."""
    ranked = []
    for off in [(), *((r,) for r in RULE_REASONS)]:
        for rt, ct, pc, ts in itertools.product(REFUSAL_GRID, COVERAGE_GRID, PARAPHRASE_GRID, TOGETHER_GRID):
            gate = Gate(rt, ct, frozenset(off), pc, ts)
            values = shares(gate, cases)
            if not allowed(values):
                continue
            distance = (
                abs(rt - current.refusal_threshold)
                + abs(ct - current.min_term_coverage)
                + abs(pc - current.paraphrase_cosine)
                + abs(ts - current.together_share)
            )
            ranked.append((-round(mean_share(values), 9), len(off), distance, gate))
    ranked.sort(key=lambda row: row[:3])
    return [(-score, gate) for score, _, _, gate in ranked]


@contextmanager
def recording(record: list[Figures]) -> Iterator[None]:
    """While open, the figures of each verdict the answer step asks for (`Figures`: every threshold-free reason
    that fired, whatever is switched off) are appended to `record`."""
    import assistant.api as api

    original = getattr(api, "judge")  # noqa: B009 (not in api's __all__: the answer step's own import)

    def judge(*args: Any, **kwargs: Any) -> Any:
        verdict = original(*args, **kwargs)
        record.append(verdict.figures)
        return verdict

    setattr(api, "judge", judge)  # noqa: B010
    try:
        yield
    finally:
        setattr(api, "judge", original)  # noqa: B010


def keeps_seed_gate(values: dict[str, float]) -> bool:
    """The seed tune split stays at its CI gate (eval/thresholds.toml [gate.extractive]): its key-fact recall and
    refusal recall floors (0.97 and 1.0 when written)."""
    gate = _seed_gate()
    return gate["key_fact_recall"].met(values["seeds answered"]) and gate["refusal_recall"].met(values["seeds refused"])


@lru_cache(maxsize=1)  # asked once per gate of a grid: the file is read once
def _seed_gate() -> dict[str, Threshold]:
    return load_thresholds("gate", "extractive")


def all_off(settings: Settings) -> Settings:
    """`settings` with every refusal reason switched off: every question is answered (if a sentence verifies).
    The rule gate, so that asking needs no learned gate: switched off, neither refuses anything."""
    answer = settings.answer.model_copy(update={"gate_off": tuple(REFUSAL_REASONS), "gate": "rules"})
    return settings.model_copy(update={"answer": answer})


def collect(
    assistant: Assistant, suite: str, questions: Sequence[tuple[str, bool, Callable[[Answer], float]]]
) -> list[Case]:
    """Ask each (question, answerable, score of an answer) once; `assistant` must have every reason off."""
    cases = []
    for question, answerable, score in questions:
        record: list[Figures] = []
        with recording(record):
            answer = assistant.ask(question, mode="extractive")
        # No figures: refused before the gate (nothing retrieved); such a case weighs nothing in training.
        f = record[-1] if record else Figures(0.0, 0.0, form=question_form(question))
        forced = answer.refused
        cases.append(Case.of(suite, answerable, f, forced, 0.0 if forced else score(answer)))
    return cases


def cached_cases(path: Path | None, ask: Callable[[], list[Case]]) -> list[Case]:
    """The cases pickled at `path` when it exists (to replay other gates without asking again), else `ask()`'s,
    pickled there when a path is given."""
    if path is not None and path.exists():
        return list(pickle.loads(path.read_bytes()))
    cases = ask()
    if path is not None:
        path.write_bytes(pickle.dumps(cases))
    return cases
