"""Calling an LLM: chat and stream as text, with every network failure turned into a one-line `LLMError`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from assistant.answer.llm.registry import describe, make_llm
from assistant.errors import LLMError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

T = TypeVar("T")


def _network_errors() -> tuple[type[BaseException], ...]:
    """Exception types of the clients the backends use, whichever are installed."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    for module, names in (("openai", ("OpenAIError",)), ("httpx", ("HTTPError",)), ("ollama", ("ResponseError",))):
        try:
            imported = __import__(module)
        except ImportError:
            continue
        found += [getattr(imported, n) for n in names if hasattr(imported, n)]
    return tuple(found)


def _one_line(exc: BaseException) -> str:
    """The root cause of an exception chain, on one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        nxt = exc.__cause__ or exc.__context__
        assert nxt is not None
        if str(nxt).strip():
            exc = nxt
        else:
            break
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _translate(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except LLMError:
        raise
    except _network_errors() as exc:
        raise LLMError(f"the LLM ({what}) failed: {_one_line(exc)}") from exc


def chat_text(llm: LLM, messages: Sequence[ChatMessage], where: str = "backend") -> str:
    """The reply to a chat, as text; network and server errors become `LLMError`."""
    response = _translate(where, lambda: llm.chat(list(messages)))
    return response.message.content or ""


def stream_text(llm: LLM, messages: Sequence[ChatMessage], where: str = "backend") -> Iterator[str]:
    """The reply to a chat as text deltas, as they arrive; errors (even mid-stream) become `LLMError`."""
    stream = _translate(where, lambda: iter(llm.stream_chat(list(messages))))
    while True:
        chunk = _translate(where, lambda: next(stream, None))
        if chunk is None:
            return
        if chunk.delta:
            yield chunk.delta


def user_message(text: str) -> ChatMessage:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    return ChatMessage(role=MessageRole.USER, content=text)


def check_llm(config: LLMSettings) -> tuple[bool, str]:
    """For `assistant doctor`: does the configured backend answer a one-line chat? (ok, one-line message)."""
    started = time.perf_counter()
    try:
        llm = make_llm(config.model_copy(update={"max_tokens": 8}))
        reply = chat_text(llm, [user_message("Reply with the single word: ready")], describe(config))
    except LLMError as exc:
        return False, str(exc) if describe(config) in str(exc) else f"{describe(config)}: {exc}"
    seconds = time.perf_counter() - started
    if not reply.strip():
        return False, f"{describe(config)}: the model answered with empty text"
    return True, f"{describe(config)}: the model answered in {seconds:.1f} s ({reply.strip()[:40]!r})"
