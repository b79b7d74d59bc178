"""The project helpers the verifier uses, imported in this one place (the package layout is moving)."""

from __future__ import annotations

from assistant.answer.lexicon import STOPWORDS
from assistant.answer.terms import content_terms, fold_spelling, has_negation, key_terms, spell_greek
from assistant.text.aliases import find_aliases
from assistant.text.sentences import split_sentences

__all__ = [
    "STOPWORDS", "content_terms", "find_aliases", "fold_spelling", "has_negation", "key_terms", "spell_greek",
    "split_sentences",
]  # fmt: skip
