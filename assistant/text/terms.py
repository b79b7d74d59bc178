"""Words of a question or sentence: content terms (stemmed) and key terms that must match exactly."""

from __future__ import annotations

import re
from functools import lru_cache

# Question scaffolding and function words: they say nothing about what the documents must contain.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just may me might more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves tell explain describe known know please give list kind kinds type types way ways role
    effect effects use used using work works stand stands mean means meaning abbreviation acronym et al etc""".split()
)
NEGATIONS = frozenset("not no never neither nor without none cannot fail fails failed absence lack lacks".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-/]*[A-Za-z0-9+]|[A-Za-z0-9]")
# Gene/protein/drug-like tokens and numbers: CCL2, FoxP3, IL-10, CD4+, STAT5, 6955, 2008.
_KEY = re.compile(r"^(?=.*\d)|^[A-Z]{2,}|^[a-z]+[A-Z]|^[A-Z][a-z]+[A-Z0-9]")


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
    return {w.lower().rstrip("-/") for w in words(text) if _KEY.search(w) and w.lower() not in STOPWORDS}


def squash(text: str) -> str:
    """Lower-cased without spaces or hyphens, so "IL 10", "IL-10" and "il10" meet."""
    return re.sub(r"[\s\-]", "", text.lower())


def has_negation(text: str) -> bool:
    return any(w.lower() in NEGATIONS or w.lower().endswith("n't") for w in text.split())


# Derivational prefixes of biomedical adjectives: "antitumour" is about tumours, "intracellular" about cells.
_PREFIXES = ("anti", "non", "intra", "inter", "extra", "hyper", "hypo", "multi", "pseudo", "semi", "post")


def roots(term: str) -> set[str]:
    """A stem and the stem without a derivational prefix (antitumor -> tumor), for matching topics."""
    found = {term}
    for prefix in _PREFIXES:
        rest = term.removeprefix(prefix).lstrip("-")
        if rest != term and len(rest) >= 4:
            found.add(rest)
    return found


# Words of research reporting that any document may or may not use; they say nothing about its topic.
GENERIC = content_terms(
    "study studies model models treat treated treatment use used research result results paper article author "
    "authors publish published journal disease diseases experiment experiments animal type types new involve "
    "involved test tested method methods data find found show shown report reported drug drugs propose proposed "
    "suggest suggested conclude concluded"
)
