"""What a misbehaving LLM backend sends, over the real protocol (`tests/scripted_llm.py`): replies that cannot be
read, cut off, trickling, too long, or holding sentences the passages contradict. None reaches the user unchecked,
none hangs the request, and each falls back to the extractive answer with its reason."""

from __future__ import annotations

import gc
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.llm.client import ReplyLimits
from assistant.answer.llm.generation import CUT, MOST_CHECKED, LLMAnswer, LLMAnswerer
from assistant.answer.llm.registry import make_llm
from assistant.api import Assistant
from assistant.models import AnswerSentence, Passage
from assistant.settings import LLMSettings
from assistant.store.embeddings import Embedder
from tests.conftest import IMATINIB, make_settings
from tests.scripted_llm import Script, ScriptedLLM, scripted_llm

QUESTION = "what does imatinib do to regulatory T cells"
FIRST = "Imatinib impaired Treg immunosuppressive function [1]. "
# A passage says "BCR-ABL negative lymphoma": the cut takes the word that decides the fact.
FRAGMENT = "Imatinib mesylate significantly enhanced antitumor immune responses against an imatinib-resistant BCR-ABL"
REVERSED = "Imatinib increased FoxP3 expression in Treg."  # the passage: imatinib impaired FoxP3 expression


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedLLM]:
    with scripted_llm() as running:
        yield running


@pytest.fixture(scope="module")
def passages(seeded: Assistant) -> list[Passage]:
    found = [seeded.verifier.evidence(p) for p in seeded.retriever.retrieve(QUESTION, 5)]
    assert found[0].document.source == IMATINIB
    return found


def _answerer(seeded: Assistant, server: ScriptedLLM, unsupported: str = "remove", **llm: object) -> LLMAnswerer:
    config = LLMSettings(base_url=server.base_url, model="scripted", **llm)  # type: ignore[arg-type]
    return LLMAnswerer(
        make_llm(config),
        seeded.embedder,
        seeded.settings.paths.prompts_dir,
        unsupported=unsupported,  # type: ignore[arg-type]
        limits=ReplyLimits.of(config),
        claims=seeded.claims,
    )


def _both(answerer: LLMAnswerer, passages: list[Passage]) -> list[LLMAnswer]:
    """The answer asked once plainly and once streamed."""
    streamed = list(answerer.stream_answer(QUESTION, passages))[-1]
    assert isinstance(streamed, LLMAnswer)
    return [answerer.answer(QUESTION, passages), streamed]


@pytest.mark.parametrize("body", [b"data: {not json\n\n", b"data: [1, 2]\n\n", b'data: {"choices": "x"}\n\n'])
def test_a_reply_that_cannot_be_read_falls_back_with_its_reason(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage], body: bytes
) -> None:
    server.script = Script(raw_body=body)
    for result in _both(_answerer(seeded, server), passages):
        assert result.status == "fallback" and "could not be read" in result.reason, result.reason
        assert "\n" not in result.reason


def test_the_assistant_answers_extractively_when_the_reply_cannot_be_read(
    seeded_dir: Path, embedder: Embedder, server: ScriptedLLM
) -> None:
    server.script = Script(raw_body=b"data: {not json\n\n")
    llm = {"base_url": server.base_url, "model": "scripted", "timeout_s": 10}
    assistant = Assistant(make_settings(seeded_dir, llm=llm, answer={"mode": "llm"}), embedder=embedder)
    answer = assistant.ask(QUESTION)
    assert not answer.refused and answer.mode == "extractive" and "could not be read" in answer.notice
    assert "Treg" in answer.text


@pytest.mark.parametrize("finish", ["length", None])
def test_a_sentence_cut_off_by_the_token_limit_or_a_broken_stream_is_never_shown(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage], finish: str | None
) -> None:
    server.script = Script([FIRST, FRAGMENT], finish=finish)
    for result in _both(_answerer(seeded, server), passages):
        assert result.status == "answered" and [s.text for s in result.sentences] == [FIRST.split(" [")[0] + "."]
        assert [(r.text, r.reason) for r in result.removed] == [(FRAGMENT, CUT)]
        assert "BCR-ABL" not in result.text


