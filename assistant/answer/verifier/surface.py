"""A sentence that restates a passage sentence in other letters, not other words: supported without the model.

Two sentences are the same statement when they are equal once written the same way: case, spacing and hyphens
("T-cell", "T cell"), British and American spelling, Greek letters spelled out, a discourse opener ("However, "),
a section label ("RESULTS: "), and the aliases the passage itself defines ("regulatory T cells (Treg)": either
name, or both). A passage sentence also supports itself with words removed that only qualify it (a statistic in
parentheses, "significantly"): the shorter sentence states less; but not a parenthesis saying the result is not
significant, nor "significantly" after a negation, which are part of the fact. Never the other way: a sentence that
adds a statistic or "significantly" claims more than its passage. A document's reference marks ("[12]") are no part of
either (`references.without_reference_marks`). Nothing else is removed; a hedge ("may") is a fact about the finding,
and a reordered or reworded sentence goes to the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.answer.terms import fold_spelling, spell_greek
from assistant.text.aliases import find_aliases
from assistant.text.references import without_reference_marks

# The rules the paraphrase generator writes faithful paraphrases with (`paraphrase.drop_qualifier`), one home for both.
OPENER = re.compile(
    r"^(However|Moreover|Furthermore|In addition|Additionally|Thus|Therefore|Finally|Notably|Importantly|"
    r"Interestingly|Overall|Taken together|In conclusion|In summary|Consequently),\s+"
)
# A parenthesis holding a statistic: a comparison sign, a percentage, "CI", "P" or a number.
STATISTIC = re.compile(r"\s*\((?=[^()]*(?:=|<|>|%|\bCI\b|\bP\b|\bp\b|\d))[^()]{1,80}\)")
QUALIFIER = re.compile(r"\bsignificantly ")
# What keeps a qualifier part of the fact in a restatement: a parenthesis that says the result is not significant
# ("P = 0.41, not significant", "NS") and "significantly" after a negation ("did not significantly reduce" is not
# "did not reduce"). The paraphrase generator drops them anyway: its drawn pairs stay those of the shipped manifests.
_NEGATING = re.compile(r"\b(?:not?|non|nonsignificant|insignificant|ns|n\.s)\b", re.I)
_BARE_QUALIFIER = re.compile(r"(?<!\bnot )(?<!n't )(?<!\bno )\bsignificantly ")
# A leading section label of a structured abstract ("RESULTS ", "DESIGN, SETTING: "), which the generator's
# sentences leave out too (`synthetic.clean`).
SECTION_LABEL = re.compile(r"^(?:[A-Z][A-Z,&/ ]{2,}[A-Z]:?\s+)(?=[A-Z0-9])")
# Letters, numbers (decimals kept whole) and the signs that change a fact: comparison, sign, percent, ratio.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[<>=≤≥±%+\-−/×]")
_JOINING_HYPHEN = re.compile(r"(?<=[^\W_])-(?=[^\W_])")


def restates(sentence: str, passage: Sequence[str]) -> int | None:
    """Index of the passage sentence that the sentence restates (see the module's rules), or None."""
    aliases = _alias_table(" ".join(passage))
    wanted = surface(sentence, aliases)
    if not wanted:
        return None
    return next((i for i, s in enumerate(passage) if wanted in _forms(s, aliases)), None)


def surface(text: str, aliases: dict[str, str]) -> str:
    """The sentence written one way: its words and numbers, lower-cased, spelling folded, Greek spelled out, aliases
    as their long form, a hyphen inside a word as a space, without punctuation (but with the signs that change a
    fact: "<", "-5", "CD4+"), a section label or a discourse opener."""
    text = OPENER.sub("", SECTION_LABEL.sub("", spell_greek(without_reference_marks(text))))
    for both, long in aliases.items():
        text = re.sub(rf"(?<![\w\-]){re.escape(both)}(?![\w\-])", long, text)
    return " ".join(_fold(w) for w in _TOKEN.findall(_JOINING_HYPHEN.sub(" ", text)))


_fold = lru_cache(maxsize=65536)(fold_spelling)  # eight patterns a word; a passage's words recur


def _forms(passage_sentence: str, aliases: dict[str, str]) -> set[str]:
    """The passage sentence written one way: whole, without its statistics, without "significantly", without both."""
    without_statistics = STATISTIC.sub(lambda m: m.group(0) if _NEGATING.search(m.group(0)) else "", passage_sentence)
    unqualified = _BARE_QUALIFIER.sub
    variants = (passage_sentence, without_statistics, unqualified("", passage_sentence))
    return {surface(text, aliases) for text in (*variants, unqualified("", without_statistics))}


@lru_cache(maxsize=256)  # an answer's sentences cite the same few passages; read only
def _alias_table(passage: str) -> dict[str, str]:
    """Each written form of a name the passage defines -> its long form: "long (short)" first, then the short form
    alone (longest first, so that a form inside another is replaced after it)."""
    table: dict[str, str] = {}
    for long, short in find_aliases(passage):
        table.setdefault(f"{long} ({short})", long)
        table.setdefault(short, long)
    return dict(sorted(table.items(), key=lambda kv: -len(kv[0])))
