"""Claim check: a text (a claim, a paragraph, a manuscript page) checked sentence by sentence against the library.

Each sentence is a query: the best `check_passages` passages are retrieved for it and the claim verifier judges it
against each (supported, contradicted or not found, with the passage sentences the verdict rests on). The
sentence is supported when some passage supports it, else contradicted when some passage contradicts it, else
not found; its score is the calibrated probability of that verdict.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.answer.lexicon import MIN_SENTENCE_WORDS  # shorter pieces ("Results.") are no claims
from assistant.errors import InputError
from assistant.models import CheckedPassage, CheckReport, Citation, Passage, SentenceCheck, Span, Verdict
from assistant.text.characters import normalize_unicode
from assistant.text.sentences import split_sentences
from assistant.text.wrapping import unwrap

if TYPE_CHECKING:
    from assistant.answer.verification import CitationVerifier, Support
    from assistant.retrieval.hybrid import HybridRetriever

CheckProgress = Callable[[int, int], None]  # (sentences done, sentences in all)
# What a manuscript writes around a claim that is not part of it: a list marker ("1) ", "(a) ", "- ") and citation
# markers ("[1]", "[2, 5-7]", "(ref. 12)", "(Larmonier et al., 2008; Wu 2010)"). Read as words they turned a true
# sentence into a contradiction; they are left out of what is retrieved and verified, and shown as written.
_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\(?[a-z][)]|[-*\u2022])\s+")
_AUTHOR_YEAR = r"[A-Z][\w'-]+(?:\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][\w'-]+)?,?\s+(?:19|20)\d\d[a-z]?"
_CITATION = re.compile(
    r"\s*(?:\[\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*\]|\((?:refs?\.?|references?)\s*\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*\)"
    rf"|\({_AUTHOR_YEAR}(?:\s*;\s*{_AUTHOR_YEAR})*\))",
    re.I,
)
_CONTROL_SHARE = 0.05  # text has almost no control characters; more means a binary file pasted as text
# Shown with a contradiction on every surface: the verifier's contradictions are less sure than its supports (README:
# on SciFact dev 20 of the 54 pairs called contradicted are claims their abstract supports).
CONTRADICTION_CAVEAT = (
    "A contradiction is the model's reading of the passage it cites: read that passage before you rely on it."
)


def check_text(text: str, limit: int) -> list[str]:
    """The sentences of a text worth checking; a clear `InputError` for empty, huge or binary input."""
    if "\x00" in text or sum(c < " " and c not in "\t\n\r\f" for c in text) > _CONTROL_SHARE * max(len(text), 1):
        raise InputError("the text holds binary data (control characters): paste or give plain text")
    if len(text) > limit:
        raise InputError(
            f"the text is {len(text)} characters long; the limit is {limit} (ASSISTANT_ANSWER__MAX_CHECK_CHARS)"
        )
    text = normalize_unicode(text)  # control and invisible characters out: an escape sequence reached the terminal
    text = unwrap(text)  # a pasted paragraph wrapped by its editor: a line break is no sentence end there
    sentences = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    # A question states nothing to check; a heading ("Results.") is too short to.
    kept = [s for s in sentences if len(claim_of(s).split()) >= MIN_SENTENCE_WORDS and not s.endswith("?")]
    if not kept:
        raise InputError("the text has no sentence to check: give at least one statement of three or more words")
    return kept


def claim_of(sentence: str) -> str:
    """What a sentence claims, without its list marker and citation markers (`_LIST_MARK`, `_CITATION`)."""
    return " ".join(_CITATION.sub("", _LIST_MARK.sub("", sentence)).split())


class ClaimChecker:
    """Retrieves for each sentence and asks the verifier about each passage, the passages of `GROUP` sentences in
    one batch: one verifier call per group pads less and runs its three rounds once, where a call per sentence
    ran them per sentence (progress is reported per group)."""

    # Sentences per verifier call: a 50-sentence text in one (model time 9.2-9.7 s; 11.0-11.9 s a call per sentence).
    GROUP = 50

    def __init__(self, retriever: HybridRetriever, verifier: CitationVerifier, passages: int) -> None:
        self.retriever = retriever
        self.verifier = verifier
        self.passages = passages

    def check(self, sentences: list[str], text: str, progress: CheckProgress | None = None) -> CheckReport:
        started = time.perf_counter()
        results: list[SentenceCheck] = []
        for start in range(0, len(sentences), self.GROUP):
            results += self._group(sentences[start : start + self.GROUP])
            if progress:
                progress(len(results), len(sentences))
        return CheckReport(text, tuple(results), {"total": (time.perf_counter() - started) * 1000})

    def _group(self, sentences: list[str]) -> list[SentenceCheck]:
        # A document's instructions to its reader are no evidence here either (`verification.evidence_only`).
        claims = [claim_of(s) for s in sentences]
        found = [[self.verifier.evidence(p) for p in self.retriever.retrieve(c, self.passages)] for c in claims]
        supports = iter(self.verifier.support_many([(c, p) for c, ps in zip(claims, found, strict=True) for p in ps]))
        return [_sentence(s, ps, [next(supports) for _ in ps]) for s, ps in zip(sentences, found, strict=True)]


def _sentence(sentence: str, passages: list[Passage], supports: list[Support]) -> SentenceCheck:
    """The sentence's verdict: supported by its best supporting passage, else contradicted by its best
    contradicting one, else not found."""
    checked = tuple(_checked(n, p, s) for n, (p, s) in enumerate(zip(passages, supports, strict=True), 1))
    for verdict in ("supported", "contradicted"):
        found = [c for c in checked if c.verdict == verdict]
        if found:
            best = max(found, key=lambda c: c.score)
            return SentenceCheck(sentence, best.verdict, best.score, checked)
    score = min((c.score for c in checked), default=1.0)
    return SentenceCheck(sentence, "not_found", score, checked)


def _checked(n: int, passage: Passage, support: Support) -> CheckedPassage:
    verdict: Verdict = "supported" if support.supported else "contradicted" if support.contradicted else "not_found"
    rationale: tuple[Span, ...] = support.spans if verdict != "not_found" else ()
    return CheckedPassage(citation_of(n, passage, rationale), verdict, support.similarity)


def citation_of(n: int, passage: Passage, support: tuple[Span, ...]) -> Citation:
    """The numbered citation of a passage, with the spans that support (or decide) what cites it."""
    meta = passage.document.metadata
    return Citation(
        n=n,
        doc_id=passage.chunk.doc_id,
        source=passage.document.source,
        title=meta.title or passage.document.source,
        text=passage.chunk.text,
        start=passage.chunk.start,
        end=passage.chunk.end,
        score=passage.score,
        authors=meta.authors,
        journal=meta.journal,
        year=meta.year,
        page=passage.chunk.page_of(support[0][0]) if support else passage.chunk.page,  # the page of what is cited
        support=support,
    )
