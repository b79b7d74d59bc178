"""A word broken at a line-end hyphen: the typesetter's hyphen ("gluconeo-" / "genesis") or the word's own
("TNF-" / "induced", "anti-" / "inflammatory")?

Read in order, first answer wins: the text prints the hyphenated form elsewhere (keep) or the joined one (join); the
joined form is a word of general English ("of-" / "ten", "re-" / "current": join); the part before is a name (a
capital inside, two capitals or a digit: "TNF", "NF-kappaB", "IL-10": keep); it is a prefix that English writes
closed ("re-", "un-", "in-", "dis-": join); the part after is a word that ends compounds ("-induced", "-dependent",
"-controlled": keep); both parts are words of general English ("anti-" / "inflammatory", "co-" / "receptor": keep);
else the hyphen was the typesetter's (join). General English: the embedding model's vocabulary
(`lexicons.is_general_word`); the lists below are general English and biomedical morphology, not chosen on any data.
"""

from __future__ import annotations

import re
from collections.abc import Set

from assistant.text.lexicons import is_general_word

_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# Prefixes English writes closed ("reactivation", "untreated", "inactivation"): a hyphen after one is hyphenation.
_CLOSED_PREFIXES = frozenset({"re", "un", "in", "im", "dis", "mis", "de", "en", "ex"})
# Second parts of compounds that keep their hyphen after any first part ("caspase-independent", "placebo-controlled").
_COMPOUND_TAILS = frozenset(
    "induced dependent independent mediated related associated specific treated positive negative derived based free "
    "like resistant sensitive deficient controlled blind blinded matched adjusted driven expressing producing "
    "activated stimulated targeted linked bound coupled containing type fold term".split()
)


def printed_words(text: str) -> set[str]:
    """The words a text prints (lower case), hyphenated ones whole."""
    return {w.lower() for w in _WORDS.findall(text)}


def keeps_hyphen(head: str, tail: str, printed: Set[str]) -> bool:
    """Whether "head-" at a line's end and "tail" opening the next are one hyphenated word (see the module);
    `printed`: the words the text prints (`printed_words`)."""
    hyphenated, joined = f"{head}-{tail}".lower(), f"{head}{tail}".lower()
    if hyphenated in printed or joined in printed:
        return hyphenated in printed
    if is_general_word(joined):
        return False
    if _is_name(head):
        return True
    if head.lower() in _CLOSED_PREFIXES:
        return False
    if tail.lower() in _COMPOUND_TAILS:
        return True
    return is_general_word(head) and is_general_word(tail)


def _is_name(part: str) -> bool:
    """A gene, protein or code: a capital inside ("NF-kappaB", "FoxP3"), two capitals ("TNF") or a digit."""
    return any(c.isdigit() for c in part) or any(c.isupper() for c in part[1:])
