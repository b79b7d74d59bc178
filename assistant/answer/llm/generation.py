"""The LLM answer: prompt, stream, parse, verify, and fall back when nothing verified is left.

The retrieved passages go into the prompt as numbered, delimited, quoted data
(`<passage n="1" source="...">...</passage>`, with anything tag-like inside a passage escaped),
so an instruction written in a document is text to answer from, never an instruction. What the
model writes is split into sentences with their `[n]` markers (`verification.parse_answer`) and
checked against the passages they cite (`verification.CitationVerifier`). A passage sentence that
reads as an instruction to the assistant ("ignore previous instructions and ...") is no evidence
for anything, so it never counts as support.

Outcomes (`LLMAnswer.status`):
- `answered`: at least one sentence is supported; unsupported ones are removed (or kept and
  marked, `unsupported="mark"`), and citations to passages that were not retrieved are dropped.
  Small models often leave sentences uncited: with `attribute=True` (the default) such a sentence,
  or one whose own citations do not support it, is cited to the retrieved passage that supports
  it best, by the same check; it is removed when none does. A sentence any retrieved passage contradicts is
  removed in either mode and reported (`contradicted`). Only the first `MOST_CHECKED` sentences are checked, and a
  last sentence cut off by the token limit or a broken stream is never shown;
- `refused`: the model's answer holds the refusal phrase and cites nothing else (a model that says it cannot
  answer is taken at its word; beside cited sentences, the refusal is set aside and the rest checked, and it
  stands when none of them is supported);
- `fallback`: nothing supported is left, or the backend failed (`reason` says which: the network, an error
  status, a reply that cannot be read, or one past `ReplyLimits.seconds`); the caller answers extractively instead.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.answer.llm.client import ReplyLimits, TextStream, chat_text, user_message
from assistant.answer.prompts import REFUSAL_PHRASE, load_prompt
from assistant.answer.verification import Checked, CitationVerifier, Draft, covering, parse_answer
from assistant.errors import LLMError
from assistant.models import AnswerSentence, Contradiction, Passage, Span
from assistant.store.embeddings import Embedder
from assistant.text.characters import normalize_unicode
from assistant.text.references import MARK_NUMBERS, mark_numbers
from assistant.text.sentences import ends_sentence

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from assistant.answer.verifier.model import ClaimVerifier, Rename

log = logging.getLogger(__name__)

Status = Literal["answered", "refused", "fallback"]
Unsupported = Literal["remove", "mark"]

_HISTORY_TURNS = 6  # the most recent turns shown to the condensing prompt
_TURN_CHARS = 600
_TAG = re.compile(r"<\s*/?\s*passage\b[^>]*>?", re.I)
_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_NUMS = r"#?\d+(?:\s*(?:,|;|-|–|and|&)\s*#?\d+)*"
# "[Passage 1]", "(passage 2 and 3)", "【1】": passage numbers written another way than "[1]".
_PASSAGE_MARK = re.compile(
    rf"\[\s*(?:passages?|sources?)\s*({_NUMS})\s*\]|\(\s*(?:passages?|sources?)\s*({_NUMS})\s*\)|【\s*({_NUMS})\s*】",
    re.I,
)
_MARK_AFTER_STOP = re.compile(rf"([.!?])((?:\s*\[{MARK_NUMBERS}\])+)")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.M)
_LEAD = re.compile(r"^\s*(?:answer|response)\s*:\s*", re.I)
_REFUSAL_CORE = " ".join(REFUSAL_PHRASE.lower().rstrip(".").split()[:6])  # "the indexed documents do not contain"
# The most sentences of one answer checked: each costs up to one verifier call a retrieved passage (~70 ms a pair on
# two cores), and a model that ignores its token limit could write hundreds.
MOST_CHECKED = 16
CUT = "cut off mid-sentence: the reply stopped before the model finished"


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation, for condensing a follow-up question."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Removed:
    """A sentence the model wrote that the user is not shown, and why."""

    text: str
    cites: tuple[int, ...]
    # "no retrieved passage supports it" or "repeats an earlier sentence"; without attribution also
    # "no citation", "cites no retrieved passage" or "not supported by its passage"
    reason: str


@dataclass(frozen=True)
class LLMAnswer:
    """The checked result of one LLM answer; citation numbers refer to `passages`."""

    status: Status
    raw: str  # the model's text as it arrived
    drafts: tuple[Draft, ...] = ()  # the sentences as parsed, before checking
    sentences: tuple[AnswerSentence, ...] = ()  # what the user may see (supported, or marked)
    spans: dict[int, list[Span]] = field(default_factory=dict)  # citation number -> supporting document spans
    passages: dict[int, Passage] = field(default_factory=dict)  # the numbering used in the prompt
    removed: tuple[Removed, ...] = ()
    attributed: int = 0  # shown sentences cited by the verifier because the model's own citation was missing or wrong
    reason: str = ""  # why a fallback happened
    contradicted: tuple[Contradiction, ...] = ()  # sentences a cited passage contradicts (removed, reported)

    @property
    def text(self) -> str:
        """The kept sentences with their markers, as the final answer renders them."""
        return " ".join(s.rendered() for s in self.sentences)

    @property
    def verified_share(self) -> float:
        """Supported sentences over all sentences the model wrote (0 when it wrote none)."""
        supported = sum(s.supported for s in self.sentences)
        return supported / len(self.drafts) if self.drafts else 0.0


# --- the prompt ---------------------------------------------------------------------------------
def quote_passage(n: int, passage: Passage) -> str:
    """One passage as delimited data; tag-like text inside it cannot close or open a passage."""
    source = html.escape(passage.document.source, quote=True)
    title = html.escape(passage.document.metadata.title or passage.document.source, quote=True)
    body = _TAG.sub(lambda m: html.escape(m.group(0), quote=False), passage.chunk.text.strip())
    return f'<passage n="{n}" source="{source}" title="{title}">\n{body}\n</passage>'


def number_passages(passages: Sequence[Passage]) -> dict[int, Passage]:
    return {n: p for n, p in enumerate(passages, 1)}


# --- reading what the model wrote ---------------------------------------------------------------
def clean_output(text: str) -> str:
    """Model text made parseable: no reasoning block, no list bullets, markers as `[n]` before the full stop."""
    text = _THINK.sub("", text)
    text = _TAG.sub("", text)
    text = _LEAD.sub("", text.strip())
    text = _LIST_MARK.sub("", text)
    text = _PASSAGE_MARK.sub(_as_marker, text)
    return _MARK_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text).strip()


def _as_marker(match: re.Match[str]) -> str:
    body = re.sub(r"\s*(?:and|&)\s*", ",", next(g for g in match.groups() if g).replace("#", ""))
    return "[" + ",".join(str(n) for n in mark_numbers(body)) + "]"


def is_refusal(text: str) -> bool:
    """True when the model's answer holds the refusal phrase (its first six words are enough)."""
    return _REFUSAL_CORE in " ".join(text.lower().split())


