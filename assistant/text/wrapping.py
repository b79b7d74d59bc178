"""Hard-wrapped plain text put back into paragraphs.

A plain-text abstract, an e-mail or a manuscript copied from an editor often breaks its lines at a fixed width, and
downstream every line break ends a sentence (`sentences.split_sentences`): a wrapped sentence became fragments that
were indexed, quoted and checked one by one ("Dasatinib reduced regulatory" / "T cell frequency in peripheral
blood."). A break is read as a wrap by the typesetter's own test: the next line's first word would not have fitted
on the line within the width the text is wrapped at (its longest line), or the line leaves its sentence open and
fills most of that width (`PROSE`: ragged lines copied from a PDF). A break where that word would have fitted
was made on purpose (a title, a heading, the end of a paragraph, one sentence per line) and stays, as do breaks
before a list item, a heading or a table row, and every break of a run whose lines are longer than a wrapped line
ever is (`MAX_WIDTH`: one paragraph per line, as editors save text).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Set

from assistant.text.hyphens import keeps_hyphen, printed_words
from assistant.text.sentences import ends_sentence

# The widest line read as wrapped (terminals and mail wrap at 72-80 columns, some editors at 100 or 120), and the
# narrowest wrapping width (below it, short lines are labels and lists, not a wrapped paragraph). Set on general
# grounds before any measurement; `bench/wrapping.py` measures them on SciFact corpus abstracts and PubMedQA
# contexts wrapped at 50 to 120 columns.
MAX_WIDTH = 120
MIN_WIDTH = 40
# What opens a line on its own: a list item, a Markdown heading, quote or table row, a labelled field.
_OPENS_BLOCK = re.compile(
    r"(?:[-*+\u2022\u2013]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][)]\s|[#>|]|[A-Z][A-Za-z]{3,}(?: [A-Za-z]+){0,3}:\s)"
)
# Text copied from a PDF set in a proportional font breaks at ragged widths, where the test above fails: a line that
# leaves its sentence open and fills this share of the width goes on in the next as well (not a run's first line,
# which may be a title). Chosen on SciFact corpus abstracts, bench/wrapping.py: mean share of sentences kept over
# the wrapped variants 0.9784, 0.9783, 0.9780, 0.9700 at 0.4, 0.5, 0.6, 0.7 (0.896 without the rule, which kept
# 0.36 of them on ragged lines); the largest share within 0.001 of the best, as it joins fewest lines (a tie rule
# set after seeing those four figures).
PROSE = 0.6
_WORD = 12  # a long word: how much longer than the lines below a wrapped first line can be
_BROKEN_WORD = re.compile(r"[A-Za-z]-$")  # "immuno-" ending a line, continued in lower case
# English words that leave a phrase open: a line ending on one is no title. General English grammar.
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by from with into onto than that which and or nor but as per via whose".split()
)
_HEAD = re.compile(r"[A-Za-z]+$")
_TAIL = re.compile(r"[a-z]+")


def unwrap(text: str) -> str:
    """`text` with each hard-wrapped run of lines joined into one line; blank lines and deliberate breaks kept."""
    lines = text.split("\n")
    continued: set[int] = set()
    tight: set[int] = set()
    start = 0
    for end, line in enumerate([*lines, ""]):
        if not line.strip():
            spaced, joined = _continued(lines[start:end])
            continued.update(start + i for i in spaced)
            tight.update(start + i for i in joined)
            start = end + 1
    printed = printed_words(text) if tight else set()
    for i in tight:  # "Metfor-" + "min": the hyphen was the typesetter's, not the word's
        head, tail = _HEAD.search(lines[i - 1].rstrip()[:-1]), _TAIL.match(lines[i].strip())
        if head and tail and not keeps_hyphen(head.group(), tail.group(), printed):
            lines[i - 1] = lines[i - 1].rstrip()[:-1]
    return join_continued(lines, continued, tight)


def _continued(lines: list[str]) -> tuple[set[int], set[int]]:
    """Of a run of non-blank lines, the indices of those that continue the line before (a space between them), and
    of those among them that finish a word the line before broke at its hyphen (no space)."""
    if len(lines) < 2:
        return set(), set()
    # The width is the longest line's but the first's, where there are more: a title or heading above the text
    # may be longer, and is no part of its wrap when it is longer than the rest by more than a word.
    first, rest = len(lines[0].rstrip()), max(len(line.rstrip()) for line in lines[1:])
    title = len(lines) > 2 and first > rest + _WORD
    width = rest if len(lines) > 2 else max(first, rest)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        return set(), set()
    continued: set[int] = set()
    tight: set[int] = set()
    for i, (previous, line) in enumerate(itertools.pairwise(lines)):
        # Of two lines alone (a title above an author line is two lines too), the second continues the first when
        # it opens in lower case, or ends the sentence the first left open and is no longer than it (the shape of a
        # wrapped sentence's last line).
        first_apart = i == 0 and (title or (len(lines) == 2 and not _continues(*lines)))
        tail = line.strip()
        if not first_apart and _wrapped(previous, tail, width, prose=i > 0):
            continued.add(i + 1)
            if _BROKEN_WORD.search(previous.rstrip()) and tail[:1].islower():
                tight.add(i + 1)
    return continued, tight


def join_continued(lines: list[str], continued: Set[int], tight: Set[int] = frozenset()) -> str:
    """The lines joined by line breaks, but each line whose index is in `continued` joined to the one before it by a
    space (none for those in `tight`: a word broken at its hyphen); each line built once from its pieces (a
    paragraph may have thousands of lines)."""
    rows: list[list[str]] = []
    for i, line in enumerate(lines):
        if i in continued and rows:
            rows[-1][-1] = rows[-1][-1].rstrip()
            rows[-1].append(line.strip() if i in tight else f" {line.strip()}")
        else:
            rows.append([line])
    return "\n".join("".join(row) for row in rows)


def _continues(first: str, second: str) -> bool:
    first, second = first.rstrip(), second.strip()
    if not second[:1].isupper():
        return True
    return ends_sentence(second) and not ends_sentence(first) and len(second) <= len(first)


def _dangling(line: str) -> bool:
    """The line ends on a word that cannot end a title or a heading: an article, a preposition, a conjunction
    ("... a mean reduction in HbA1c of" / "1.1 percentage points ...")."""
    words = line.split()
    return bool(words) and words[-1].lower() in _FUNCTION_WORDS


def opens_block(line: str) -> bool:
    """The (stripped) line opens a list item, a heading, a quote, a table row or a labelled field."""
    return bool(_OPENS_BLOCK.match(line))


def _wrapped(previous: str, line: str, width: int, prose: bool = True) -> bool:
    """Was the break between these two lines made by wrapping at `width`? (Two trailing spaces: a hard break.)
    `prose`: a line that leaves its sentence open may say so too (not the first of a run: it may be a title)."""
    if not line or opens_block(line) or previous.endswith("  "):
        return False
    previous = previous.rstrip()
    if (prose or _dangling(previous)) and not ends_sentence(previous) and len(previous) >= PROSE * width:
        return True
    return len(previous) + 1 + len(line.split()[0]) > width
