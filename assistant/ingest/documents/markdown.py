"""Markdown as plain text with paragraph breaks, before cleaning: line-based rules, the standard library only.

Headings, paragraphs, list items and block quotes keep their text; a soft line break joins its paragraph (CommonMark);
a pipe table is written a row a line, each cell beside its column's header; links keep their text, images go. What
is not prose goes: fenced code (a script is no finding, and read as sentences it was shown as evidence), raw HTML
tags and comments (their text stays), footnote marks ("[^1]", "<sup>1</sup>" after a word); a footnote's own text
stays as a paragraph.
"""

from __future__ import annotations

import re

from assistant.text.wrapping import join_continued, opens_block

# A fence: three or more backticks (no backtick after them: "```ATG``` is ..." is inline code) or tildes.
_FENCE = re.compile(r"\s{0,3}(?:`{3,}[^`]*|~{3,}.*)")
_ATX_HEADING = re.compile(r"\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*")
_RULE_OR_UNDERLINE = re.compile(r"\s{0,3}(?:[-=_*]\s*){3,}")
_REF_DEFINITION = re.compile(r"\s{0,3}\[[^\]]+\]:\s*\S+.*")
_FOOTNOTE = re.compile(r"\s{0,3}\[\^[^\]\s]{1,40}\]:\s*(.*)")  # a footnote's definition: its text stays
_LIST_ITEM = re.compile(r"^(\s*)[*+-]\s+")
_TABLE_DELIMITER = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [_inline(c.strip().replace("\\|", "|")) for c in _CELL_SEPARATOR.split(row)]


def _is_table_start(line: str, below: str) -> bool:
    """A header row and its delimiter row as wide (at least two columns), not indented as code: "P(A|B) was 0.3"
    above a "---" rule is prose."""
    if "|" not in line or line.startswith(("    ", "\t")) or not _TABLE_DELIMITER.fullmatch(below):
        return False
    return len(_cells(line)) == len(_cells(below)) >= 2


def _table(lines: list[str], start: int) -> tuple[list[str], int]:
    """A pipe table as one line a row, each cell beside its column's header ("Outcome: overall response;
    Ruxolitinib (n=154): 62%."): a header row alone states nothing, and a row alone does not say what its numbers
    are. A row shorter than the header is padded, as in GitHub's tables; a wider one keeps its cells unlabelled
    (a label may be wrong, a cell never goes). Returns the lines and the index of the table's last line."""
    header = _cells(lines[start])
    rows, end = [], start + 1
    while end + 1 < len(lines) and "|" in lines[end + 1] and lines[end + 1].strip():
        end += 1
        cells = _cells(lines[end])
        labels = header[: len(cells)] if len(cells) <= len(header) else [""] * len(cells)  # short rows: padded
        pairs = [f"{h}: {c}" if h else c for h, c in zip(labels, cells, strict=True) if c]
        if pairs:
            rows.append("; ".join(pairs).rstrip(".") + ".")
    return rows, end


