"""How each surface (chat, REST) gets an answer: answer modes as generators of events.

An answer mode yields zero or more partial texts (`str`) and then the final, verified `Answer`. The
extractive mode yields only the final answer; the `llm` mode streams the model's text as it is written,
then the verified answer replaces it. The chat, `/api/ask` and `/api/ask/stream` all follow `MODE_STREAMS`,
whose names are `models.ANSWER_MODES`; `llm` is offered only when an LLM is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from assistant.answer.llm.generation import Turn
from assistant.answer.questions import check_top_k
from assistant.errors import InputError
from assistant.models import ANSWER_MODES, Answer, AnswerEvent

if TYPE_CHECKING:
    from assistant.api import Assistant

# (assistant, question, top_k, the conversation before the question: a follow-up is read in its light)
ModeStream = Callable[["Assistant", str, int | None, Sequence[Turn]], Iterator[AnswerEvent]]


def _events(
    assistant: Assistant, question: str, top_k: int | None, history: Sequence[Turn] = (), *, mode: str
) -> Iterator[AnswerEvent]:
    """The text written so far after each delta (modes yield whole partial texts), then the verified answer."""
    text = ""
    for event in assistant.ask_stream(question, top_k, mode=mode, history=history):
        if isinstance(event, str):
            text += event
            yield text
        else:
            yield event


MODE_STREAMS: dict[str, ModeStream] = {mode: partial(_events, mode=mode) for mode in ANSWER_MODES}


def answer_modes(assistant: Assistant) -> list[str]:
    """The modes offered: the configured one first, then any other registered mode (`llm` only when configured)."""
    offered = [m for m in MODE_STREAMS if m != "llm" or assistant.llm_configured]
    default = assistant.settings.answer.mode
    return [default, *(m for m in offered if m != default)] if default in offered else offered


def stream_answer(
    assistant: Assistant, question: str, top_k: int | None = None, mode: str | None = None,
    history: Sequence[Turn] = (),
) -> Iterator[AnswerEvent]:  # fmt: skip
    """Partial answer texts, then the final `Answer` (always last). `history`: the turns before the question (the
    llm mode rewrites a follow-up as a question of its own from them)."""
    offered = answer_modes(assistant)
    name = mode or offered[0]
    if name == "llm" and name not in offered:  # a known mode this server was not set up for
        raise InputError(
            "the llm mode needs an LLM backend, and none is configured here (the ASSISTANT_LLM__* settings, "
            f"docs/llm.md); available: {', '.join(offered)}"
        )
    if name not in offered:
        raise InputError(f"unknown answer mode {name!r}; available: {', '.join(offered)}")
    assistant.check_question(question)  # fail before any partial output
    check_top_k(top_k)
    yield from MODE_STREAMS[name](assistant, question, top_k, history)


def final_answer(
    assistant: Assistant, question: str, top_k: int | None = None, mode: str | None = None,
    history: Sequence[Turn] = (),
) -> Answer:  # fmt: skip
    for event in stream_answer(assistant, question, top_k, mode, history):
        if isinstance(event, Answer):
            return event
    raise RuntimeError(f"answer mode {mode!r} ended without an answer")
