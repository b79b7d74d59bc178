"""Citation checking: every answer sentence must be supported by the passage it cites.

A sentence quoted whole from the cited passage is supported by itself. Any other sentence is
supported by a cited passage when (1) some sentence of the passage is close to it
in embedding space (cosine >= `support_threshold`) and (2) its key terms (numbers, gene, protein
and drug names) all occur in the passage and (3) a negation in the sentence is matched by one
in the supporting passage sentence. The support spans are the passage sentences that pass (1) and come within
`SUPPORT_SPAN_MARGIN` of the best one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.lexicon import INSTRUCTION_LIKE, SUPPORT_SPAN_MARGIN
from assistant.answer.terms import has_negation, key_terms
from assistant.models import AnswerSentence, Passage, Span
from assistant.store.embeddings import Embedder
from assistant.text.sentences import split_sentences

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Draft:
    """An answer sentence as written, before checking: its text and the passage numbers it cites."""

    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Support:
    supported: bool
    spans: tuple[Span, ...]
    similarity: float


def parse_answer(text: str) -> list[Draft]:
    """Split written answer text into sentences and their `[n]` markers (markers are removed)."""
    drafts: list[Draft] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        cites = tuple(int(n) for group in _MARKER.findall(sentence) for n in group.split(","))
        clean = _MARKER.sub("", sentence).strip()
        if clean:
            drafts.append(Draft(clean, tuple(dict.fromkeys(cites))))
    return drafts


def passage_sentences(passage: Passage) -> list[tuple[Span, str]]:
    chunk = passage.chunk
    return [((s, e), chunk.text[s - chunk.start : e - chunk.start]) for s, e in chunk.sentences]


def evidence_only(passage: Passage) -> Passage:
    """The passage with its instruction-like sentences blanked out (offsets kept), so that they
    neither support a claim nor lend it their numbers and names."""
    chunk = passage.chunk
    text, kept = chunk.text, []
    for s, e in chunk.sentences:
        a, b = s - chunk.start, e - chunk.start
        if INSTRUCTION_LIKE.search(text[a:b]):
            text = text[:a] + " " * (b - a) + text[b:]
        else:
            kept.append((s, e))
    if len(kept) == len(chunk.sentences):
        return passage
    return replace(passage, chunk=replace(chunk, text=text, sentences=tuple(kept)))


class CitationVerifier:
    """Checks drafts against the passages they cite."""

    def __init__(self, embedder: Embedder, support_threshold: float) -> None:
        self.embedder = embedder
        self.threshold = support_threshold

    def support(self, sentence: str, passage: Passage) -> Support:
        units = passage_sentences(passage)
        if not units:
            return Support(False, (), 0.0)
        quoted = [span for span, text in units if text.strip() == sentence.strip()]
        if quoted:  # a sentence of the passage, quoted whole (the extractive answer), is supported by itself
            return Support(True, (quoted[0],), 1.0)
        vectors = self.embedder.embed_cached([sentence] + [text for _, text in units])
        sims = vectors[1:] @ vectors[0]
        best = float(sims.max())
        # Passage sentences near the best one support it too (a claim can rest on two sentences).
        close = [i for i in np.argsort(-sims) if sims[i] >= max(self.threshold, best - SUPPORT_SPAN_MARGIN)]
        if not close:
            return Support(False, (), best)
        passage_text = passage.chunk.text.lower()
        terms_ok = all(term in passage_text for term in key_terms(sentence))
        negation_ok = not has_negation(sentence) or any(has_negation(units[i][1]) for i in close)
        spans = tuple(sorted(units[i][0] for i in close))
        return Support(terms_ok and negation_ok, spans, best)

    def verify(
        self, drafts: list[Draft], passages: dict[int, Passage]
    ) -> tuple[list[AnswerSentence], dict[int, list[Span]]]:
        """Checked sentences (citations to unknown passages dropped) and support spans per citation."""
        sentences: list[AnswerSentence] = []
        spans: dict[int, list[Span]] = {}
        for draft in drafts:
            known = [n for n in draft.cites if n in passages]
            supporting = []
            for n in known:
                result = self.support(draft.text, passages[n])
                if result.supported:
                    supporting.append(n)
                    spans.setdefault(n, []).extend(s for s in result.spans if s not in spans.get(n, []))
            sentences.append(AnswerSentence(draft.text, tuple(supporting or known), bool(supporting)))
        return sentences, spans
