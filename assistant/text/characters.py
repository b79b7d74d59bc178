"""Characters as the index stores them: Unicode normalised (NFKC) with ASCII quotes, spaces and hyphens, and nothing
that draws nothing. Documents are cleaned with it (`ingest.documents.cleaning`), and so are the questions and texts a
user gives (`answer.questions`, `answer.claims`), so that both sides of every search read the same characters."""

from __future__ import annotations

import re
import unicodedata

# Applied before NFKC: NFKC would turn the acute accent ("drug´s") into a space plus a combining mark.
_CHAR_MAP: dict[int, str | None] = {
    **{ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4"},  # curly/low single quotes, prime, acute
    **{ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033"},  # curly/low double quotes, double prime
    **{ord(c): " " for c in "\u00a0\u1680\u202f\u205f\u3000"},  # non-breaking and other odd spaces
    # The Unicode hyphen and the non-breaking one (HTML's &#8209; in "COX&#8209;1"): a hyphen, which a reader types
    # as "-"; kept, they split "COX‐1" from "COX-1" for every search and for the claim verifier's tokenizer.
    **{ord(c): "-" for c in "\u2010\u2011"},
    **{cp: " " for cp in range(0x2000, 0x200B)},  # en/em/thin/hair spaces
    **{ord(c): None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff"},  # soft hyphen, zero-width chars, BOM
    **{ord(c): "\n" for c in "\r\x0b\x0c\u2028\u2029\x85"},  # other line breaks
}
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that draw nothing: format controls (direction marks, invisible operators, tags), variation selectors,
# the combining grapheme joiner, Hangul fillers. In a paper they carry no meaning; in a planted sentence they split
# the words a reader sees ("Ig\u2062nore") from those a search finds.
INVISIBLE = re.compile(
    "[\u034f\u061c\u115f\u1160\u180e\u200e\u200f\u202a-\u202e\u2061-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f"
    "\uffa0\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
# Superscript digits right after a number, which NFKC would join to it: after a 10, an exponent ("10⁹"); after
# another number most often a footnote mark ("in 2019¹²", "P < 0.001³"), kept apart by a space.
_SUPERSCRIPT_DIGIT = "\u2070\u00b9\u00b2\u00b3\u2074-\u2079"
_SUPERSCRIPT = f"[\u207a\u207b]?[{_SUPERSCRIPT_DIGIT}][{_SUPERSCRIPT_DIGIT}\u207a\u207b]*"
_EXPONENT = re.compile(f"(?<![0-9.,])(10)({_SUPERSCRIPT})")
_MARK_AFTER_NUMBER = re.compile(f"(?<=[0-9])({_SUPERSCRIPT})")


def normalize_unicode(raw: str) -> str:
    """NFKC plus ASCII quotes/spaces/hyphens; dashes (en, em, minus) are kept as printed; an exponent of 10
    keeps a caret ("4.2 × 10⁹/L": "10^9", not NFKC's "109"), other superscript digits after a number a space
    ("2019¹²": "2019 12", not "201912"); "CD4⁺" and "m²" stay "CD4+", "m2"."""
    text = _MARK_AFTER_NUMBER.sub(r" \1", _EXPONENT.sub(r"\1^\2", raw.replace("\r\n", "\n")))
    text = text.translate(_CHAR_MAP)
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    # Remaining control characters (not newlines, tabs) are never meaningful text, nor are invisible ones.
    return INVISIBLE.sub("", _CONTROLS.sub("", text))
