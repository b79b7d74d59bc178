"""Sentence spans of cleaned text: shared by chunking (ingest) and by the answer step."""

from __future__ import annotations

import re

from assistant.models import Span

# Words that end in a period without ending a sentence (lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    "prof dr mr mrs ms st no vs e.g i.e al fig figs ref refs approx ca cf etc inc ltd jr sr dept univ vol"
    " jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# A boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then a likely sentence start.
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"[^\n]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_WINDOW = 120  # characters before a period read to decide it (a caption's label is shorter)
_CAPTION_LABEL = re.compile(r"(?:Supplementary\s+)?(?:Fig(?:ure)?s?\.?|Table|Box|Panel)\s+S?\d+[A-Za-z]?", re.I)
# A line or a sentence that ends as a sentence does: terminal punctuation, then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")


def ends_sentence(text: str) -> bool:
    """The text ends as a sentence does (in cleaned text: straight quotes, "..." not "…")."""
    return bool(_SENTENCE_END.search(text))


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of `text` (shifted by `offset`). Each line (paragraph) ends a sentence."""
    spans: list[Span] = []
    for para in _PARAGRAPH.finditer(text):
        start = para.start()
        for match in _BOUNDARY.finditer(para.group()):
            end = para.start() + match.start() + 1
            if _is_abbreviation(text, start, end):
                continue
            end = para.start() + match.end()
            spans.append(trimmed(text, start, end, offset))
            start = end
        if start < para.end():
            spans.append(trimmed(text, start, para.end(), offset))
    return [s for s in spans if s[1] > s[0]]


def _is_abbreviation(text: str, start: int, period_end: int) -> bool:
    """True when the period at `period_end - 1` closes an abbreviation, an initial, or a caption's label."""
    if text[period_end - 1] != ".":
        return False
    # The last words only: a run without sentence ends can be a whole (huge) paragraph.
    window = max(start, period_end - 1 - _WINDOW)
    before = text[window : period_end - 1].split()
    written = before[-1].lstrip("(\"'") if before else ""
    word = written.lower()
    if len(word) == 1 and word.isalpha():
        # An initial ("B. Drobits"), unless it is a unit after a number ("after 24 h. The drug ...", "at 3 T. Lesion
        # volume ..."); after a year a capital is an initial ("in 2019 J. Smith").
        number = before[-2] if len(before) > 1 and before[-2][-1:].isdigit() else ""
        return not number or (written.isupper() and _YEAR.fullmatch(number) is not None)
    # "Figure 1. Proposed model: ..." opens a caption: its label is not a sentence ("shown in Figure 2." ends one).
    whole = window == start and len(before) <= 3
    return word in _ABBREVIATIONS or (whole and _CAPTION_LABEL.fullmatch(" ".join(before)) is not None)


def trimmed(text: str, start: int, end: int, offset: int = 0) -> Span:
    """The span without its leading and trailing whitespace, shifted by `offset`."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start + offset, end + offset)
