"""Bracketed number marks: "[2]", "[3, 4]", "[5-7]".

In an answer they cite its numbered passages; in a document they point to the paper's own bibliography, which the
reader of an answer cannot see, and beside the answer's own marks they read as citations of the wrong passages. A
bracketed range inside a clause is a quantity, not a mark ("doses of [10-20] mg", "grade [1-2] toxicity").
"""

from __future__ import annotations

import re

_LIST = r"\d+(?:\s*[,;]\s*\d+)*"
_RANGES = r"\d+\s*[-–]\s*\d+(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*"
_CLAUSE_END = r"\s*(?:[.,;:!?)\]]|\[|$)"  # what follows a mark: punctuation, another mark, the end
# The body of an answer's citation mark: a number or a list anywhere ("[1] and [2]"), a range at a clause's end.
CITATION_BODY = rf"{_LIST}|{_RANGES}(?=\]{_CLAUSE_END})"
# Any mark's body, where the place already says it is a mark (after a full stop).
MARK_NUMBERS = r"\d+(?:\s*[-–,;]\s*\d+)*"
# A document's reference mark, with the space before it: a number or a list anywhere ("Smith et al. [12] showed"), a
# range at a clause's end; not "[3H]" or "[Ca2+]" (part of a name), nor one holding a 0 ("[0, 1]" is an interval).
_REF = r"[1-9]\d{0,2}"
_REFERENCE_MARK = re.compile(
    rf"\s*\[(?:{_REF}(?:\s*[,;]\s*{_REF})*\](?![\w+])"
    rf"|{_REF}\s*[-–]\s*{_REF}(?:\s*[,;]\s*{_REF}(?:\s*[-–]\s*{_REF})?)*\](?={_CLAUSE_END}))"
)
_WIDEST_RANGE = 10  # "[1-3]" is 1, 2 and 3; "[1-400]" is no list of passages, only its two ends


def mark_numbers(body: str) -> tuple[int, ...]:
    """The numbers a mark's body names, ranges written out, each once in order ("2, 4-6" -> 2, 4, 5, 6)."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", body.strip()):
        ends = [int(n) for n in re.findall(r"\d+", part)]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < _WIDEST_RANGE:
            ends = list(range(ends[0], ends[1] + 1))
        numbers.extend(ends)
    return tuple(dict.fromkeys(numbers))


def without_reference_marks(text: str) -> str:
    """A document sentence without its reference marks ("... function [12]." -> "... function.")."""
    return _REFERENCE_MARK.sub("", text).strip()
