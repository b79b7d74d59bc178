"""Putting an `Answer` together: checked sentences with their citations renumbered, the refusal with its nearest
passages, the extractive fallback of an LLM answer, and the milliseconds each step took."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from assistant.answer.claims import citation_of
from assistant.answer.extractive import refusal_text
from assistant.answer.verification import Draft
from assistant.models import Answer, AnswerSentence, Contradiction, Passage, Span


class Clock:
    """Milliseconds per step of one question."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = (now - self.last) * 1000
        self.last = now

    def done(self) -> dict[str, float]:
        return self.laps | {"total": (time.perf_counter() - self.start) * 1000}


def compose(
    question: str,
    sentences: list[AnswerSentence],
    passages: dict[int, Passage],
    spans: dict[int, list[Span]],
    clock: Clock,
    contradicted: Sequence[Contradiction] = (),
) -> Answer:
    """The final answer, its citations numbered in order of first use; a passage that contradicts a removed
    sentence is cited too, after them, so that the contradiction can point at it."""
    renumber: dict[int, int] = {}
    for n in [n for s in sentences for n in s.citations] + [c.n for c in contradicted]:
        renumber.setdefault(n, len(renumber) + 1)
    against = {c.n: [c.span] for c in contradicted}
    final = [AnswerSentence(s.text, tuple(renumber[n] for n in s.citations), s.supported) for s in sentences]
    text = " ".join(s.rendered() for s in final)
    citations = tuple(
        citation_of(new, passages[old], tuple(sorted(spans.get(old) or against.get(old, []))))
        for old, new in renumber.items()
    )
    reported = tuple(replace(c, n=renumber[c.n]) for c in contradicted)
    return Answer(question, text, citations, False, tuple(final), (), "extractive", clock.done(), contradicted=reported)


def refusal(question: str, nearest: list[Passage], prompts_dir: Path, clock: Clock, why: str) -> Answer:
    """The refusal, with the `nearest` passages shown for the reader to check and the reason it refused."""
    text = refusal_text(prompts_dir, nearest)
    shown = tuple(citation_of(i, p, ()) for i, p in enumerate(nearest, 1))
    return Answer(question, text, (), True, (), shown, "extractive", clock.done(), refusal_reason=why)


def fallback(
    extractive: Answer,
    reason: str,
    clock: Clock,
    contradicted: Sequence[Contradiction] = (),
    passages: Mapping[int, Passage] | None = None,
) -> Answer:
    """The extractive answer, saying why the LLM's was not used; the model's sentences that a passage contradicts
    (numbered as in `passages`) are still reported, each pointing at its passage: a citation the answer has, else
    one added after them."""
    notice = f"The LLM answer was not used ({reason.rstrip('.')}); this answer quotes the passages instead."
    answer = replace(extractive, mode="extractive", notice=notice, timings_ms=clock.done())
    if not contradicted or passages is None:
        return answer
    citations, reported = list(answer.citations), []
    for item in contradicted:
        passage = passages[item.n]
        where = (passage.chunk.doc_id, passage.chunk.start, passage.chunk.end)
        n = next((c.n for c in citations if (c.doc_id, c.start, c.end) == where), len(citations) + 1)
        if n > len(citations):
            citations.append(citation_of(n, passage, (item.span,)))
        reported.append(replace(item, n=n))
    return replace(answer, citations=tuple(citations), contradicted=tuple(reported))


def lead_document(drafts: list[Draft], numbered: dict[int, Passage]) -> list[str]:
    """The drafted sentences from the best sentence's document: an asked-for date or amount must come from
    the document that answers, not from a neighbour that happens to hold one."""
    if not drafts:
        return []
    lead = numbered[drafts[0].cites[0]].chunk.doc_id
    return [d.text for d in drafts if numbered[d.cites[0]].chunk.doc_id == lead]
