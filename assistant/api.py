"""The one `Assistant` API that the CLI, the web UI and the REST API are thin shells over."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from assistant.answer.abbreviations import SpelledOut, named_as_in
from assistant.answer.assembly import Clock, compose, fallback, lead_document, refusal
from assistant.answer.claims import CheckProgress, ClaimChecker, check_text
from assistant.answer.extractive import Candidate, ExtractiveAnswerer, evidence
from assistant.answer.gate.answerability import NOT_VERIFIED, judge, spans_documents, subject_documents
from assistant.answer.gate.learned import LearnedGate, load_gate, trained_beside
from assistant.answer.instruction_screen import InstructionScreen
from assistant.answer.llm.client import ReplyLimits
from assistant.answer.llm.generation import LLMAnswer, LLMAnswerer, Turn
from assistant.answer.llm.registry import describe, is_configured, make_llm
from assistant.answer.overlap import DocumentOverlap
from assistant.answer.prompts import check_prompts
from assistant.answer.questions import check_question, check_top_k
from assistant.answer.relevance.model import RelevanceModel
from assistant.answer.verification import CitationVerifier
from assistant.answer.verifier.model import ClaimVerifier
from assistant.errors import InputError, LLMError, check_unicode
from assistant.ingest.indexing import Indexer, IndexReport, Progress, writer_lock
from assistant.models import (
    ANSWER_MODES,
    Answer,
    AnswerEvent,
    CheckReport,
    DocumentRecord,
    Passage,
)
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import Settings, load_settings
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder, SentenceTransformerEmbedder
from assistant.text.aliases import lexicon_names
from assistant.text.lexicons import load_lexicons

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Extracted:
    """The extractive step's answer (or refusal), and what the judge of an LLM answer reuses: the best sentence
    score and cosine, the relevance figure, the question's names read with their aliases (`_expander`) and the
    documents the extractive draft quotes (the figures the learned gate was trained on come from that draft)."""

    answer: Answer
    best: float
    dense: float = 0.0
    relevance: float | None = None
    expand: Callable[[str], str] = str
    quoted: frozenset[str] = frozenset()


class Assistant:
    """Index documents and answer questions from them with checked citations.

    `Assistant()` reads settings from the environment, opens the index, and indexes the seed
    documents when the index is empty. In `llm` mode the extractive step still runs first: it is
    the answerability gate (an unanswerable question is refused before any LLM call) and the
    fallback shown when the LLM fails or nothing it wrote is verified.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        index_seeds: bool = True,
        rebuild: bool = False,
        embedder: Embedder | None = None,
    ) -> None:
        """`rebuild` drops the index first (needed when it was built with other settings)."""
        self.settings = settings or load_settings()
        self._closed = False
        check_prompts(self.settings.paths.prompts_dir)
        if rebuild:
            with writer_lock(self.settings.paths.index_dir):
                self.store = Store(self.settings, reset=True)
        else:
            self.store = Store(self.settings)
        try:
            self._build(embedder, index_seeds)
        except BaseException:
            self.store.close()  # a failed start keeps no descriptors open
            raise

    def _build(self, embedder: Embedder | None, index_seeds: bool) -> None:
        # An embedder may be shared between assistants of the same model (tests, benchmarks).
        self.embedder = embedder or SentenceTransformerEmbedder(self.settings.embedding)
        self.indexer = Indexer(self.store, self.embedder)
        self.retriever = HybridRetriever(self.store, self.embedder, self.settings.retrieval)
        overlap = DocumentOverlap(self.retriever.document_sentences, load_lexicons(self.settings.retrieval.lexicons))
        # Names a general lexicon knows ("dasatinib") that the answer gate asks the passages to hold, and (with
        # `answer.lexicon_synonyms`) reads as the passages name them ("Glivec": imatinib mesylate).
        names = load_lexicons(self.settings.answer.name_lexicons)
        self._named = partial(lexicon_names, lexicons=names)
        self.answerer = ExtractiveAnswerer(self.embedder, self.settings.answer, overlap, self._named)
        self._synonyms = names if self.settings.answer.lexicon_synonyms else ()
        trained = self.settings.answer.citation_check == "verifier"
        self.claims = ClaimVerifier(self.settings.paths.verifier_dir) if trained else None
        screen = InstructionScreen.load(self.settings.paths.instructions_dir)
        self.verifier = CitationVerifier(
            self.embedder,
            self.settings.answer.support_threshold,
            self.claims,
            self._rename,
            screen,
            self._written_as_in,
        )
        self.relevance = self._relevance_model()
        self._llm: LLMAnswerer | None = None  # built on the first llm-mode question
        self._llm_lock = threading.Lock()
        gate = self._gate()  # a learned gate that cannot be read fails here, not at the first question
        if gate is not None and not trained_beside(gate, self.settings.retrieval):
            log.warning(
                "the learned answer gate was trained under other retrieval settings (ASSISTANT_RETRIEVAL__*): its "
                "retrieval figures now read differently; `make gate` retrains it for these"
            )
        seeds = self.settings.paths.seeds_dir
        if index_seeds and seeds.is_dir() and not self.store.records():
            self.index([seeds])

    def _gate(self) -> LearnedGate | None:
        """The learned answer gate when `answer.gate` is "learned" (read once per folder), else None."""
        return load_gate(self.settings.paths.gate_dir) if self.settings.answer.gate == "learned" else None

    def _relevance_model(self) -> RelevanceModel | None:
        """The answer-relevance model, when its figure is asked for (`answer.relevance_candidates`); a learned gate
        that reads the figure fails here when it is not asked for or the weights are missing, else the figure is
        left out (None). The shipped gate does not read it (`learned.FEATURES`)."""
        gate = self._gate()
        reads = gate is not None and any(f.name == "relevance" for f in gate.features)
        if not self.settings.answer.relevance_candidates:
            if reads:
                raise ValueError("the learned answer gate reads the answer-relevance figure: set "
                                 "ASSISTANT_ANSWER__RELEVANCE_CANDIDATES (8 when it was trained)")  # fmt: skip
            return None
        model = RelevanceModel(self.settings.paths.relevance_dir)
        if not model.available and reads:
            raise FileNotFoundError(f"the learned answer gate reads the answer-relevance model, and {model.path} "
                                    "holds no weights (python -m assistant.answer.relevance.training)")  # fmt: skip
        return model if model.available else None

    def _rename(self, sentence: str, unit: str) -> str:
        """The sentence with its names written as the passage unit writes them, by the aliases the library defines
        (read from the retriever's current snapshot), for the claim verifier (`AliasMap.written_as`)."""
        return self.retriever.aliases.written_as(sentence, unit)

    def _written_as_in(self, sentence: str, text: str) -> str:
        """The sentence with its abbreviations that a passage spells out (`answer.spell_abbreviations`) and its drugs
        that the passage names otherwise (`answer.lexicon_synonyms`) written as the passage writes them, for the
        answer guard and the claim check alike (`abbreviations.named_as_in`)."""
        spell = self.settings.answer.spell_abbreviations
        if not spell and not self._synonyms:
            return sentence
        return named_as_in(sentence, text, self.retriever.aliases, self._synonyms, abbreviations=spell)

    # --- the library -------------------------------------------------------------------------
    def index(self, paths: list[Path], *, progress: Progress | None = None) -> IndexReport:
        """Index files and folders; folders are synced (files gone from them leave the index)."""
        self._check_open()
        return self.indexer.index(paths, progress)

    def remove(self, target: str) -> str:
        """Remove a document by id, path or file name; returns its source name."""
        self._check_open()
        return self.indexer.remove(target)

    def documents(self) -> list[DocumentRecord]:
        self._check_open()
        return self.store.records()

    def close(self) -> None:
        """Release the index's files and connections (about twenty descriptors: Chroma's vector segments, its
        database, its runtime), which otherwise stay open until the process ends, however many assistants it
        makes. The assistant refuses further use; closing twice is harmless. `with Assistant() as a:` closes."""
        if not self._closed:
            self._closed = True
            self.store.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise InputError("this assistant was closed: make a new one to use the index")

    # --- questions ---------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        """The question as it will be asked, or a clear `InputError` (`questions.check_question`)."""
        return check_question(question, self.settings.retrieval.max_question_chars)

    def ask(
        self, question: str, top_k: int | None = None, *, mode: str | None = None, history: Sequence[Turn] = ()
    ) -> Answer:
        """Answer from the indexed passages, or refuse with the nearest passages when they do not answer.

        `mode` overrides `ASSISTANT_ANSWER__MODE`; `history` (llm mode) turns a follow-up into a standalone question.
        """
        for event in self._events(question, top_k, mode, history, stream=False):
            if isinstance(event, Answer):
                return event
        raise AssertionError("an answer always ends the events")

    def ask_stream(
        self, question: str, top_k: int | None = None, *, mode: str | None = None, history: Sequence[Turn] = ()
    ) -> Iterator[AnswerEvent]:
        """Text deltas while the LLM writes (none in extractive mode or for a refusal), then the verified
        `Answer`, which replaces them: it may drop sentences the stream showed."""
        return self._events(question, top_k, mode, history, stream=True)

    def _events(
        self, question: str, top_k: int | None, mode: str | None, history: Sequence[Turn], stream: bool
    ) -> Iterator[AnswerEvent]:
        self._check_open()
        question = self.check_question(question)
        check_top_k(top_k)
        mode = mode or self.settings.answer.mode
        if mode not in ANSWER_MODES:
            raise InputError(f"unknown answer mode {mode!r}; modes: {', '.join(ANSWER_MODES)}")
        clock = Clock()
        if mode == "llm" and history:
            question = self._condense(history, question)
            clock.lap("condense")
        # A sentence that instructs the reader is never evidence, in any mode.
        passages = [self.verifier.evidence(p) for p in self.retriever.retrieve(question, top_k)]
        clock.lap("retrieve")
        extracted = self._extract(question, passages, clock)
        if mode == "extractive":
            yield extracted.answer
            return
        if extracted.answer.refused:  # the gate: no LLM call for a question the passages do not answer
            yield replace(extracted.answer, mode="llm")
            return
        try:
            answerer = self.llm_answerer()
        except LLMError as exc:
            yield fallback(extracted.answer, str(exc), clock)
            return
        result: LLMAnswer | None = None
        events = answerer.stream_answer(question, passages) if stream else iter([answerer.answer(question, passages)])
        for event in events:
            if isinstance(event, str):
                yield event
            else:
                result = event
        assert result is not None
        clock.lap("llm")
        yield self._from_llm(question, passages, result, extracted, clock)

    def _expander(self, question: str, passages: list[Passage]) -> tuple[Callable[[str], str], SpelledOut]:
        """The corpus's aliases, and with `answer.spell_abbreviations` the question's abbreviations that its
        passages spell out without defining them ("DCs": dendritic cells), with `answer.lexicon_synonyms` its names
        that they write otherwise ("Glivec": imatinib mesylate)."""
        aliases, spell = self.retriever.aliases, self.settings.answer.spell_abbreviations
        if not spell and not self._synonyms:
            return aliases.expand, SpelledOut()
        texts = [p.chunk.text for p in passages]
        spelled = SpelledOut.find(question, texts, aliases, self._synonyms, abbreviations=spell)
        return spelled.expand(aliases.expand), spelled

    def _extract(self, question: str, passages: list[Passage], clock: Clock) -> _Extracted:
        expand, spelled = self._expander(question, passages)
        candidates = self.answerer.candidates(question, passages, expand, spelled.written_out)
        best, dense = evidence(candidates)  # the best sentence's score and cosine, for the gate
        relevance = self._relevance(question, candidates)
        cover = spans_documents(question, passages, expand)
        if not cover and self.settings.answer.subject_only:  # one subject, one source: see AnswerSettings
            subjects = subject_documents(question, passages, expand, self._named)
            candidates = [c for c in candidates if passages[c.passage].chunk.doc_id in subjects]
        drafts, order = self.answerer.draft(candidates, passages, cover)
        numbered = {n: passages[i] for n, i in enumerate(order, 1)}
        chosen = lead_document(drafts, numbered)
        quoted = frozenset(numbered[d.cites[0]].chunk.doc_id for d in drafts)
        verdict = judge(
            question, passages, chosen, best, self.settings.answer, expand, dense, self._gate(), relevance,
            self._named, quoted,
        )  # fmt: skip
        clock.lap("answer")
        checked = self.verifier.verify(drafts, numbered)
        clock.lap("verify")
        spans = checked.spans
        kept = [s for s in checked.sentences if s.supported or self.settings.answer.unsupported == "mark"]
        if not verdict.answerable or not any(s.supported for s in kept):
            why = verdict.explain() if not verdict.answerable else NOT_VERIFIED
            return _Extracted(self._refusal(question, passages, clock, why), best, dense, relevance, expand, quoted)
        return _Extracted(compose(question, kept, numbered, spans, clock), best, dense, relevance, expand, quoted)

    def _relevance(self, question: str, candidates: Sequence[Candidate]) -> float | None:
        """The answer-relevance model's best p over the best-scored candidate sentences (None without it)."""
        if self.relevance is None:
            return None
        return self.relevance.best(question, [c.text for c in candidates[: self.settings.answer.relevance_candidates]])

    def _from_llm(
        self, question: str, passages: list[Passage], result: LLMAnswer, extracted: _Extracted, clock: Clock
    ) -> Answer:
        """The checked LLM answer as an `Answer`, a refusal when the model refuses, else the extractive answer."""
        if result.status == "refused":  # the model is taken at its word
            return replace(
                self._refusal(question, passages, clock, "the LLM said the passages do not answer"), mode="llm"
            )
        if result.status == "fallback":
            return fallback(extracted.answer, result.reason, clock, result.contradicted, result.passages)
        shown = [s.text for s in result.sentences if s.supported]
        settings, expand = self.settings.answer, extracted.expand
        best, dense, relevance = extracted.best, extracted.dense, extracted.relevance
        named = self._named
        verdict = judge(
            question, passages, shown, best, settings, expand, dense, self._gate(), relevance, named, extracted.quoted
        )
        if not verdict.answerable:  # e.g. a dose was asked for and no verified sentence gives one
            why = "its verified sentences do not answer the question"
            return fallback(extracted.answer, why, clock, result.contradicted, result.passages)
        answer = compose(question, list(result.sentences), result.passages, result.spans, clock, result.contradicted)
        return replace(answer, mode="llm")

    # --- claim check -------------------------------------------------------------------------
    def check(self, text: str, *, progress: CheckProgress | None = None) -> CheckReport:
        """Each sentence of `text` checked against the library: supported, contradicted or not found, with the
        passages and the sentences of them the verdict rests on (questions and headings left out). `progress(done,
        total)` after each group of sentences checked together (`ClaimChecker.GROUP`)."""
        self._check_open()
        sentences = check_text(check_unicode(text, "the text"), self.settings.answer.max_check_chars)
        checker = ClaimChecker(self.retriever, self.verifier, self.settings.answer.check_passages)
        return checker.check(sentences, text, progress)

    # --- the LLM -----------------------------------------------------------------------------
    @property
    def llm_configured(self) -> bool:
        """The llm mode is chosen, or some ASSISTANT_LLM__* setting was given."""
        return is_configured(self.settings)

    def llm_answerer(self) -> LLMAnswerer:
        """The LLM answerer, built on first use (a gguf backend starts its server here); raises `LLMError`."""
        with self._llm_lock:
            if self._llm is None:
                config = self.settings.llm
                self._llm = LLMAnswerer(
                    make_llm(config),
                    self.embedder,
                    self.settings.paths.prompts_dir,
                    support_threshold=self.settings.answer.support_threshold,
                    unsupported=self.settings.answer.unsupported,
                    where=describe(config),
                    limits=ReplyLimits.of(config),
                    claims=self.claims,
                    rename=self._rename,
                    written_as_in=self._written_as_in,
                )
            return self._llm

    def _condense(self, history: Sequence[Turn], question: str) -> str:
        try:
            return self.check_question(self.llm_answerer().condense(history, question))
        except (LLMError, InputError):
            return question

    def _refusal(self, question: str, passages: list[Passage], clock: Clock, why: str) -> Answer:
        nearest = passages[: self.settings.answer.nearest_on_refusal]
        return refusal(question, nearest, self.settings.paths.prompts_dir, clock, why)
