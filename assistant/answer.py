"""Writing an answer from passages: the offline extractive answer and the refusal.

The extractive answer quotes the passage sentences that best answer the question. Each
candidate sentence is scored as `0.6 * cosine(question, sentence) + 0.4 * term overlap`, the
overlap being the IDF-weighted share of the question's content terms (aliases included) that
the sentence contains, IDF taken over the candidate sentences. Whether to refuse instead is
decided in `answerability`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Set
from dataclasses import dataclass
from pathlib import Path

from assistant.citations import Draft, passage_sentences
from assistant.documents import CITATION_PREFIX
from assistant.embeddings import Embedder
from assistant.models import Passage, Span
from assistant.prompts import REFUSAL_PHRASE, load_prompt
from assistant.settings import AnswerSettings
from assistant.terms import content_terms

__all__ = ["REFUSAL_PHRASE", "Candidate", "ExtractiveAnswerer", "refusal_text"]

_DENSE_WEIGHT = 0.6
_MIN_WORDS = 5  # shorter lines (headings, bylines) are not answers
_MAX_EMBEDDED = 16  # candidate sentences embedded per question
_BIBLIOGRAPHIC = re.compile(
    r"\b(journal|published|publication|pages|authors?|wrote|written by|venue|issue|volume)\b", re.IGNORECASE
)
_CITATION_BONUS = 0.3


@dataclass(frozen=True)
class Candidate:
    """A passage sentence considered for the answer."""

    text: str
    span: Span
    passage: int  # index into the retrieved passages
    score: float
    dense: float  # cosine(question, sentence with aliases)
    overlap: float  # IDF-weighted share of question terms in the sentence


class ExtractiveAnswerer:
    """Chooses, scores and orders passage sentences."""

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def candidates(self, question: str, passages: list[Passage], expand: Callable[[str], str] = str) -> list[Candidate]:
        """Unique passage sentences with their scores, best first.

        `expand` adds aliases to a text; question and sentences are both expanded, so that
        "Imi" in a sentence meets "imiquimod" in a question, for the model and the term overlap.
        """
        seen: set[tuple[str, Span]] = set()
        units: list[tuple[str, Span, int]] = []
        for i, passage in enumerate(passages):
            for span, text in passage_sentences(passage):
                key = (passage.chunk.doc_id, span)
                if key not in seen and len(text.split()) >= _MIN_WORDS:
                    seen.add(key)
                    units.append((text, span, i))
        if not units:
            return []
        expanded = [expand(u[0]) for u in units]
        overlap = _weighted_overlap(content_terms(expand(question)), [content_terms(t) for t in expanded])
        # Embedding sentences is the cost of an answer: embed only the likeliest, judged by their
        # passage's similarity and their own term overlap.
        prior = [
            _DENSE_WEIGHT * passages[u[2]].similarity + (1 - _DENSE_WEIGHT) * o
            for u, o in zip(units, overlap, strict=True)
        ]
        keep = sorted(sorted(range(len(units)), key=lambda k: -prior[k])[:_MAX_EMBEDDED])
        units, expanded, overlap = [units[k] for k in keep], [expanded[k] for k in keep], [overlap[k] for k in keep]
        vectors = self.embedder.embed_cached([question, *expanded])
        dense = vectors[1:] @ vectors[0]
        bibliographic = bool(_BIBLIOGRAPHIC.search(question))
        scored = [
            Candidate(
                text, span, i, _score(float(d), o, bibliographic and text.startswith(CITATION_PREFIX)), float(d), o
            )
            for (text, span, i), d, o in zip(units, dense, overlap, strict=True)
        ]
        return sorted(scored, key=lambda c: -c.score)

    def draft(
        self, candidates: list[Candidate], passages: list[Passage], cover: Set[str] = frozenset()
    ) -> tuple[list[Draft], list[int]]:
        """Answer sentences with citation numbers, and the passage index behind each number.

        The best sentence comes first (it answers most directly); the others follow in the
        order they appear in their documents, so quoted context reads in its original flow.
        `cover` names documents that must each contribute a sentence.
        """
        chosen = self._choose(candidates)
        for doc_id in cover:  # a question about several documents quotes the best sentence of each
            best = next((c for c in candidates if passages[c.passage].chunk.doc_id == doc_id), None)
            if best and best not in chosen and best.score >= self.settings.min_sentence_score:
                chosen.append(best)
        if not chosen:
            return [], []
        ordered = [chosen[0], *sorted(chosen[1:], key=lambda c: (c.passage, c.span))]
        numbers: dict[int, int] = {}
        drafts = []
        for cand in ordered:
            n = numbers.setdefault(cand.passage, len(numbers) + 1)
            drafts.append(Draft(cand.text, (n,)))
        by_number = sorted(numbers, key=numbers.__getitem__)
        return drafts, by_number

    def _choose(self, candidates: list[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        floor = max(self.settings.min_sentence_score, candidates[0].score - self.settings.sentence_margin)
        chosen: list[Candidate] = []
        for cand in candidates:
            if cand.score < floor or len(chosen) >= self.settings.max_sentences:
                break
            if not any(_near_duplicate(cand.text, c.text) for c in chosen):
                chosen.append(cand)
        return chosen


def _score(dense: float, overlap: float, citation_line: bool) -> float:
    """A bibliographic question ("which journal", "first author") is answered by the citation line."""
    return _DENSE_WEIGHT * dense + (1 - _DENSE_WEIGHT) * overlap + (_CITATION_BONUS if citation_line else 0.0)


def _weighted_overlap(q_terms: set[str], sentences: list[set[str]]) -> list[float]:
    """Per sentence, the IDF-weighted share of question terms it holds (rare terms count more)."""
    n = len(sentences)
    weight = {t: math.log(1 + n / (1 + sum(t in s for s in sentences))) for t in q_terms}
    total = sum(weight.values())
    if not total:
        return [0.0] * n
    return [sum(w for t, w in weight.items() if t in s) / total for s in sentences]


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = content_terms(a), content_terms(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.9


def refusal_text(prompts_dir: Path, nearest: list[Passage]) -> str:
    """The refusal phrase, then the nearest passages as a numbered list."""
    lines = [
        f"[{i}] {p.document.metadata.title or p.document.source}: {_snippet(p.chunk.text)}"
        for i, p in enumerate(nearest, 1)
    ]
    return load_prompt(prompts_dir, "refusal").render(
        refusal_phrase=REFUSAL_PHRASE, nearest="\n".join(lines) or "(no passages found)"
    )


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
