"""Errors a user can act on. Each message is one line that says what is wrong and what to do."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable


class AssistantError(Exception):
    """Base class: the CLI prints the message and exits non-zero, the API returns it as a 4xx."""


class InputError(AssistantError):
    """A question or argument that cannot be used (empty, too long, unknown id)."""


class DocumentError(AssistantError):
    """A file that cannot be indexed (missing, empty, binary, not UTF-8, unsupported type)."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with settings that shape it differently from the current ones."""


class StoreError(AssistantError):
    """The vector store cannot be opened or reached."""


def exit_status(run: Callable[[], int], as_json: bool = False) -> int:
    """Run a command-line command: a user's error is one `error:` line on stderr and status 2, Ctrl-C is 130.
    `as_json` (a `--json` command): the error is also `{"error": ...}` on stdout, for the script reading it."""
    try:
        return run()
    except AssistantError as exc:
        return _failed(str(exc), as_json)
    except ValueError as exc:  # settings validation (unknown or out-of-range ASSISTANT_* values)
        return _failed(f"invalid settings: {' '.join(str(exc).split())}", as_json)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader left (`assistant settings | head`): nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own last flush would fail again
        return 1


def _failed(message: str, as_json: bool) -> int:
    print(f"error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message}))
    return 2


class LLMError(AssistantError):
    """The LLM backend cannot be built, reached, or gave no usable reply."""


def check_unicode(text: str, what: str = "the question") -> str:
    """Refuse text that cannot be UTF-8 (a lone surrogate: from JSON `\\ud800` or undecodable command-line bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{what} is not valid Unicode text (a lone surrogate at character {exc.start + 1}): send UTF-8 text"
        ) from None
    return text