# Each span is bounded (`_SPAN` characters): unbounded, every opener without its closer rescanned the rest of the
# line, and a line of a few hundred openers took seconds.
_SPAN = 400
_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][\w:.-]{0,40}\s*=\s*(?:"[^"<>]{0,300}"|'[^'<>]{0,300}'|[^\s"'<>]{1,300}))"""
_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"!\[[^\]]{{0,{_SPAN}}}\]\([^)]{{0,{_SPAN}}}\)|!\[[^\]]{{0,{_SPAN}}}\]\[[^\]]{{0,{_SPAN}}}\]"),
        "",
    ),  # images
    (re.compile(rf"\[([^\]]{{1,{_SPAN}}})\]\([^)]{{0,{_SPAN}}}\)"), r"\1"),  # [text](url) -> text
    (re.compile(rf"\[([^\]]{{1,{_SPAN}}})\]\[[^\]]{{0,{_SPAN}}}\]"), r"\1"),  # [text][ref] -> text
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"\[\^[^\]\s]{1,40}\]"), ""),  # a footnote mark
    # A footnote number after a word; after a unit ("kg/m<sup>2</sup>", "cells/mm<sup>3</sup>") the digits stay.
    (re.compile(r"(?<=[A-Za-z]{4})<sup>\s*[\d,\u2013-]{1,20}\s*</sup>", re.I), ""),
    (re.compile(r"(?<=[A-Za-z])<sup>\s*(\d{1,2})\s*</sup>", re.I), r"\1"),
    # After a number, as cleaning writes superscripts: an exponent of 10 ("10^9"), else a mark kept apart.
    (re.compile(r"(?<![\d.,])10<sup>\s*([+-]?\d{1,3})\s*</sup>", re.I), r"10^\1"),
    (re.compile(r"(?<=\d)<sup>\s*([\d,\u2013-]{1,20})\s*</sup>", re.I), r" \1"),
    (re.compile(r"<br\s*/?>", re.I), " "),
    # Raw HTML tags, their text kept: a tag name alone or with name=value attributes ("A<B in controls and B>A" is
    # prose, not a tag).
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,30}" + _ATTRIBUTE + r"{0,20}\s*/?>"), ""),
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code keeps its text
    (re.compile(rf"(\*\*|__)(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(rf"(?<![\w*])\*(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(rf"(?<!\w)_(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)_(?!\w)"), r"\1"),  # _emphasis_ (not snake_case)
    (re.compile(rf"~~(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)~~"), r"\1"),  # strikethrough
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])"), r"\1"),  # backslash escapes
)


def _inline(line: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    return line


def markdown_to_text(markdown: str) -> tuple[str, str]:
    """Plain text of a Markdown document (paragraphs kept, markup removed) and its first "# " heading."""
    out: list[str] = []
    continued: set[int] = set()  # lines out that go on the line before them: a soft line break (CommonMark)
    title = ""
    in_fence = soft = False  # soft: the last line out is paragraph text that a plain next line continues
    lines = _without_comments(markdown).split("\n")
    i = -1
    while i + 1 < len(lines):
        i += 1
        line, goes_on, soft = lines[i], soft, False
        if not in_fence and i + 1 < len(lines) and _is_table_start(line, lines[i + 1]):
            rows, i = _table(lines, i)
            out.extend(["", *rows, ""])
            continue
        if _FENCE.fullmatch(line) or in_fence:  # fenced code goes, fences and all
            in_fence = in_fence != bool(_FENCE.fullmatch(line))
            out.append("")
            continue
        heading = _ATX_HEADING.fullmatch(line)
        if heading:
            text = _inline(heading.group(2))
            title = title or (text if heading.group(1) == "#" else "")
            out.extend(["", text, ""])  # a heading is a paragraph of its own
        elif _RULE_OR_UNDERLINE.fullmatch(line):
            if line.strip().startswith("=") and out and out[-1].strip() and not title:
                title = out[-1].strip()  # setext level-1 heading: the line above is the title
            out.append("")
        elif _FOOTNOTE.fullmatch(line):  # a footnote's text: a paragraph of its own
            out.extend(["", _inline(_FOOTNOTE.sub(r"\1", line))])
            soft = True
        elif not _REF_DEFINITION.fullmatch(line):
            line = re.sub(r"^\s{0,3}(?:>\s?)+", "", line)  # blockquote markers
            text = _inline(_LIST_ITEM.sub(r"\1- ", line, count=1))
            if goes_on and text.strip() and not opens_block(text.strip()):
                continued.add(len(out))
            out.append(text)
            soft = bool(text.strip()) and not line.endswith("  ")  # two trailing spaces: a hard break
    return join_continued(out, continued), title


def _without_comments(markdown: str) -> str:
    """The text without HTML comments, found by position (a pattern would rescan the rest of the text after each
    opener without its closer). An opener never closed is kept as text: "Use `<!--` to open a comment" is prose."""
    pieces, start = [], 0
    while (opened := markdown.find("<!--", start)) >= 0:
        closed = markdown.find("-->", opened + 4)
        if closed < 0:
            break
        pieces.append(markdown[start:opened])
        start = closed + 3
    return "".join(pieces) + markdown[start:]