def _beside_refusal(drafts: list[Draft]) -> tuple[list[Draft], list[Removed]]:
    """The sentences a refusing reply also cited, and its refusal set aside; none when it cited nothing else (a
    model that says the passages do not answer is taken at its word, unless it answered from them too: a last
    sentence "... do not contain an answer about the dose" beside cited findings refuses only the part it names)."""
    answered = [d for d in drafts if not is_refusal(d.text)]
    if not any(d.cites for d in answered):
        return [], []
    reason = "says the documents do not answer, beside sentences it cited"
    return answered, [Removed(d.text, d.cites, reason) for d in drafts if is_refusal(d.text)]


class LLMAnswerer:
    """Writes answers with an LLM and keeps only what the cited passages support."""

    def __init__(
        self,
        llm: LLM,
        embedder: Embedder,
        prompts_dir: Path,
        *,
        support_threshold: float = 0.6,
        unsupported: Unsupported = "remove",
        attribute: bool = True,
        where: str = "backend",
        limits: ReplyLimits | None = None,
        claims: ClaimVerifier | None = None,
        rename: Rename | None = None,
        written_as_in: Rename | None = None,
    ) -> None:
        """`claims`, `rename` and `written_as_in`: the answer guard's, as `CitationVerifier` takes them."""
        self.llm = llm
        self.verifier = CitationVerifier(embedder, support_threshold, claims, rename, written_as_in=written_as_in)
        self.prompts_dir = prompts_dir
        self.unsupported = unsupported
        self.attribute = (
            attribute  # cite sentences the model left uncited, or cited wrongly, where a passage supports them
        )
        self.where = where  # names the backend in error messages, e.g. registry.describe()
        self.limits = limits or ReplyLimits()

    def prompt(self, question: str, passages: Sequence[Passage]) -> str:
        quoted = "\n\n".join(quote_passage(n, p) for n, p in number_passages(passages).items())
        return load_prompt(self.prompts_dir, "answer").render(
            question=question, passages=quoted or "(no passages)", refusal_phrase=REFUSAL_PHRASE
        )

    def stream(self, question: str, passages: Sequence[Passage]) -> TextStream:
        """The model's answer as text deltas (then `.complete`); iterating raises `LLMError` when the backend fails."""
        return TextStream(self.llm, [user_message(self.prompt(question, passages))], self.where, self.limits)

    def answer(self, question: str, passages: Sequence[Passage]) -> LLMAnswer:
        """Ask and check the answer; a failing backend gives a `fallback` with the reason."""
        return next(e for e in self.stream_answer(question, passages) if isinstance(e, LLMAnswer))

    def stream_answer(self, question: str, passages: Sequence[Passage]) -> Iterator[str | LLMAnswer]:
        """Text deltas as they arrive, then the checked `LLMAnswer` (a `fallback` if the backend fails)."""
        parts: list[str] = []
        stream = self.stream(question, passages)
        try:
            for delta in stream:
                parts.append(delta)
                yield delta
        except LLMError as exc:
            log.warning("%s", exc)
            yield LLMAnswer("fallback", "".join(parts), passages=number_passages(passages), reason=str(exc))
            return
        yield self.finish(passages, "".join(parts), complete=stream.complete)

    def finish(self, passages: Sequence[Passage], raw: str, complete: bool = True) -> LLMAnswer:
        """Check a finished answer against the passages it was written from. `complete`: the model said it stopped
        on its own; otherwise (its token limit, a broken stream) a last sentence without its full stop is cut off and
        never shown, since a cut can take the word that decides the fact ("BCR-ABL" for "BCR-ABL negative")."""
        numbered = number_passages(passages)
        text = clean_output(raw)
        drafts, skipped = parse_answer(text), list[Removed]()
        refusing = is_refusal(text)
        if refusing:
            drafts, skipped = _beside_refusal(drafts)
            if not drafts:
                return LLMAnswer("refused", raw, passages=numbered)
        beyond = f"beyond the first {MOST_CHECKED} sentences"
        skipped += [Removed(d.text, d.cites, beyond) for d in drafts[MOST_CHECKED:]]
        drafts = drafts[:MOST_CHECKED]
        if drafts and not complete and not ends_sentence(normalize_unicode(drafts[-1].text)):
            skipped.insert(0, Removed(drafts[-1].text, drafts[-1].cites, CUT))
            drafts = drafts[:-1]
        evidence = {n: self.verifier.evidence(p) for n, p in numbered.items()}
        verified = self.verifier.verify(drafts, evidence)
        kept, removed, contradicted, attributed = self._sift(drafts, verified, evidence)
        result = LLMAnswer(
            "answered", raw, tuple(drafts), tuple(kept), verified.spans, numbered, tuple(removed + skipped),
            attributed, contradicted=tuple(contradicted),
        )  # fmt: skip
        if not any(s.supported for s in kept):
            if refusing:  # what it cited beside its refusal does not hold: the refusal does
                return replace(result, status="refused", sentences=(), spans={})
            reason = "the model wrote nothing" if not drafts else "no sentence of the model's answer is supported"
            return replace(result, status="fallback", sentences=(), spans={}, reason=reason)
        return result

    def _sift(
        self, drafts: list[Draft], verified: Checked, evidence: dict[int, Passage]
    ) -> tuple[list[AnswerSentence], list[Removed], list[Contradiction], int]:
        """The sentences shown, those removed (and why), the contradictions found, and how many shown sentences the
        verifier cited. A repeat is removed before it is attributed, so its spans highlight nothing; a contradicted
        sentence is removed in either `unsupported` mode, whichever passage contradicts it."""
        against = {c.sentence for c in verified.contradicted}
        contradicted = list(verified.contradicted)
        kept: list[AnswerSentence] = []
        removed: list[Removed] = []
        attributed = 0
        for draft, checked in zip(drafts, verified.sentences, strict=True):
            if any(_same(checked.text, k.text) for k in kept):
                removed.append(Removed(draft.text, draft.cites, "repeats an earlier sentence"))
                continue
            sentence = checked
            if not sentence.supported and self.attribute and draft.text not in against:
                sentence, contradiction = self._attribute(sentence, evidence, verified.spans)
                if contradiction is not None:
                    contradicted.append(contradiction)
                    against.add(draft.text)
            if draft.text in against:
                removed.append(Removed(draft.text, draft.cites, "contradicted by a retrieved passage"))
            elif sentence.supported or self.unsupported == "mark":
                kept.append(sentence)
                attributed += sentence is not checked and sentence.supported
            else:
                removed.append(Removed(draft.text, draft.cites, self._removal_reason(draft, evidence)))
        return kept, removed, contradicted, attributed

    def _attribute(
        self, sentence: AnswerSentence, evidence: dict[int, Passage], spans: dict[int, list[Span]]
    ) -> tuple[AnswerSentence, Contradiction | None]:
        """The sentence cited to the retrieved passage that supports it best, or unchanged when none does; then the
        first passage that contradicts it, if any, is reported."""
        best: tuple[float, int, tuple[Span, ...]] | None = None
        numbers = list(evidence)
        checked = self.verifier.support_many([(sentence.text, evidence[n]) for n in numbers])
        for n, support in zip(numbers, checked, strict=True):
            if support.supported and (best is None or support.similarity > best[0]):
                best = (support.similarity, n, support.spans)
        if best is None:
            against = next(((n, s) for n, s in zip(numbers, checked, strict=True) if s.contradicted and s.spans), None)
            if against is None:
                return sentence, None
            n, support = against
            return sentence, Contradiction(sentence.text, n, covering(support.spans))
        _, n, found = best
        known = spans.setdefault(n, [])
        known.extend(s for s in found if s not in known)
        return AnswerSentence(sentence.text, (n,), True), None

    def _removal_reason(self, draft: Draft, passages: dict[int, Passage]) -> str:
        if self.attribute:
            return "no retrieved passage supports it"
        if not draft.cites:
            return "no citation"
        if not any(n in passages for n in draft.cites):
            return "cites no retrieved passage"
        return "not supported by its passage"

    # --- follow-up questions -----------------------------------------------------------------
    def condense(self, history: Sequence[Turn], question: str) -> str:
        """A follow-up question rewritten to stand alone; the question itself when there is no history,
        the backend fails, or the rewrite is unusable."""
        if not history:
            return question
        lines = [f"{t.role.capitalize()}: {' '.join(t.text.split())[:_TURN_CHARS]}" for t in history[-_HISTORY_TURNS:]]
        prompt = load_prompt(self.prompts_dir, "condense").render(history="\n".join(lines), question=question)
        try:
            raw = chat_text(self.llm, [user_message(prompt)], self.where, self.limits)
        except LLMError as exc:
            log.warning("%s", exc)
            return question
        return _standalone(raw) or question


def _same(a: str, b: str) -> bool:
    return a.lower().split() == b.lower().split()


def _standalone(raw: str) -> str:
    """The first line of a condensing reply, without labels or quotes; empty when unusable."""
    text = _THINK.sub("", raw)
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    line = re.sub(r"^(standalone|rewritten)?\s*question\s*:\s*", "", line, flags=re.I).strip().strip("\"'`").strip()
    return line if 3 <= len(line) <= 1000 else ""
