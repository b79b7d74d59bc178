"""What a passage unit denies beside what it states: "impaired X but not Y" says nothing for Y, it says the opposite.

Abstracts set a finding against its exception in one sentence ("IL-33 improved survival in wild-type but not in
ST2(-/-) mice"; 471 times in SciFact's corpus). The model reads such a unit as support for a sentence about the
exception too: of 99 sentences made from train-side abstracts by asserting the "but not" part ("IL-33 improved
survival in ST2(-/-) mice"), it called 78 supported. So a unit's exceptions (the words after "but not", "and not" or
", not", to the next comma, semicolon, colon, or preposition once they hold a word of their own) are read apart: a
sentence about a thing the unit denies (one of its names, or most of its words, that the rest of the unit does not
state) is not supported by it when it asserts it (no negation of its own), and not contradicted by it when it
negates it. The model's probability for that verdict goes to not found, never to the other verdict: where an
exception ends is a guess, and a wrong guess must cost a verdict, not reverse one.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.answer.terms import content_terms, has_negation, key_terms

_SCOPE = re.compile(r"(?:\b(?:but|and)\s+not|,\s*not)\s+([^,;:]+)", re.I)
# A preposition ends the exception once it has a word of its own: "TRPA1 in sensory neurons" denies TRPA1, the
# neurons are where both hold; "in ST2(-/-) mice" is the exception itself. "of" goes on ("production of IL-10").
_ENDS = re.compile(
    r"\s(?:in|at|on|after|before|during|within|for|from|by|with|without|under|over|among|between|via|through|"
    r"to|than|when|while|whereas|compared)\s",
    re.I,
)
_ITEMS = re.compile(r",|\b(?:and|or|nor)\b", re.I)


def denied(unit: str) -> list[tuple[set[str], set[str]]]:
    """The things the unit denies, each as (its names, its content terms), less what the unit also states: one per
    item of each exception ("production of IL-10 and TGF-β": "production of IL-10", "TGF-β")."""
    scopes = list(_SCOPE.finditer(unit))
    if not scopes:
        return []
    outside = content_terms(_SCOPE.sub(" ", unit))
    found = []
    for m in scopes:
        for item in _ITEMS.split(_head(m.group(1))):
            names, terms = key_terms(item) - outside, content_terms(item) - outside
            if terms:
                found.append((names, terms))
    return found


def about_denied(unit: str, sentence: str) -> bool:
    """True when the sentence is about something the unit denies: it names one of that thing's names, or (a thing
    without names) holds more than half of its words. A word the denied thing shares with the rest of the sentence
    ("wild-type but not ST2(-/-) mice": "mice") decides nothing alone."""
    things = denied(unit)
    if not things:  # most units: no exception, nothing to read
        return False
    terms, names = content_terms(sentence), key_terms(sentence)
    return any(names & n if n else len(terms & t) * 2 > len(t) for n, t in things)


def _head(scope: str) -> str:
    """The exception's own phrase: the scope up to the first preposition (not "of") after a word of its own."""
    for end in _ENDS.finditer(scope):
        if content_terms(scope[: end.start()]):
            return scope[: end.start()]
    return scope


def read_apart(unit: str, sentence: str, probabilities: np.ndarray) -> np.ndarray:
    """The unit's (supported, contradicted, not found) probabilities for the sentence, with the verdict the unit's
    contrast scope rules out moved to not found (see the module's docstring); unchanged where none applies."""
    if not about_denied(unit, sentence):
        return probabilities
    return rule_out(probabilities, 1 if has_negation(sentence) else 0)


def rule_out(probabilities: np.ndarray, verdict: int, to: int = 2) -> np.ndarray:
    """A copy of (supported, contradicted, not found) with the `verdict`'s probability moved to not found: a reading
    that rules a verdict out costs it, and never gives it to the other verdict (unless `to` says so: a reading that
    finds the opposite stated)."""
    out = probabilities.copy()
    out[to] += out[verdict]
    out[verdict] = 0.0
    return out
