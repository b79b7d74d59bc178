"""Words of a question or sentence: content terms (stemmed) and key terms that must match exactly."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.answer.lexicon import (
    DERIVATIONAL_PREFIXES,
    GENERIC_WORDS,
    GREEK,
    KEY_TERM,
    NEGATIONS,
    SPELLING_FOLDS,
    STOPWORDS,
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-/]*[A-Za-z0-9+]|[A-Za-z0-9]")
_GREEK = re.compile("|".join(GREEK))


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer, installed with llama-index-retrievers-bm25

    return Stemmer.Stemmer("english")


def spell_greek(text: str) -> str:
    """Greek letters written out: "IFN-α" -> "IFN-alpha", "TNFα" -> "TNFalpha" (`squash` meets it with "TNF-alpha")."""
    return _GREEK.sub(lambda m: GREEK[m.group()], text) if not text.isascii() else text


def words(text: str) -> list[str]:
    return _WORD.findall(spell_greek(text))


def fold_spelling(word: str) -> str:
    """Lower-cased, British spellings folded to American (tumour, leukaemia, analyse -> tumor, leukemia, analyze)."""
    folded = word.lower()
    for pattern, replacement in SPELLING_FOLDS:
        folded = pattern.sub(replacement, folded)
    return folded


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of the word with its spelling folded, so British and American forms meet."""
    return str(_stemmer().stemWord(fold_spelling(word)))  # type: ignore[attr-defined]


def content_terms(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no single letters except in names)."""
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS and (len(w) > 1 or w.isupper())}


def key_terms(text: str) -> set[str]:
    """Tokens that must appear verbatim (case-insensitive) in a supporting passage."""
    return {w.lower().rstrip("-/") for w in words(text) if KEY_TERM.search(w) and w.lower() not in STOPWORDS}


def squash(text: str) -> str:
    """Lower-cased without spaces or hyphens, Greek letters written out, so "IL 10", "IL-10" and "il10" meet, and
    "IFN-α" and "IFN alpha"."""
    return re.sub(r"[\s\-]", "", spell_greek(text).lower())


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
