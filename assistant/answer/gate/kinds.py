"""The `other kind` veto: the question asks about one kind of a thing and the passages state it for the opposite kind.

"Does dapagliflozin help heart failure with preserved ejection fraction?" shares every word but one with "... the use
of dapagliflozin in heart failure with reduced ejection fraction ...", and the evidence figures read it as answered
(an outside tester, 2026-12-08). The qualifier the question adds is the whole question; where the passages hold
none of it and say its opposite between the same two words, they answer another question. The pairs are general
clinical English, written before any question was run with them, none taken from a gold question; a pair is only
read where the word stands between the same neighbours in both (one of them a content word), so "reduced" as the
verb of a finding elsewhere plays no part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.lexicon import STOPWORDS

_PAIRS = (
    ("preserved", "reduced"),
    ("acute", "chronic"),
    ("early", "late"),
    ("mild", "severe"),
    ("low", "high"),
    ("positive", "negative"),
    ("primary", "secondary"),
    ("adult", "pediatric"),
    ("adult", "paediatric"),
    ("adults", "children"),
    ("men", "women"),
    ("male", "female"),
    ("benign", "malignant"),
    ("systolic", "diastolic"),
    ("resistant", "sensitive"),
    ("inherited", "acquired"),
    ("proximal", "distal"),
    ("upper", "lower"),
    ("oral", "intravenous"),
    ("topical", "systemic"),
    ("treated", "untreated"),
    ("metastatic", "localized"),
    ("metastatic", "localised"),
    ("invasive", "noninvasive"),
    ("first-line", "second-line"),
)
OPPOSITES: dict[str, frozenset[str]] = {}
for _a, _b in _PAIRS:
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")


def _frames(text: str) -> dict[str, set[tuple[str, str]]]:
    """word -> the (word before, word after) pairs it stands between ("" at either end)."""
    words = _WORD.findall(text.lower())
    found: dict[str, set[tuple[str, str]]] = {}
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        found.setdefault(word, set()).add((before, after))
    return found


def other_kind(question: str, texts: Iterable[str]) -> list[tuple[str, str]]:
    """(the question's word, the passages' opposite) for each qualifier of the question that no passage holds and
    whose opposite a passage writes between the same two words, one of them a content word."""
    asked = _frames(question)
    there: dict[str, set[tuple[str, str]]] = {}
    for text in texts:
        for word, frames in _frames(text).items():
            there.setdefault(word, set()).update(frames)
    found = []
    for word, frames in asked.items():
        if word not in OPPOSITES or word in there:
            continue
        framed = {f for f in frames if any(w and w not in STOPWORDS for w in f)}
        for other in sorted(OPPOSITES[word]):
            if framed & there.get(other, set()):
                found.append((word, other))
    return found
