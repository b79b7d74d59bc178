"""Bracketed number marks: "[2]", "[3, 4]", "[5-7]".

In an answer they cite its numbered passages; in a document they point to the paper's own bibliography, which the
reader of an answer cannot see, and beside the answer's own marks they read as citations of the wrong passages.
"""

from __future__ import annotations

import re

# The numbers of one mark: a list or a range ("1, 2", "1; 2", "1-3", "1–3").
MARK_NUMBERS = r"\d+(?:\s*[-–,;]\s*\d+)*"
# A document's reference mark, with the space before it; not "[3H]" or "[Ca2+]", which are part of a name.
_REFERENCE_MARK = re.compile(r"\s*\[\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*\](?![\w+])")
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
