"""Streamed answers over HTTP: server-sent events, or NDJSON lines, from a mode's events."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from starlette.concurrency import iterate_in_threadpool

from assistant.errors import AssistantError
from assistant.models import Answer, AnswerEvent

log = logging.getLogger(__name__)


def chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def guarded(events: Iterator[AnswerEvent], encode: Callable[[AnswerEvent | Exception], str]) -> Iterator[str]:
    """The encoded events; a failure mid-stream ends it with an error event (the status line is already sent)."""
    try:
        for event in events:
            yield encode(event)
    except AssistantError as exc:
        yield encode(exc)
    except Exception:
        log.exception("streamed answer failed")
        yield encode(RuntimeError("internal error"))
    finally:
        _close(events)


async def closing(lines: Iterator[str]) -> AsyncIterator[str]:
    """The lines of a streamed response, read on worker threads; when the client leaves (the response is cancelled),
    the generator is closed at once, and with it the LLM's stream, instead of when the garbage collector finds it."""
    try:
        async for line in iterate_in_threadpool(lines):
            yield line
    finally:
        _close(lines)


def _close(events: Iterator[Any]) -> None:
    close = getattr(events, "close", None)
    if close is not None:
        with contextlib.suppress(ValueError):  # still running on a worker thread: it ends when that call returns
            close()


def ndjson(event: AnswerEvent | Exception) -> str:
    if isinstance(event, Exception):
        body: dict[str, Any] = {"error": str(event)}
    else:
        body = {"partial": event} if isinstance(event, str) else {"answer": event.to_json()}
    return json.dumps(body, ensure_ascii=False) + "\n"


class SSE:
    """Server-sent events of one answer: modes yield the text so far; clients get what is new in it."""

    def __init__(self) -> None:
        self.sent = ""

    def event(self, event: AnswerEvent | Exception) -> str:
        if isinstance(event, Exception):
            return _sse({"error": str(event)}, "error")
        if isinstance(event, Answer):
            return _sse(event.to_json(), "answer")
        # A mode that rewrote its text (not an extension of what was sent) sends it whole.
        grown = event.startswith(self.sent)
        body: dict[str, Any] = {"delta": event[len(self.sent) :]} if grown else {"delta": event, "reset": True}
        self.sent = event
        return _sse(body)


def _sse(body: dict[str, Any], name: str = "") -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(body, ensure_ascii=False)}\n\n"  # JSON keeps newlines out of the data line
