"""The text lines of a PDF's pages -> one cleaned text and the offset where each page begins.

Text extraction gives one line per printed line and no paragraph breaks, so this module puts back what a
reader sees: running headers and footers, page numbers and the reference list go; words hyphenated at a
line break are re-joined; wrapped lines become one-line paragraphs (the chunker ends a sentence at every
line break) with headings on their own. Everything works on whole lines tagged with their page, and the
page offsets are computed on the final text, so they stay exact.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import pairwise

from assistant.ingest.documents.cleaning import REFERENCES_HEADING, boilerplate_rule, is_protected, tidy_lines
from assistant.ingest.documents.metadata import parse_author_line
from assistant.text.hyphens import keeps_hyphen, printed_words
from assistant.text.sentences import ends_sentence

EDGE_LINES = 3  # running headers and footers sit within the first/last lines of a page
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-\u2013]?\s*\d{1,4}\s*[-\u2013]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I)
_BROKEN_WORD = re.compile(r"(?P<head>[A-Za-z]*[a-z])-$")  # "immuno-" at the end of a line
_CONTINUATION = re.compile(r"(?P<tail>[a-z][a-z]*)(?P<rest>\S*)\s*")  # "suppressive," opening the next line
_SHORT_LINE = 0.8  # a line ending a sentence this much shorter than a full line ends its paragraph
_MAX_HEADING_WORDS = 6
_TITLE_SEARCH_LINES = 8
_AUTHOR_SEARCH_LINES = 3


@dataclass(frozen=True)
class Line:
    page: int  # 0-based page index
    text: str
    title: bool = False  # title lines form the first paragraph of the text


@dataclass(frozen=True)
class PdfText:
    text: str
    page_starts: tuple[int, ...]
    title: str  # from the first page's largest font, "" when none stands out
    authors: tuple[str, ...]  # from the author line under the title, () when none
    running: tuple[str, ...] = ()  # the running headers and footers removed, as printed on each page


def _edge_key(line: str) -> str:
    """Digits vary between pages ("Page 2 of 9", "J Immunol 2008;181:6956"); the rest of a running line does not.
    A full sentence is never a running line, however alike its neighbours on other pages are."""
    return "" if is_protected(line) else _DIGITS.sub("#", line.lower())


def _running(pages: list[list[str]]) -> list[list[bool]]:
    """Per page and line: a running header or footer, a line (digits aside) that recurs at the top or the bottom
    of at least half of the pages (and of two pages at least)."""
    need = max(2, math.ceil(len(pages) / 2))
    top = Counter(key for page in pages for key in {_edge_key(line) for line in page[:EDGE_LINES]})
    bottom = Counter(key for page in pages for key in {_edge_key(line) for line in page[-EDGE_LINES:]})
    running_top = {key for key, count in top.items() if count >= need} - {""}
    running_bottom = {key for key, count in bottom.items() if count >= need} - {""}
    return [
        [
            (i < EDGE_LINES and _edge_key(line) in running_top)
            or (i >= len(page) - EDGE_LINES and _edge_key(line) in running_bottom)
            for i, line in enumerate(page)
        ]
        for page in pages
    ]


def split_running(pages: list[list[str]]) -> tuple[list[list[str]], list[str]]:
    """The pages without page numbers and running headers/footers (`_running`), and those running lines as printed
    on each page (where a journal citation says the article's own year)."""
    stripped, running_lines = [], []
    for page, flags in zip(pages, _running(pages), strict=True):
        kept = []
        for i, (line, running) in enumerate(zip(page, flags, strict=True)):
            at_edge = i < EDGE_LINES or i >= len(page) - EDGE_LINES
            if running:
                running_lines.append(line)
            elif not (at_edge and _PAGE_NUMBER.fullmatch(line)):
                kept.append(line)
        stripped.append(kept)
    return stripped, running_lines


def strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without page numbers and running headers/footers."""
    return split_running(pages)[0]


def join_hyphenated(lines: list[Line]) -> list[Line]:
    """Re-joins "immuno-" + "suppressive" -> "immunosuppressive" on the upper line. The hyphen stays where the
    document itself prints the hyphenated word elsewhere, or where it joins a name or two words ("TNF-induced",
    "anti-inflammatory": `hyphens.keeps_hyphen`)."""
    vocabulary = printed_words("\n".join(line.text for line in lines))
    out: list[Line] = []
    pending = list(lines)
    i = 0
    while i < len(pending):
        line = pending[i]
        broken = _BROKEN_WORD.search(line.text)
        following = _CONTINUATION.match(pending[i + 1].text) if broken and i + 1 < len(pending) else None
        if broken and following:
            head, tail = broken["head"], following["tail"]
            word = f"{head}-{tail}" if keeps_hyphen(head, tail, vocabulary) else head + tail
            line = replace(line, text=line.text[: broken.start()] + word + following["rest"])
            rest = pending[i + 1].text[following.end() :]
            pending[i + 1] = replace(pending[i + 1], text=rest)
        if line.text:
            out.append(line)
        i += 1
    return out


def cut_references(lines: list[Line]) -> list[Line]:
    """Everything before the last "References" (or "Bibliography", "Literature cited") heading: a reference
    list is other papers' titles, which would only mislead retrieval."""
    for i in range(len(lines) - 1, 0, -1):
        if REFERENCES_HEADING.fullmatch(lines[i].text):
            return lines[:i]
    return lines


def _is_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= _MAX_HEADING_WORDS
        and (line[0].isupper() or line[0].isdigit())
        and not ends_sentence(line)
        and not line.endswith((",", ";", ":", "-"))
    )


