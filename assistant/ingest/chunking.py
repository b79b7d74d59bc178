"""Split a cleaned document into token-sized chunks of whole sentences (sentences from `text.sentences`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.models import Chunk, Document, Span
from assistant.settings import ChunkingSettings
from assistant.text.sentences import split_sentences, trimmed

if TYPE_CHECKING:
    import tiktoken


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


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
            yield trimmed(text, piece_start, start + word.start(), 0)
            piece_start, tokens = start + word.start(), 0
        if n > settings.chunk_tokens:  # one word longer than a chunk: pieces of it
            yield from _word_pieces(text, start + word.start(), start + word.end(), settings)
            piece_start, tokens = start + word.end(), 0
            continue
        tokens += n
    if text[piece_start:end].strip():
        yield trimmed(text, piece_start, end, 0)


def _word_pieces(text: str, start: int, end: int, settings: ChunkingSettings) -> Iterator[Span]:
    """A run without spaces longer than a chunk (a sequence, an encoded blob) in pieces of at most a chunk's tokens,
    so that no chunk is larger than the embedding model reads."""
    limit = settings.chunk_tokens
    while start < end:
        size = min(end - start, 4 * limit)
        while size > 1 and count_tokens(text[start : start + size], settings.encoding) > limit:
            size = size * 3 // 4
        yield (start, start + size)
        start += size


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
        page_breaks=tuple(p for p in doc.page_starts if start < p < end),
    )
