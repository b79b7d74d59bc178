"""Writing an answer from passages: the offline extractive answer and the refusal.

The extractive answer quotes the passage sentences that best answer the question. Each
candidate sentence is scored as `0.6 * cosine(question, sentence) + 0.4 * term overlap`, the
overlap being the IDF-weighted share of the question's content terms that the sentence contains,
with its own document's statistics and aliases (`overlap`). A question about several documents
is also scored, per document, by the part of it about that document. Which sentences make the
answer is decided in `selection`, whether to refuse instead in `answerability`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answer.gate.answerability import document_focus, subject_documents
from assistant.answer.lexicon import (
    BIBLIOGRAPHIC_ASKED,
    CITATION_LINE_BONUS,
    DENSE_WEIGHT,
    JOURNAL_ASKED,
    JOURNAL_NAMED,
    MIN_ANSWER_WORDS,
    MIN_SENTENCE_WORDS,
    SHORTLIST,
    SHORTLIST_PER_DOCUMENT,
)
from assistant.answer.overlap import DocumentOverlap
from assistant.answer.prompts import REFUSAL_PHRASE, load_prompt
from assistant.answer.selection import Candidate, Selector
from assistant.answer.terms import content_terms, words
from assistant.answer.verification import Draft, passage_sentences
from assistant.ingest.documents import CITATION_PREFIX
from assistant.models import Passage, Span
from assistant.settings import AnswerSettings
from assistant.store.embeddings import Embedder, Matrix
from assistant.text.references import without_reference_marks
from assistant.text.sentences import ends_sentence

__all__ = ["REFUSAL_PHRASE", "Candidate", "ExtractiveAnswerer", "evidence", "refusal_text"]


@dataclass(frozen=True)
class _Unit:
    text: str
    span: Span
    passage: int
    expanded: str
    terms: frozenset[str]


class ExtractiveAnswerer:
    """Chooses, scores and orders passage sentences."""

    def __init__(
        self,
        embedder: Embedder,
        settings: AnswerSettings,
        overlap: DocumentOverlap,
        named: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.settings = settings
        self.overlap = overlap
        self.named = named  # the names a lexicon knows in a text: they decide which document a question is about

    def candidates(
        self,
        question: str,
        passages: list[Passage],
        expand: Callable[[str], str] = str,
        written_out: Callable[[str], str] = str,
    ) -> list[Candidate]:
        """Unique passage sentences with their scores, best first.

        Sentences carry aliases, so that "Imi" in a sentence meets "imiquimod" in a question: in the
        model's vector those its own document defines (stored at indexing, `assistant.ingest.encoding`), in the
        term overlap those `expand` adds (the whole corpus's).
        A question about several documents is also scored, per document, by the part of it about
        that document (`Candidate.focus`). `written_out` writes the question's abbreviations as its passages spell
        them (`abbreviations.SpelledOut`): no sentence vector or term holds a short form its document never writes.
        """
        units = _units(passages, expand)
        if not units:
            return []
        parts = document_focus(question, passages, expand)
        q_terms = content_terms(expand(question))
        asked = {doc: content_terms(expand(part)) for doc, part in parts.items()}
        keys = [(p.chunk.doc_id, p.document.indexed_at, u.text) for u in units for p in (passages[u.passage],)]
        asked_as = [written_out(q) for q in (question, *parts.values())]
        rows = self.overlap.shares_many(asked_as, keys)
        overlap = {"": rows[0], **dict(zip(parts, rows[1:], strict=True))}
        kept = _shortlist(passages, units, overlap)
        # One column per question: the whole one, then the part about each document.
        questions = self.embedder.embed_cached(asked_as)
        dense = self._sentence_vectors([units[k] for k in kept], passages) @ questions.T
        column = {doc: 1 + n for n, doc in enumerate(parts)}
        concept = _concepts(question, expand)
        # A bibliographic question is answered by the citation line of the document it is about, not of a neighbour.
        bibliographic = BIBLIOGRAPHIC_ASKED.search(question)
        cited = subject_documents(question, passages, expand, self.named) if bibliographic else set()
        # A question asking which journal: a sentence naming one ranks up as the citation line does. (Not a date for
        # one asking when: any date in the passages, the citation line's first, stood in for the date asked about.)
        journal_asked = bool(JOURNAL_ASKED.search(question))
        scored = []
        for row, k in enumerate(kept):
            unit, doc = units[k], passages[units[k].passage].chunk.doc_id
            cited_line = doc in cited and unit.text.startswith(CITATION_PREFIX)
            of_type = journal_asked and not cited_line and bool(JOURNAL_NAMED.search(unit.text))
            bonus = cited_line or of_type
            if unit.terms <= q_terms and not bonus and not ends_sentence(unit.text):
                continue  # a title or heading that only repeats the question ("Rapamycin and memory CD8 T cells")
            score = _score(float(dense[row, 0]), overlap[""][k], bonus)
            focus = _score(float(dense[row, column[doc]]), overlap[doc][k], bonus) if doc in column else score
            held = frozenset(concept.get(t, t) for t in unit.terms & asked.get(doc, q_terms))
            cosine, terms = float(dense[row, 0]), overlap[""][k]
            scored.append(Candidate(unit.text, unit.span, unit.passage, score, cosine, terms, held, focus, of_type))
        return sorted(scored, key=lambda c: -c.score)

    def _sentence_vectors(self, units: list[_Unit], passages: list[Passage]) -> Matrix:
        """Each unit's vector as indexing stored it; a sentence without one (a document indexed without them)
        is encoded now, aliases added, as indexing would have."""
        stored = [passages[u.passage].sentence_vectors.get(u.span) for u in units]
        missing = [u.expanded for u, v in zip(units, stored, strict=True) if v is None]
        fresh = iter(self.embedder.embed_cached(missing)) if missing else iter(())
        return np.vstack([v if v is not None else next(fresh) for v in stored]).astype(np.float32)

    def draft(
        self, candidates: list[Candidate], passages: list[Passage], cover: Set[str] = frozenset()
    ) -> tuple[list[Draft], list[int]]:
        """Answer sentences with citation numbers, and the passage index behind each number.

        The best sentence comes first (it answers most directly); the others follow in the
        order they appear in their documents, so quoted context reads in its original flow.
        `cover` names documents that must each contribute a sentence: the one that best answers
        the part of the question about that document.
        """
        chosen = Selector(self.settings, passages).select(candidates, cover)
        if not chosen:
            return [], []
        ordered = [chosen[0], *sorted(chosen[1:], key=lambda c: (c.passage, c.span))]
        numbers: dict[int, int] = {}
        drafts = []
        for cand in ordered:
            n = numbers.setdefault(cand.passage, len(numbers) + 1)
            drafts.append(Draft(without_reference_marks(cand.text), (n,)))
        by_number = sorted(numbers, key=numbers.__getitem__)
        return drafts, by_number


def _units(passages: list[Passage], expand: Callable[[str], str]) -> list[_Unit]:
    """The passages' sentences long enough to answer, each once, with aliases added and content terms."""
    seen: set[tuple[str, Span]] = set()
    units: list[_Unit] = []
    for i, passage in enumerate(passages):
        for span, text in passage_sentences(passage):
            key = (passage.chunk.doc_id, span)
            if key not in seen and _answer_sized(text):
                seen.add(key)
                expanded = expand(text)
                units.append(_Unit(text, span, i, expanded, frozenset(content_terms(expanded))))
    return units


def _answer_sized(text: str) -> bool:
    """Long enough to answer: `MIN_ANSWER_WORDS`, or a short sentence that ends as one ("Donepezil inhibits
    acetylcholinesterase."; a heading or a byline does not)."""
    n = len(text.split())
    return n >= MIN_ANSWER_WORDS or (n >= MIN_SENTENCE_WORDS and ends_sentence(text))


def _concepts(question: str, expand: Callable[[str], str]) -> dict[str, str]:
    """The terms of each name the question uses with aliases, mapped to that name ("STI571" and its
    "imatinib mesylate", "Gleevec"): a sentence holding one of them holds the name."""
    concept: dict[str, str] = {}
    for word in dict.fromkeys(words(question)):
        names = content_terms(expand(word))
        if len(names) > 1:
            concept.update(dict.fromkeys(names, word.lower()))
    return concept


def _shortlist(passages: list[Passage], units: list[_Unit], overlap: dict[str, list[float]]) -> list[int]:
    """The units worth scoring, judged by their passage's similarity and their own term overlap: the best overall
    (`overlap[""]`) and the best of each document a question is about. It once bounded what was encoded per
    question; scoring is free now, but the answer rules and the gold eval were tuned with this shortlist, so it
    stays."""
    kept = set(_likeliest(passages, units, overlap[""], range(len(units)), SHORTLIST))
    for doc, doc_overlap in overlap.items():
        if doc:
            own = [k for k, u in enumerate(units) if passages[u.passage].chunk.doc_id == doc]
            kept.update(_likeliest(passages, units, doc_overlap, own, SHORTLIST_PER_DOCUMENT))
    return sorted(kept)


def _likeliest(
    passages: list[Passage], units: list[_Unit], overlap: list[float], among: Iterable[int], n: int
) -> list[int]:
    """The `n` units among `among` with the best prior: passage similarity and term overlap."""
    prior = {k: DENSE_WEIGHT * passages[units[k].passage].similarity + (1 - DENSE_WEIGHT) * overlap[k] for k in among}
    return sorted(prior, key=lambda k: -prior[k])[:n]


def evidence(candidates: Sequence[Candidate]) -> tuple[float, float]:
    """The answer gate's figures of how well the best sentence speaks to the question, its score and its cosine,
    the best taken without the bonus for holding the kind of thing asked for (a sentence naming a journal does not
    answer "in which volume of that journal?"); (0, 0) without candidates."""
    if not candidates:
        return 0.0, 0.0
    lead = max(candidates, key=_unbonused)
    return _unbonused(lead), lead.dense


def _unbonused(candidate: Candidate) -> float:
    return candidate.score - (CITATION_LINE_BONUS if candidate.typed else 0.0)


def _score(dense: float, overlap: float, citation_line: bool) -> float:
    """A bibliographic question ("which journal", "first author") is answered by the citation line."""
    return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * overlap + (CITATION_LINE_BONUS if citation_line else 0.0)


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
    flat = " ".join(without_reference_marks(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
