"""Typed records that travel along the data path: Document -> Chunk -> Passage -> Answer."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

Span = tuple[int, int]
# How an answer is written: quoted passage sentences, or by the LLM. The CLI choices, the eval runner, the settings
# and the chat page's selector all derive from this one type.
AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[str, ...] = get_args(AnswerMode)
# Why the answer gate refuses (`answer.gate.answerability.judge`); each can be switched off by name for ablations.
# The last is the learned gate's own (`answer.gate = "learned"`): its score is low and no other reason fired.
RefusalReason = Literal[
    "weak evidence",
    "missing terms",
    "missing names",
    "no quantity",
    "no date",
    "not together",
    "not combined",
    "not linked",
    "low answerability score",
]
REFUSAL_REASONS: tuple[str, ...] = get_args(RefusalReason)
RULE_REASONS: tuple[str, ...] = REFUSAL_REASONS[:-1]  # the hand-written rules, without the learned gate's own


@dataclass(frozen=True)
class DocumentMetadata:
    """Bibliographic facts found in a document; empty when not present."""

    title: str = ""
    authors: tuple[str, ...] = ()
    journal: str = ""
    year: int | None = None
    pages: str = ""
    published: str = ""  # publication date as printed, e.g. "Nov 15 2008"


@dataclass(frozen=True)
class Document:
    """A cleaned document. `doc_id` is a hash of the source bytes, so it is stable across runs."""

    doc_id: str
    source: str  # file name as given by the user (no directories)
    text: str  # cleaned text; every character span in the index refers to it
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    page_starts: tuple[int, ...] = ()  # offset in `text` where each page begins (paged formats such as PDF)

    def page_at(self, offset: int) -> int | None:
        """1-based page holding the character at `offset`, or None for unpaged documents."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    @property
    def title(self) -> str:
        return self.metadata.title or self.source


@dataclass(frozen=True)
class Chunk:
    """A token-sized run of whole sentences of one document."""

    chunk_id: str
    doc_id: str
    index: int  # position of the chunk within its document
    text: str
    start: int  # character span in Document.text
    end: int
    sentences: tuple[Span, ...]  # sentence spans in Document.text, inside [start, end)
    n_tokens: int
    page: int | None = None  # page where the chunk starts, for paged documents
    page_breaks: tuple[int, ...] = ()  # offsets in Document.text inside the chunk where a new page begins

    def page_of(self, offset: int) -> int | None:
        """The page holding the character at `offset` (in Document.text) of this chunk; None for unpaged ones."""
        return None if self.page is None else self.page + sum(b <= offset for b in self.page_breaks)


@dataclass(frozen=True)
class DocumentRecord:
    """What the index knows about a committed document (no text)."""

    doc_id: str
    source: str
    metadata: DocumentMetadata
    n_chunks: int
    indexed_at: str  # ISO-8601 UTC


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the facts a citation needs."""

    chunk: Chunk
    document: DocumentRecord
    score: float  # fused retrieval score in [0, 1], comparable across questions (docs/architecture.md, "Scores")
    similarity: float  # cosine similarity of the chunk to the question (dense), in [-1, 1]
    # The vector of each of its sentences stored at indexing (see assistant.ingest.encoding); empty when there are none.
    sentence_vectors: Mapping[Span, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Citation:
    """Numbered pointer from an answer to the passage that supports it."""

    n: int
    doc_id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    score: float
    authors: tuple[str, ...] = ()
    journal: str = ""
    year: int | None = None
    page: int | None = None
    support: tuple[Span, ...] = ()  # spans in the document text that support the cited sentences


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer with the citations it carries and whether they support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool

    def rendered(self) -> str:
        """The sentence as shown: its `[n]` markers after it, and a flag when no citation supports it."""
        marks = "".join(f"[{n}]" for n in self.citations)
        flag = "" if self.supported else "(unsupported)"
        return " ".join(part for part in (self.text, marks, flag) if part)


@dataclass(frozen=True)
class Contradiction:
    """An answer sentence that a cited passage contradicts: removed from the answer, reported beside it."""

    sentence: str
    n: int  # the citation number of the passage that contradicts it
    span: Span  # the passage sentence(s) that contradict it, in its document's text (at most two neighbours)


@dataclass(frozen=True)
class Answer:
    """The answer to one question."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    sentences: tuple[AnswerSentence, ...] = ()
    nearest: tuple[Citation, ...] = ()  # shown with a refusal: the closest passages found
    mode: str = "extractive"  # who wrote the text shown: "extractive" or "llm"
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str = ""  # e.g. why an llm-mode question got the extractive answer instead
    refusal_reason: str = ""  # why a refused question was refused, in words
    contradicted: tuple[Contradiction, ...] = ()  # sentences (of the LLM) that their passages contradict

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape shared by the CLI (`ask --json`) and the REST API."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "notice": self.notice,
            "refusal_reason": self.refusal_reason,
            "contradicted": [{"sentence": c.sentence, "n": c.n, "span": list(c.span)} for c in self.contradicted],
            "citations": [_citation_json(c) for c in self.citations],
            "nearest": [_citation_json(c) for c in self.nearest],
            "sentences": [asdict(s) | {"citations": list(s.citations)} for s in self.sentences],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def _citation_json(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "source": c.source,
        "title": c.title,
        "authors": list(c.authors),
        "journal": c.journal,
        "year": c.year,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "page": c.page,
        "score": round(c.score, 4),
        "support": [list(s) for s in c.support],
    }


AnswerEvent = str | Answer  # a text delta (or partial text) while the LLM writes, or the final verified answer


Verdict = Literal["supported", "contradicted", "not_found"]


@dataclass(frozen=True)
class CheckedPassage:
    """A passage retrieved for a checked sentence, with the verifier's verdict on it; `citation.support` holds the
    rationale: the passage sentences the verdict rests on."""

    citation: Citation
    verdict: Verdict
    score: float  # calibrated probability of the verdict


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of a checked text: supported when some passage supports it, else contradicted when some
    passage contradicts it, else not found."""

    sentence: str
    verdict: Verdict
    score: float
    passages: tuple[CheckedPassage, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "passages": [
                _citation_json(p.citation) | {"verdict": p.verdict, "score": round(p.score, 4)} for p in self.passages
            ],
        }


@dataclass(frozen=True)
class CheckReport:
    """A text (a claim, a paragraph, a manuscript page) checked sentence by sentence against the library."""

    text: str
    sentences: tuple[SentenceCheck, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        counts = {v: sum(s.verdict == v for s in self.sentences) for v in get_args(Verdict)}
        return {
            "sentences": [s.to_json() for s in self.sentences],
            "counts": counts,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