def test_a_last_sentence_without_its_full_stop_is_checked_when_the_model_stopped_on_its_own(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    last = "Imatinib significantly reduced the activation of the transcription factors STAT3 and STAT5 in Treg"
    server.script = Script([FIRST, last], finish="stop")
    result = _answerer(seeded, server).answer(QUESTION, passages)
    assert [s.text for s in result.sentences][-1] == last and not result.removed


def test_a_server_that_trickles_is_stopped_at_the_timeout_in_all(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    server.script = Script(["Imatinib "] * 40, delay=0.25)  # each read well inside the timeout, 10 s in all
    started = time.monotonic()
    result = _answerer(seeded, server, timeout_s=2).answer(QUESTION, passages)
    assert time.monotonic() - started < 5
    assert result.status == "fallback" and "did not finish within 2 s" in result.reason


def test_a_reply_past_its_token_limit_is_cut_there_and_the_sentences_checked_are_bounded(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    server.script = Script([f"Imatinib impaired Treg function in {i} ways [1]. " for i in range(400)])
    answerer = _answerer(seeded, server, max_tokens=32)
    result = answerer.answer(QUESTION, passages)
    assert server.server.requests[-1]["max_tokens"] == 32
    assert len(result.raw) <= 32 * 8 and len(result.drafts) <= 6
    raw = " ".join(f"Imatinib impaired Treg function in {i} ways [1]." for i in range(MOST_CHECKED + 5))
    many = answerer.finish(passages, raw)
    assert len(many.drafts) == MOST_CHECKED
    assert [r.reason for r in many.removed].count(f"beyond the first {MOST_CHECKED} sentences") == 5


def test_a_contradicted_sentence_is_removed_and_reported_whatever_it_cites_and_in_either_mode(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    for written in (REVERSED, REVERSED[:-1] + " [4].", REVERSED[:-1] + " [1]."):
        for unsupported in ("remove", "mark"):
            result = _answerer(seeded, server, unsupported).finish(passages, FIRST + written)
            assert REVERSED not in result.text and [c.sentence for c in result.contradicted] == [REVERSED], written
            assert ("contradicted by a retrieved passage") in [r.reason for r in result.removed]
            (contradiction,) = result.contradicted
            passage = result.passages[contradiction.n]
            start, end = contradiction.span
            said = passage.chunk.text[start - passage.chunk.start : end - passage.chunk.start]
            assert "FoxP3" in said, said


def test_the_reported_span_covers_the_sentences_the_verdict_read_together(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    """The verifier read this claim against two neighbouring sentences; the first alone says nothing of frequency."""
    result = _answerer(seeded, server).finish(passages, "Imatinib treatment of mice increased Treg frequency [2].")
    (contradiction,) = result.contradicted
    passage = result.passages[contradiction.n]
    start, end = contradiction.span
    said = passage.chunk.text[start - passage.chunk.start : end - passage.chunk.start]
    assert "frequen" in said.lower(), said


def test_a_repeated_sentence_is_removed_before_it_is_cited(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage]
) -> None:
    answerer = _answerer(seeded, server)
    once = answerer.finish(passages, FIRST)
    twice = answerer.finish(passages, FIRST + " Imatinib impaired Treg immunosuppressive function.")
    assert twice.text == once.text and twice.spans == once.spans
    assert [r.reason for r in twice.removed] == ["repeats an earlier sentence"]


def test_an_unsupported_sentence_is_flagged_after_one_space() -> None:
    assert AnswerSentence("A rose.", (), False).rendered() == "A rose. (unsupported)"
    assert AnswerSentence("A rose.", (1, 2), False).rendered() == "A rose. [1][2] (unsupported)"
    assert AnswerSentence("A rose.", (1,), True).rendered() == "A rose. [1]"


def _suspended_streams() -> list[object]:
    """OpenAI stream generators left suspended: each holds a connection that only the garbage collector closes,
    from inside whatever request is running then (httpcore's pool lock, not reentrant: a deadlock)."""
    generators = [g for g in gc.get_objects() if type(g) is types.GeneratorType]
    return [g for g in generators if g.__qualname__ == "Stream.__stream__" and g.gi_frame and not g.gi_running]


@pytest.mark.parametrize(
    "script",
    [
        Script(raw_body=b"data: [1, 2]\n\n"),
        Script(raw_body=b'data: {"choices": "x"}\n\n'),
        Script([f"Imatinib impaired Treg function in {i} ways [1]. " for i in range(400)]),  # cut at its limit
    ],
)
def test_a_reply_left_unread_leaves_no_connection_for_the_collector(
    seeded: Assistant, server: ScriptedLLM, passages: list[Passage], script: Script
) -> None:
    server.script = script
    answerer = _answerer(seeded, server, max_tokens=64)
    gc.collect()
    gc.disable()  # the reply's stream must be closed by the answer, not by a collection in some later request
    try:
        answerer.answer(QUESTION, passages)
        assert _suspended_streams() == []
    finally:
        gc.enable()


def test_a_failed_call_is_told_without_the_http_librarys_link_for_developers() -> None:
    """An outside tester saw a 500 from the LLM shown to the clinician with httpx's "For more information check:
    https://developer.mozilla.org/..." tail; the notice keeps what failed and drops the link."""
    import httpx

    from assistant.answer.llm.client import _translate
    from assistant.errors import LLMError

    def failing() -> None:
        raise httpx.HTTPError(
            "Server error '500 Internal Server Error' for url 'http://127.0.0.1:9/v1/chat/completions' "
            "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/500"
        )

    with pytest.raises(LLMError) as caught:
        _translate("openai", failing)
    assert "500 Internal Server Error" in str(caught.value) and "developer.mozilla" not in str(caught.value)
