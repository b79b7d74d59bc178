"""Calling an LLM: replies read as a stream of text, bounded in time and length, with every failure of the backend
(network, server, or a reply that cannot be read) turned into a one-line `LLMError`."""

from __future__ import annotations

import gc
import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.answer.llm.registry import describe, make_llm
from assistant.errors import LLMError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

T = TypeVar("T")
log = logging.getLogger(__name__)

# A token is about four characters of English; twice that bounds a reply from a server that ignores max_tokens.
CHARS_PER_TOKEN = 8
# What a client library raises when a server's reply is not what the protocol says (not JSON, no choices, a field of
# the wrong type): the backend failed, like a network error, and the caller falls back.
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError)


@dataclass(frozen=True)
class ReplyLimits:
    """How long a reply may take in all (not per read: a server that trickles is stopped too), how long it may be."""

    seconds: float = 120.0
    chars: int = 384 * CHARS_PER_TOKEN

    @classmethod
    def of(cls, config: LLMSettings) -> ReplyLimits:
        return cls(config.timeout_s, config.max_tokens * CHARS_PER_TOKEN)


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
    text = _DOCS_LINK.sub("", " ".join(str(exc).split())) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:199] + "…"


# httpx ends a status error with a link for developers ("For more information check: https://developer.mozilla...");
# the notice is read by a clinician, and says what failed without it.
_DOCS_LINK = re.compile(r"\s*For more information check:\s*\S+")


def _translate(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except LLMError:
        raise
    except _network_errors() as exc:
        _release(exc)
        raise LLMError(f"the LLM ({what}) failed: {_one_line(exc)}") from exc
    except _UNREADABLE as exc:
        log.debug("unreadable reply from the LLM (%s)", what, exc_info=True)  # the caller logs the one line
        _release(exc)
        raise LLMError(f"the LLM ({what}) sent a reply that could not be read: {_one_line(exc)}") from exc


def _release(exc: BaseException) -> None:
    """Clear the finished frames the failure passed through: their locals hold the client's stream of the reply
    (a generator and its owner, a reference cycle), suspended, with its connection. Left to the garbage collector,
    it is closed from inside whichever request runs then, under the connection pool's lock, which is not
    reentrant: that request hung for good (a CI run, 2026-12-07). Cleared, `TextStream` collects it at once."""
    traceback.clear_frames(exc.__traceback__)


def finish_reason(raw: Any) -> str | None:
    """Why the model stopped, as the server said in a reply or its last chunk: OpenAI's `choices[0].finish_reason`
    ("stop", "length"), Ollama's `done_reason`; None when it said nothing."""
    choices = _field(raw, "choices")
    reason = _field(choices[0], "finish_reason") if choices else _field(raw, "done_reason")
    return reason if isinstance(reason, str) and reason else None


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class TextStream:
    """A reply as text deltas, as they arrive. Past `limits.seconds` in all it raises `LLMError`; past `limits.chars`
    it stops reading, as a model stopped at its token limit would. Once read, `finish` is why the model stopped
    ("stop", "length"; None when the server never said, as when a connection breaks off)."""

    def __init__(self, llm: LLM, messages: Sequence[ChatMessage], where: str, limits: ReplyLimits) -> None:
        self.llm, self.messages, self.where, self.limits = llm, list(messages), where, limits
        self.finish: str | None = None

    @property
    def complete(self) -> bool:
        """The model said it stopped on its own (not at a length limit, not broken off)."""
        return self.finish == "stop"

    def __iter__(self) -> Iterator[str]:
        deadline = time.monotonic() + self.limits.seconds
        stream = _translate(self.where, lambda: iter(self.llm.stream_chat(self.messages)))
        length, read_to_end = 0, False
        try:
            while True:
                chunk = _translate(self.where, lambda: next(stream, None))
                if chunk is None:
                    read_to_end = True
                    return
                self.finish = finish_reason(chunk.raw) or self.finish
                if time.monotonic() > deadline:
                    raise LLMError(f"the LLM ({self.where}) did not finish within {self.limits.seconds:g} s")
                delta = chunk.delta or ""
                if length + len(delta) >= self.limits.chars:
                    self.finish = "length"
                    yield delta[: self.limits.chars - length]
                    return
                length += len(delta)
                if delta:
                    yield delta
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            if not read_to_end:
                # The client's stream of a reply left unread is a reference cycle holding its connection: closed
                # now, not by a later collection inside another request (`_release`).
                gc.collect()


def chat_text(
    llm: LLM, messages: Sequence[ChatMessage], where: str = "backend", limits: ReplyLimits | None = None
) -> str:
    """The whole reply to a chat, as text (read as a stream, so the limits hold); failures become `LLMError`."""
    return "".join(TextStream(llm, messages, where, limits or ReplyLimits()))


def user_message(text: str) -> ChatMessage:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    return ChatMessage(role=MessageRole.USER, content=text)


def check_llm(config: LLMSettings) -> tuple[bool, str]:
    """For `assistant doctor`: does the configured backend answer a one-line chat? (ok, one-line message)."""
    started = time.perf_counter()
    try:
        short = config.model_copy(update={"max_tokens": 8})
        reply = chat_text(make_llm(short), [user_message("Reply with the single word: ready")], describe(config),
                          ReplyLimits.of(short))  # fmt: skip
    except LLMError as exc:
        return False, str(exc) if describe(config) in str(exc) else f"{describe(config)}: {exc}"
    seconds = time.perf_counter() - started
    if not reply.strip():
        return False, f"{describe(config)}: the model answered with empty text"
    return True, f"{describe(config)}: the model answered in {seconds:.1f} s ({reply.strip()[:40]!r})"
