"""Does what was retrieved answer the question? Reasons to refuse, each one testable on its own.

Near-miss questions (same drug, same cells, a fact the documents do not state) score almost as
well as answerable ones on similarity alone, so besides a score threshold the check asks:
- `weak evidence`: the best sentence score is below `refusal_threshold`;
- `missing terms`: too few of the question's content terms occur in the passages;
- `missing names`: a gene, protein, drug code or number named in the question (IL-2, TLR7, CML)
  occurs in no passage;
- `no quantity`: the question asks for an amount (how many, dose, concentration in a unit) and
  no chosen sentence holds a number of that kind;
- `no date`: the question asks when or in which year, and no chosen sentence holds a date;
- `not together`: the question links names that no single document mentions together, and it
  does not ask about several documents ("both", "and").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.models import Passage
from assistant.settings import AnswerSettings
from assistant.terms import content_terms, key_terms

_QUANTITY_ASKED = re.compile(
    r"\b(how (many|much)|dose|dosage|doses|strength|concentration|micromolar|millimolar|percentage|what percent)\b",
    re.I,
)
_UNIT_ASKED = re.compile(r"\b(dose|dosage|doses|strength|micromolar|millimolar|mg|µm|nm)\b", re.I)
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)?\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred)\b", re.I
)
_AMOUNT_WITH_UNIT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:%|percent|mg|µg|ug|ng|g|kg|ml|µl|mm|µm|um|nm|mmol|µmol|iu|units?|mg/kg|mg/m2)(?![\w])",
    re.I,
)
_DATE_ASKED = re.compile(r"^\s*when\b|\b(what|which) (year|date)\b|\bin what year\b", re.I)
_DATE = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d", re.I)
# Words of research reporting that any document may or may not use; they say nothing about its topic.
_GENERIC = content_terms(
    "study studies model models treat treated treatment use used research result results paper article author "
    "authors publish published journal disease diseases experiment experiments animal type types new involve "
    "involved test tested method methods data find found show shown report reported drug drugs"
)
_SEVERAL = re.compile(r"\b(both|each|either|compare|comparison|differ|difference|versus|vs)\b|\band\b", re.I)


@dataclass(frozen=True)
class Verdict:
    """The evidence figures and, when the question should be refused, why."""

    best: float
    coverage: float
    reasons: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return not self.reasons


def judge(
    question: str,
    passages: Sequence[Passage],
    chosen: Sequence[str],
    best: float,
    settings: AnswerSettings,
    expand: Callable[[str], str] = str,
) -> Verdict:
    """Check the question against the retrieved passages and the sentences chosen to answer it."""
    q_terms = content_terms(question)
    texts = [_searchable(p, expand) for p in passages]
    per_doc = _doc_terms(passages, expand)
    found = set().union(*per_doc.values()) if per_doc else set()
    coverage = len(q_terms & found) / len(q_terms) if q_terms else 0.0
    reasons = []
    if best < settings.refusal_threshold:
        reasons.append("weak evidence")
    if coverage < settings.min_term_coverage:
        reasons.append("missing terms")
    if _missing_names(question, texts):
        reasons.append("missing names")
    reasons += _answer_type(question, [expand(s) for s in chosen])
    if _not_together(question, q_terms & found, per_doc):
        reasons.append("not together")
    return Verdict(best, coverage, tuple(reasons))


def _squash(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.lower())


def _missing_names(question: str, texts: list[str]) -> list[str]:
    haystack = _squash(" ".join(texts))
    return [t for t in key_terms(question) if _squash(t) not in haystack]


def _answer_type(question: str, chosen: list[str]) -> list[str]:
    joined = " ".join(chosen)
    reasons = []
    if _QUANTITY_ASKED.search(question):
        pattern = _AMOUNT_WITH_UNIT if _UNIT_ASKED.search(question) else _NUMBER
        if not pattern.search(joined):
            reasons.append("no quantity")
    if _DATE_ASKED.search(question) and not _DATE.search(joined):
        reasons.append("no date")
    return reasons


def _doc_terms(passages: Sequence[Passage], expand: Callable[[str], str]) -> dict[str, set[str]]:
    per_doc: dict[str, set[str]] = {}
    for p in passages:
        per_doc.setdefault(p.chunk.doc_id, set()).update(content_terms(_searchable(p, expand)))
    return per_doc


def _searchable(passage: Passage, expand: Callable[[str], str]) -> str:
    """A passage's text with aliases, plus its document's title."""
    return expand(passage.chunk.text) + "\n" + passage.document.metadata.title


def _holders(known: set[str], per_doc: dict[str, set[str]]) -> set[str]:
    """Documents holding a topical question term that no other retrieved document holds."""
    exclusive = [t for t in known - _GENERIC if sum(t in terms for terms in per_doc.values()) == 1]
    return {doc for t in exclusive for doc, terms in per_doc.items() if t in terms}


def _not_together(question: str, known: set[str], per_doc: dict[str, set[str]]) -> bool:
    """True when the question's known terms are split across documents and it asks about one thing."""
    if len(per_doc) < 2 or len(known) < 2 or _SEVERAL.search(question):
        return False
    return len(_holders(known, per_doc)) > 1 and not any(known <= terms for terms in per_doc.values())


def spans_documents(question: str, passages: Sequence[Passage], expand: Callable[[str], str] = str) -> set[str]:
    """Ids of the documents a multi-document question ("both", "and") names terms of; empty otherwise."""
    if not _SEVERAL.search(question):
        return set()
    per_doc = _doc_terms(passages, expand)
    holders = _holders(content_terms(question), per_doc)
    return holders if len(holders) > 1 else set()
