"""Split a cleaned document into sentences, then into token-sized chunks of whole sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.models import Chunk, Document, Span
from assistant.settings import ChunkingSettings

if TYPE_CHECKING:
    import tiktoken

# Words that end in a period without ending a sentence (lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    "prof dr mr mrs ms st no vs e.g i.e al fig figs ref refs approx ca cf etc inc ltd jr sr dept univ vol"
    " jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# A boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then a likely sentence start.
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"[^\n]+")


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of `text` (shifted by `offset`). Each line (paragraph) ends a sentence."""
    spans: list[Span] = []
    for para in _PARAGRAPH.finditer(text):
        start = para.start()
        for match in _BOUNDARY.finditer(para.group()):
            end = para.start() + match.start() + 1
            if _is_abbreviation(text, start, end):
                continue
            end = para.start() + match.end()
            spans.append(_trimmed(text, start, end, offset))
            start = end
        if start < para.end():
            spans.append(_trimmed(text, start, para.end(), offset))
    return [s for s in spans if s[1] > s[0]]


def _is_abbreviation(text: str, start: int, period_end: int) -> bool:
    """True when the period at `period_end - 1` closes an abbreviation or an initial."""
    if text[period_end - 1] != ".":
        return False
    word = text[start : period_end - 1].rsplit(None, 1)[-1] if text[start : period_end - 1].strip() else ""
    word = word.lstrip("(\"'").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _trimmed(text: str, start: int, end: int, offset: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start + offset, end + offset)


def chunk_document(doc: Document, settings: ChunkingSettings) -> list[Chunk]:
    """Pack whole sentences into chunks of about `chunk_tokens`, repeating about `overlap_tokens`."""
    sentences = list(_bounded_sentences(doc.text, settings))
    sizes = [count_tokens(doc.text[s:e], settings.encoding) for s, e in sentences]
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= settings.chunk_tokens):
            total += sizes[j]
            j += 1
        chunks.append(_make_chunk(doc, len(chunks), sentences[i:j], total))
        if j >= len(sentences):
            break
        i = _overlap_start(sizes, i, j, settings.overlap_tokens)
    return chunks


def _overlap_start(sizes: list[int], i: int, j: int, overlap: int) -> int:
    """First sentence of the next chunk: back off from j while the repeated tail fits in `overlap`."""
    k, total = j, 0
    while k - 1 > i and total + sizes[k - 1] <= overlap:
        k -= 1
        total += sizes[k]
    return k


def _bounded_sentences(text: str, settings: ChunkingSettings) -> Iterator[Span]:
    """Sentences, with any sentence longer than a chunk cut into chunk-sized word runs."""
    for start, end in split_sentences(text):
        if count_tokens(text[start:end], settings.encoding) <= settings.chunk_tokens:
            yield (start, end)
            continue
        yield from _token_windows(text, start, end, settings)


def _token_windows(text: str, start: int, end: int, settings: ChunkingSettings) -> Iterator[Span]:
    piece_start, tokens = start, 0
    for word in re.finditer(r"\S+", text[start:end]):
        n = count_tokens(word.group() + " ", settings.encoding)
        if tokens and tokens + n > settings.chunk_tokens:
            yield _trimmed(text, piece_start, start + word.start(), 0)
            piece_start, tokens = start + word.start(), 0
        tokens += n
    yield _trimmed(text, piece_start, end, 0)


def _make_chunk(doc: Document, index: int, sentences: list[Span], n_tokens: int) -> Chunk:
    start, end = sentences[0][0], sentences[-1][1]
    return Chunk(
        chunk_id=f"{doc.doc_id}-{index:05d}",
        doc_id=doc.doc_id,
        index=index,
        text=doc.text[start:end],
        start=start,
        end=end,
        sentences=tuple(sentences),
        n_tokens=n_tokens,
        page=doc.page_at(start),
    )
