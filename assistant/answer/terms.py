"""Words of a question or sentence: content terms (stemmed) and key terms that must match exactly."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.answer.lexicon import DERIVATIONAL_PREFIXES, GENERIC_WORDS, KEY_TERM, NEGATIONS, STOPWORDS

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-/]*[A-Za-z0-9+]|[A-Za-z0-9]")


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer, installed with llama-index-retrievers-bm25

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


_BRITISH = re.compile(r"our(s?)$")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem, with British -our spellings folded (tumour -> tumor) so both meet."""
    lowered = word.lower()
    if len(lowered) > 5:
        lowered = _BRITISH.sub(r"or\1", lowered)
    return str(_stemmer().stemWord(lowered))  # type: ignore[attr-defined]


def content_terms(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no single letters except in names)."""
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS and (len(w) > 1 or w.isupper())}


def key_terms(text: str) -> set[str]:
    """Tokens that must appear verbatim (case-insensitive) in a supporting passage."""
    return {w.lower().rstrip("-/") for w in words(text) if KEY_TERM.search(w) and w.lower() not in STOPWORDS}


def squash(text: str) -> str:
    """Lower-cased without spaces or hyphens, so "IL 10", "IL-10" and "il10" meet."""
    return re.sub(r"[\s\-]", "", text.lower())


def has_negation(text: str) -> bool:
    return any(w.lower() in NEGATIONS or w.lower().endswith("n't") for w in text.split())


def roots(term: str) -> set[str]:
    """A stem and the stem without a derivational prefix (antitumor -> tumor), for matching topics."""
    found = {term}
    for prefix in DERIVATIONAL_PREFIXES:
        rest = term.removeprefix(prefix).lstrip("-")
        if rest != term and len(rest) >= 4:
            found.add(rest)
    return found


GENERIC = content_terms(GENERIC_WORDS)
