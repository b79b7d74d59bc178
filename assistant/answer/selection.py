"""Which scored sentences make the extractive answer.

From the best sentence on, in this order, up to a sentence budget:
1. the best sentence;
2. sentences of its document that complete it: they hold topical question terms the chosen ones lack ("who discovered
   the interaction between imiquimod and immune cells": the best sentence names the drug and the cells,
   another one the discovery). A sentence right after a chosen one continues it, so it counts with any
   question term (reporting words included) and may score a little lower;
3. near-best alternatives, within `sentence_margin` of the best.
A question about several documents gets this per document, on the part of it about that document
(`Candidate.focus`), with the budget shared between them.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass

from assistant.answer.lexicon import NEXT_SENTENCE_SLACK
from assistant.answer.terms import GENERIC, content_terms
from assistant.models import Passage, Span
from assistant.settings import AnswerSettings


@dataclass(frozen=True)
class Candidate:
    """A passage sentence considered for the answer."""

    text: str
    span: Span
    passage: int  # index into the retrieved passages
    score: float
    dense: float  # cosine(question, sentence with aliases)
    overlap: float  # IDF-weighted share of question terms in the sentence
    terms: frozenset[str] = frozenset()  # the terms of its question (or of its document's part) it holds
    focus: float = 0.0  # score against the part of a multi-document question about its document
    # It holds the kind of thing asked for (a journal's name) and its score carries a bonus for that: it ranks the
    # sentence, and says nothing of whether the passages answer (`extractive.evidence`).
    typed: bool = False


class Selector:
    """Chooses answer sentences among scored candidates (best first)."""

    def __init__(self, settings: AnswerSettings, passages: list[Passage]) -> None:
        self.settings = settings
        self.passages = passages

    def select(self, candidates: list[Candidate], cover: Set[str] = frozenset()) -> list[Candidate]:
        """The answer's sentences; for a question about the `cover` documents, some from each of them."""
        if not cover:
            return self._pick(candidates, lambda c: c.score, self.settings.max_sentences)
        budget = max(1, self.settings.max_sentences // len(cover))
        chosen: list[Candidate] = []
        for doc_id in sorted(cover):
            own = sorted((c for c in candidates if self._doc(c) == doc_id), key=lambda c: -c.focus)
            chosen += self._pick(own, lambda c: c.focus, budget)
        return sorted(chosen, key=lambda c: -c.score)

    def _pick(self, ranked: list[Candidate], key: Callable[[Candidate], float], budget: int) -> list[Candidate]:
        if not ranked or key(ranked[0]) < self.settings.min_sentence_score:
            return []
        chosen = [ranked[0]]
        for cand in ranked[1:]:
            if len(chosen) >= budget:
                break
            same_document = self._doc(cand) == self._doc(chosen[0])
            if same_document and self._completes(cand, key(cand), chosen) and not _repeats(cand, chosen):
                chosen.append(cand)
        floor = max(self.settings.min_sentence_score, key(ranked[0]) - self.settings.sentence_margin)
        for cand in ranked[1:]:
            if len(chosen) >= budget or key(cand) < floor:
                break
            if cand not in chosen and not _repeats(cand, chosen):
                chosen.append(cand)
        return chosen

    def _completes(self, cand: Candidate, value: float, chosen: list[Candidate]) -> bool:
        missing = cand.terms - frozenset().union(*(c.terms for c in chosen))
        if any(self._follows(cand, c) for c in chosen):
            return bool(missing) and value >= self.settings.min_sentence_score - NEXT_SENTENCE_SLACK
        return bool(missing - GENERIC) and value >= self.settings.min_sentence_score

    def _doc(self, cand: Candidate) -> str:
        return self.passages[cand.passage].chunk.doc_id

    def _follows(self, later: Candidate, earlier: Candidate) -> bool:
        """True when `later` is the sentence right after `earlier` in the same document."""
        sentences = self.passages[later.passage].chunk.sentences
        if self._doc(later) != self._doc(earlier) or earlier.span not in sentences:
            return False
        return sentences.index(later.span) == sentences.index(earlier.span) + 1


def _repeats(cand: Candidate, chosen: list[Candidate]) -> bool:
    return any(_near_duplicate(cand.text, c.text) for c in chosen)


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = content_terms(a), content_terms(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.9