def _typical_length(lines: list[Line]) -> float:
    lengths = sorted(len(line.text) for line in lines if len(line.text.split()) > _MAX_HEADING_WORDS)
    return lengths[int(len(lengths) * 0.75)] if lengths else 0.0


def _breaks(lines: list[Line]) -> list[bool]:
    """For each line: does a new paragraph start here? Before and after a heading (a short label after the
    end of a paragraph), at the end of the title, and after a sentence that ends short of a full line."""
    full = _typical_length(lines)
    breaks = [True]
    heading = [bool(lines) and _is_heading(lines[0].text)]
    for prev, line in pairwise(lines):
        prev_ends = ends_sentence(prev.text)
        heading.append(_is_heading(line.text) and (prev_ends or heading[-1] or prev.title))
        short = prev_ends and len(prev.text) < _SHORT_LINE * full
        breaks.append(prev.title != line.title or heading[-1] or heading[-2] or short)
    return breaks


def assemble(lines: list[Line], n_pages: int) -> tuple[str, tuple[int, ...]]:
    """One text (paragraphs one line each, separated by a blank line) and each page's start offset; a page
    with no text left starts where the next text begins."""
    parts: list[str] = []
    starts: dict[int, int] = {}
    offset = 0
    for line, new_paragraph in zip(lines, _breaks(lines), strict=True):
        if parts:
            parts.append("\n\n" if new_paragraph else " ")
            offset += len(parts[-1])
        starts.setdefault(line.page, offset)
        parts.append(line.text)
        offset += len(line.text)
    page_starts = [offset] * n_pages
    for page in range(n_pages - 1, -1, -1):
        page_starts[page] = starts.get(page, page_starts[page + 1] if page + 1 < n_pages else offset)
    return "".join(parts), tuple(page_starts)


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _front_matter(pages: list[list[str]], title_hint: str) -> tuple[list[Line], str, tuple[str, ...]]:
    """Lines of all pages with the first page's title lines marked and its author line taken out."""
    lines = [Line(page, text) for page, texts in enumerate(pages) for text in texts]
    hint = _squash(title_hint)
    first = [i for i, line in enumerate(lines[:_TITLE_SEARCH_LINES]) if line.page == 0]
    big = [i for i in first if hint and len(_squash(lines[i].text)) > 3 and _squash(lines[i].text) in hint]
    # Only the first run of consecutive big-font lines is the title (a big label further down is not).
    title_at = [i for n, i in enumerate(big) if i == big[0] + n]
    for i in title_at:
        lines[i] = replace(lines[i], title=True)
    title = " ".join(lines[i].text for i in title_at)
    after = title_at[-1] + 1 if title_at else 0
    for i in range(after, min(after + _AUTHOR_SEARCH_LINES, len(lines))):
        authors = parse_author_line(lines[i].text) if lines[i].page == 0 else ()
        if authors:
            return lines[:i] + lines[i + 1 :], title, authors
    return lines, title, ()


def page_lines(page_text: str) -> list[str]:
    """Normalised, non-empty lines of one page, without lines the general boilerplate rules remove."""
    lines = [line.replace("\t", " ") for line in tidy_lines(page_text) if line]
    return [line for line in lines if boilerplate_rule(line) is None]


def lay_out(page_texts: list[str], title_hint: str = "") -> PdfText:
    """The cleaned text of a PDF from its pages' extracted texts; `title_hint` is the text that the first
    page prints in its largest font."""
    pages, running = split_running([page_lines(text) for text in page_texts])
    lines, title, authors = _front_matter(pages, title_hint)
    lines = cut_references(join_hyphenated(lines))
    text, page_starts = assemble(lines, len(page_texts))
    return PdfText(text=text, page_starts=page_starts, title=title, authors=authors, running=tuple(running))
