"""Who or what a finding applies to: two groups, arms or values exchanged in a sentence that otherwise follows its
passage. The model reads such a sentence as the passage's own (it holds every word of it), so two rules of form read
it: `exchanged` ("9.7% in the placebo group and 8.9% in the colchicine group" against "9.7% ... colchicine ...
8.9% ... placebo") and `compared_the_other_way` ("lower in the vehicle group than in the metformin group" against
"lower in the metformin group than in the vehicle group"). Added after an outside tester's group and arm swaps were
all supported, and narrowed after a code review's faithful pairs (2026-12-08); neither was chosen on a benchmark.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.answer.lexicon import STOPWORDS

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9\-]*")


def _anchored(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def _number(token: str) -> bool:
    return token[0].isdigit()


# Relations said of both sides alike: their sides may come in either order ("did not differ between 10 mg and 20 mg").
_SYMMETRIC = re.compile(r"\b(?:between|similar|comparable|differ|difference|equal|each|respectively|versus|vs)\b", re.I)


def exchanged(premise: str, hypothesis: str) -> bool:
    """Of the words and numbers each text says once (stop words aside), the hypothesis says them in the premise's
    order but for two of a kind that trade places, with something between them that they are bound to: two numbers
    with anything between, or two words with a number between. Two words that trade places around other words are
    a list said in another order ("IL-6, TNF and IL-1b"), not a swap."""
    if _SYMMETRIC.search(premise) or _SYMMETRIC.search(hypothesis):
        return False
    said, there = _anchored(hypothesis), _anchored(premise)
    once = {t for t, n in Counter(said).items() if n == 1} & {t for t, n in Counter(there).items() if n == 1}
    h = [t for t in said if t in once]
    p = [t for t in there if t in once]
    differ = [i for i, (a, b) in enumerate(zip(h, p, strict=True)) if a != b]
    if len(differ) != 2:
        return False
    i, j = differ
    if (h[i], h[j]) != (p[j], p[i]) or _number(h[i]) != _number(h[j]) or j - i < 2:
        return False
    between = p[i + 1 : j]
    return _number(h[i]) or any(map(_number, between))


# A side runs to the clause's end; a full stop inside a number ("7.3%") ends nothing.
_SIDE = r"(?:[^.;]|\.(?=\d))"
_COMPARED = re.compile(
    rf"\b(higher|greater|more|larger|longer|lower|less|fewer|smaller|shorter)\b({_SIDE}*?)\bthan\b((?:(?!,){_SIDE})*)",
    re.I,
)
_UP = frozenset({"higher", "greater", "more", "larger", "longer"})


def _comparisons(text: str) -> list[tuple[bool, set[str], set[str], set[str]]]:
    """(up, what is compared, one side's words, the other side's words) of each "X was higher in A than in B" in the
    text; the words both sides share ("group") are left out. What is compared: the words of the clause before the
    comparative (none for "It was ...": it refers back)."""
    out = []
    for m in _COMPARED.finditer(text):
        a, b = set(_anchored(m.group(2))), set(_anchored(m.group(3)))
        a, b = a - b, b - a
        what = set(_anchored(re.split(r"[;:,]|\.(?!\d)", text[: m.start()])[-1]))
        if a and b:
            out.append((m.group(1).lower() in _UP, what, a, b))
    return out


def compared_the_other_way(premise: str, hypothesis: str) -> bool:
    """The hypothesis compares two things the premise compares, about the same quantity (or one the premise refers
    back to), with their sides exchanged and the same comparative ("higher in the controls than in the patients"
    against "higher in the patients than in the controls"), or with their sides kept and the opposite comparative,
    and no comparison of the premise says the same. The other comparative with exchanged sides says the same."""
    there = _comparisons(premise)
    for up, what, a, b in _comparisons(hypothesis):
        against, agrees = False, False
        for their_up, their_what, pa, pb in there:
            if their_what and what and not their_what & what:
                continue
            kept, swapped = bool(a & pa and b & pb), bool(a & pb and b & pa)
            if (up == their_up and kept and not swapped) or (up != their_up and swapped and not kept):
                agrees = True
            elif (up == their_up and swapped and not kept) or (up != their_up and kept and not swapped):
                against = True
        if against and not agrees:
            return True
    return False


def roles_swapped(premise: str, hypothesis: str) -> bool:
    """Either rule above."""
    return exchanged(premise, hypothesis) or compared_the_other_way(premise, hypothesis)
