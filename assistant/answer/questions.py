"""What a question must be before anything is searched for it: shared by `Assistant` and the command line, which
checks it before the model loads."""

from __future__ import annotations

from assistant.answer.terms import words
from assistant.errors import InputError, check_unicode
from assistant.settings import RetrievalSettings, field_bounds
from assistant.text.characters import normalize_unicode

TOP_K_BOUNDS = field_bounds(RetrievalSettings, "top_k")  # what a question may ask for, wherever it is asked


def check_question(question: str, limit: int) -> str:
    """The question with its whitespace joined and its characters normalised as documents' are (`normalize_unicode`);
    a clear `InputError` when it is empty, over `limit` characters, wordless or holds control characters."""
    text = " ".join(check_unicode(question).split())
    if not text:
        raise InputError("the question is empty: type a question about the indexed documents")
    _check_length(text, limit)  # before normalising: a megabyte is not worth reading
    if any(c < " " or "\x7f" <= c <= "\x9f" for c in text):  # whitespace was joined above: none of it is left
        raise InputError("the question holds control characters: type or paste plain text")
    # As documents are cleaned: "COX‐1" pasted from a PDF meets the passages' "COX-1". NFKC may lengthen it.
    text = " ".join(normalize_unicode(text).split())
    _check_length(text, limit)
    if not words(text):
        raise InputError("the question has no words to search for")
    return text


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise InputError(
            f"the question is {len(text)} characters long; the limit is {limit} "
            "(ASSISTANT_RETRIEVAL__MAX_QUESTION_CHARS)"
        )


def check_top_k(top_k: int | None, name: str = "top_k") -> None:
    """A clear `InputError` for a number of passages outside `TOP_K_BOUNDS` (None: the setting's)."""
    low, high = TOP_K_BOUNDS
    if top_k is not None and not low <= top_k <= high:
        raise InputError(f"{name} is {top_k}; it must be between {low} and {high}")
