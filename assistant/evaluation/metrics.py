"""Evaluation metrics in plain, deterministic Python, registered by name.

Terms the metric definitions use:

- A = the answerable gold questions, U = the unanswerable ones. A question is *answered* when the
  answer is not a refusal; a refusal's text (the nearest passages) never counts as an answer.
- A passage (or a cited passage) *holds* a piece of gold evidence when it comes from the evidence's
  source document and either its text contains the gold sentence (whitespace-normalised), or the
  sentence is split across chunks and the passage begins with its last words or ends with its first
  words, at least half of the sentence's words. Metadata evidence (no sentence) is held by any
  passage of its document.
- A citation *verifies* when at least one answer sentence cites it and every sentence that cites it
  is `supported`.

Each metric is one function from the outcomes to a value, or None where no question applies
(e.g. refusal recall of a subset without unanswerable questions). Its docstring is its definition,
printed in every report. A new metric is one decorated function.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.evaluation.gold import Evidence, GoldRecord
from assistant.models import Answer, Citation

Value = float | None
MetricFn = Callable[[Sequence["Outcome"]], Value]
_SPLIT_SHARE = 0.5  # least share of a split sentence a passage edge must hold
MRR_DEPTH = 10  # passages retrieved for hit@k and MRR


@dataclass(frozen=True)
class Outcome:
    """What one gold question produced: the answer, and the passages retrieved for it, best first."""

    record: GoldRecord
    answer: Answer
    retrieved: tuple[tuple[str, str], ...] = ()  # (source, text) of the top MRR_DEPTH passages
    judgement: float | None = None  # LLM-judged correctness in [0, 1], when a judge is configured


@dataclass(frozen=True)
class Metric:
    name: str
    fn: MetricFn
    unit: str  # "share" (in [0, 1], higher is better) or "ms"
    definition: str


METRICS: dict[str, Metric] = {}


def metric(name: str, unit: str = "share") -> Callable[[MetricFn], MetricFn]:
    """Register a metric under `name`; its docstring becomes its definition."""

    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = Metric(name, fn, unit, " ".join((inspect.getdoc(fn) or "").split()))
        return fn

    return register


def metric_unit(name: str) -> str:
    """A registered metric's unit; other suites' metrics (benchmarks) are shares unless named `*_ms`."""
    return METRICS[name].unit if name in METRICS else ("ms" if name.endswith("_ms") else "share")


def compute(outcomes: Sequence[Outcome]) -> dict[str, Value]:
    """Every registered metric over the outcomes, in registration order."""
    return {name: m.fn(outcomes) for name, m in METRICS.items()}


# --- evidence ----------------------------------------------------------------------------------
def holds(source: str, text: str, evidence: Evidence) -> bool:
    """Whether a passage (its source and text) holds a piece of gold evidence; see the module docstring."""
    if source != evidence.source:
        return False
    if evidence.sentence is None:
        return True
    sentence, passage = evidence.sentence.split(), text.split()
    if " ".join(sentence) in " ".join(passage):
        return True
    return _edge_overlap(sentence, passage) >= _SPLIT_SHARE * len(sentence)


def _edge_overlap(sentence: list[str], passage: list[str]) -> int:
    """Words of the sentence that a chunk boundary cut: its head at the passage end, or its tail at the start."""
    best = 0
    for m in range(1, min(len(sentence), len(passage)) + 1):
        if sentence[:m] == passage[-m:] or sentence[-m:] == passage[:m]:
            best = m
    return best


def cited_holds(citation: Citation, record: GoldRecord) -> bool:
    return any(holds(citation.source, citation.text, e) for e in record.evidence)


def verifies(citation: Citation, answer: Answer) -> bool:
    citing = [s for s in answer.sentences if citation.n in s.citations]
    return bool(citing) and all(s.supported for s in citing)


def evidence_rank(outcome: Outcome) -> int | None:
    """1-based rank of the first retrieved passage that holds any gold evidence, or None."""
    for rank, (source, text) in enumerate(outcome.retrieved, 1):
        if any(holds(source, text, e) for e in outcome.record.evidence):
            return rank
    return None


def missing_facts(outcome: Outcome) -> list[tuple[str, ...]]:
    """Key facts none of whose phrasings occurs in the answer (case-insensitive); all of them for a refusal."""
    text = "" if outcome.answer.refused else outcome.answer.text.lower()
    return [fact for fact in outcome.record.key_facts if not any(p.lower() in text for p in fact)]


def uncited_evidence(outcome: Outcome) -> list[Evidence]:
    cited = outcome.answer.citations if not outcome.answer.refused else ()
    return [e for e in outcome.record.evidence if not any(holds(c.source, c.text, e) for c in cited)]


# --- helpers -----------------------------------------------------------------------------------
def _answerable(outcomes: Sequence[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.record.answerable]


def _mean(values: Sequence[float]) -> Value:
    return sum(values) / len(values) if values else None


def _share(hits: int, total: int) -> Value:
    return hits / total if total else None


def percentile(values: Sequence[float], p: float) -> Value:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _hit_at(outcomes: Sequence[Outcome], k: int) -> Value:
    ranks = [evidence_rank(o) for o in _answerable(outcomes)]
    return _mean([1.0 if r is not None and r <= k else 0.0 for r in ranks])


def _answered_citations(outcomes: Sequence[Outcome]) -> list[tuple[Outcome, Citation]]:
    return [(o, c) for o in _answerable(outcomes) if not o.answer.refused for c in o.answer.citations]


# --- the metrics -------------------------------------------------------------------------------
@metric("hit_at_1")
def hit_at_1(outcomes: Sequence[Outcome]) -> Value:
    """Over A: share of questions whose first retrieved passage holds some gold evidence."""
    return _hit_at(outcomes, 1)


@metric("hit_at_5")
def hit_at_5(outcomes: Sequence[Outcome]) -> Value:
    """Over A: share of questions with a passage holding some gold evidence among the first 5 retrieved."""
    return _hit_at(outcomes, 5)


@metric("mrr")
def mrr(outcomes: Sequence[Outcome]) -> Value:
    """Over A: mean of 1/rank of the first retrieved passage holding some gold evidence (0 when none of the
    first 10 does)."""
    ranks = [evidence_rank(o) for o in _answerable(outcomes)]
    return _mean([1.0 / r if r else 0.0 for r in ranks])


@metric("key_fact_recall")
def key_fact_recall(outcomes: Sequence[Outcome]) -> Value:
    """Over A: mean per question of the share of its key facts with at least one accepted phrasing in the
    answer text (case-insensitive substring); a refusal scores 0."""
    scores = [1 - len(missing_facts(o)) / len(o.record.key_facts) for o in _answerable(outcomes) if o.record.key_facts]
    return _mean(scores)


@metric("citation_precision")
def citation_precision(outcomes: Sequence[Outcome]) -> Value:
    """Over the citations of answered questions in A, pooled: share of citations that hold gold evidence or
    verify."""
    pairs = _answered_citations(outcomes)
    return _share(sum(cited_holds(c, o.record) or verifies(c, o.answer) for o, c in pairs), len(pairs))


@metric("citation_evidence_precision")
def citation_evidence_precision(outcomes: Sequence[Outcome]) -> Value:
    """Over the citations of answered questions in A, pooled: share of citations that hold gold evidence
    (stricter than citation_precision: verifying is not enough)."""
    pairs = _answered_citations(outcomes)
    return _share(sum(cited_holds(c, o.record) for o, c in pairs), len(pairs))


@metric("citation_recall")
def citation_recall(outcomes: Sequence[Outcome]) -> Value:
    """Over A: mean per question of the share of its gold evidence held by at least one citation of the
    answer; a refusal scores 0."""
    scores = [1 - len(uncited_evidence(o)) / len(o.record.evidence) for o in _answerable(outcomes) if o.record.evidence]
    return _mean(scores)


@metric("right_document")
def right_document(outcomes: Sequence[Outcome]) -> Value:
    """Over the answered questions in A that cite something: share citing at least one passage of a document
    their gold evidence comes from (an answer drawn only from another paper scores 0)."""
    cited = [o for o in _answerable(outcomes) if not o.answer.refused and o.answer.citations]
    return _share(sum(not _other_documents_only(o) for o in cited), len(cited))


def _other_documents_only(outcome: Outcome) -> bool:
    sources = {e.source for e in outcome.record.evidence}
    return bool(outcome.answer.citations) and not any(c.source in sources for c in outcome.answer.citations)


@metric("refusal_precision")
def refusal_precision(outcomes: Sequence[Outcome]) -> Value:
    """Over the refused questions: share that are unanswerable (refusal is the positive prediction,
    unanswerable the positive class)."""
    refused = [o for o in outcomes if o.answer.refused]
    return _share(sum(not o.record.answerable for o in refused), len(refused))


@metric("refusal_recall")
def refusal_recall(outcomes: Sequence[Outcome]) -> Value:
    """Over U: share of questions refused."""
    unanswerable = [o for o in outcomes if not o.record.answerable]
    return _share(sum(o.answer.refused for o in unanswerable), len(unanswerable))


@metric("faithfulness")
def faithfulness(outcomes: Sequence[Outcome]) -> Value:
    """Over the sentences of every answered question (A and U), pooled: share that are supported by their
    citations and cite at least one passage."""
    sentences = [s for o in outcomes if not o.answer.refused for s in o.answer.sentences]
    return _share(sum(s.supported and bool(s.citations) for s in sentences), len(sentences))


@metric("llm_correctness")
def llm_correctness(outcomes: Sequence[Outcome]) -> Value:
    """Over A, where an LLM judge is configured: mean judged correctness in [0, 1] of the answer against the
    reference answer; n/a without a judge."""
    return _mean([o.judgement for o in _answerable(outcomes) if o.judgement is not None])


@metric("latency_p50_ms", unit="ms")
def latency_p50_ms(outcomes: Sequence[Outcome]) -> Value:
    """Over all questions: median (nearest rank) of the answer's total time in ms (retrieve, answer,
    verify)."""
    return percentile([o.answer.timings_ms.get("total", 0.0) for o in outcomes], 50)


@metric("latency_p95_ms", unit="ms")
def latency_p95_ms(outcomes: Sequence[Outcome]) -> Value:
    """Over all questions: 95th percentile (nearest rank) of the answer's total time in ms."""
    return percentile([o.answer.timings_ms.get("total", 0.0) for o in outcomes], 95)


# --- failures ----------------------------------------------------------------------------------
def failure_reasons(outcome: Outcome) -> list[str]:
    """Why a question fails: a wrong refusal decision, an answer from another document only, a missing key fact,
    an unsupported sentence, or a citation that neither holds gold evidence nor verifies. Empty when it passes."""
    answer, record = outcome.answer, outcome.record
    if not record.answerable:
        return [] if answer.refused else ["answered an unanswerable question"]
    if answer.refused:
        return ["refused an answerable question"]
    reasons = ["answered from another document only"] if _other_documents_only(outcome) else []
    reasons += [f"key fact missing: {' | '.join(fact)}" for fact in missing_facts(outcome)]
    reasons += [f"unsupported sentence: {s.text}" for s in answer.sentences if not s.supported]
    reasons += [
        f"citation [{c.n}] neither holds gold evidence nor verifies"
        for c in answer.citations
        if not (cited_holds(c, record) or verifies(c, answer))
    ]
    return reasons
