"""Turn HTML into plain text with paragraph breaks, before cleaning (`markdown` does Markdown).

Only the standard library is used: `html.parser`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from assistant.ingest.documents.metadata import normalise_pages, year_of
from assistant.models import DocumentMetadata
from assistant.text.sentences import ends_sentence

_BR = "\x1e"  # where a <br> stood, until `_line_breaks` decides (no document text holds this control character)
# Page chrome and non-text elements: their text is never article content.
_SKIP_TAGS = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg", "iframe", "button"}
)
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "pre",
        "hr",
        "figure",
        "figcaption",
        "caption",
        "address",
        "details",
        "summary",
    }
)
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
_CELL_TAGS = frozenset({"td", "th"})


# An inline style that hides its element from the reader: text a browser never shows is not the page's content (and
# a place to hide instructions for the machine reading it): not displayed, invisible, transparent, shrunk to nothing,
# clipped away, or moved a long way off the page (the "visually hidden" idiom included). General CSS, none of it
# taken from a test page. Styles set in a stylesheet are not resolved, and colours are not compared.
_NOTHING = re.compile(r"^-?0*\.?0*(?:px|em|rem|pt|%)?$")
_AT_MOST_1PX = re.compile(r"^(?:0*\.?0*(?:px|em|rem|pt|%)?|0?\.\d+px|1px)$")
_FAR_OFF = re.compile(r"^-\d{4,}(?:\.\d+)?px$|^-\d{3,}(?:\.\d+)?(?:em|rem|%|vw|vh)$")
_EMPTY_CLIP = re.compile(r"^rect\(\s*0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?\s*\)$")


def _hiding_style(style: str) -> bool:
    if not style:  # most elements: every start tag of a page comes here
        return False
    found: dict[str, str] = {}
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        found[name.strip().lower()] = re.sub(r"\s*!important$", "", value.strip().lower())
    clipped = found.get("overflow") in ("hidden", "clip") and any(
        _NOTHING.match(found.get(k, "x")) for k in ("height", "max-height", "width", "max-width")
    )
    return bool(
        found.get("display") == "none"
        or found.get("visibility") in ("hidden", "collapse")
        or re.match(r"^(?:0+\.?0*|\.0+)$", found.get("opacity", ""))
        or clipped
        or _AT_MOST_1PX.match(found.get("font-size", "x"))
        or _EMPTY_CLIP.match(found.get("clip", ""))
        or re.match(r"^(?:inset\(\s*50%|circle\(\s*0)", found.get("clip-path", ""))
        or re.match(r"^scale[xy]?\(\s*0(?:\.0*)?\s*[,)]", found.get("transform", ""))
        or any(_FAR_OFF.match(found.get(k, "")) for k in ("left", "top", "right", "text-indent", "margin-left"))
    )


def _hidden(attrs: dict[str, str | None]) -> bool:
    """The element is not shown: the `hidden` attribute, or an inline style that hides it."""
    return "hidden" in attrs or _hiding_style(attrs.get("style") or "")


_EXPONENT = re.compile(r"[-\u2212]?\d")


@dataclass
class _Table:
    """An open <table>: where its text starts in the output, and its cells' text, to be written again as labelled
    rows when it is a plain grid."""

    start: int
    rows: list[list[tuple[list[str], bool]]] = field(default_factory=list)  # per row: (cell text's pieces, a <th>)
    plain: bool = True  # no merged cells, no block or table inside a cell
    in_cell: bool = False  # a <td> or <th> is open
    foot: int | None = None  # the first row of its <tfoot> (notes, "Values are n (%)"), written without labels


class _HtmlText(HTMLParser):
    """Collects visible text (block elements as paragraph breaks), <title>, the first <h1> and meta tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, list[str]] = {}
        self.title = ""
        self.h1 = ""
        self._skipping: list[tuple[str, bool]] = []  # open non-void elements: (tag, starts a skipped region)
        self._skip_depth = 0
        self._content_depth = 0  # open <article>/<main>: a <header> inside them holds the article's title
        self._in_title = False
        self._h1_open = False
        self._pre_depth = 0
        self._sup = False  # a <sup> just opened: its text after a number is an exponent ("10<sup>9</sup>")
        self._tables: list[_Table] = []  # open <table>s, the innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
        if tag in _VOID_TAGS:
            line_break = "\n" if self._pre_depth else _BR  # preformatted text keeps its lines
            self.parts.append(line_break if tag == "br" else "\n\n" if tag == "hr" else "")
            self._in_cell(" " if tag in ("br", "hr") else "")  # "15<br>20 mg/kg" is not 1520
            return
        skip = (tag in _SKIP_TAGS and not (tag == "header" and self._content_depth)) or _hidden(dict(attrs))
        self._skipping.append((tag, skip))
        self._skip_depth += skip
        self._content_depth += tag in ("article", "main")
        self._in_title = self._in_title or tag == "title"
        self._h1_open = self._h1_open or (tag == "h1" and not self.h1)
        self._pre_depth += tag == "pre"
        self._sup = self._sup or tag == "sup"
        self._table_start(tag, dict(attrs))
        self.parts.append("\n\n" if tag in _BLOCK_TAGS else " " if tag in _CELL_TAGS else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS or all(open_tag != tag for open_tag, _ in self._skipping):
            return  # stray end tag
        while self._skipping:  # close implicitly closed children too (<p> without </p>)
            open_tag, skip = self._skipping.pop()
            self._skip_depth -= skip
            self._content_depth -= open_tag in ("article", "main")
            self._pre_depth -= open_tag == "pre"
            if open_tag in _CELL_TAGS and self._tables:
                self._tables[-1].in_cell = False
            if open_tag == "caption" and self._tables:  # the caption stays as written, before the rows
                self._tables[-1].start = len(self.parts) + 1
            if open_tag == "table" and self._tables:  # closed, or with an element around it
                self._table_end(self._tables.pop())
            if open_tag == tag:
                break
        self._in_title = self._in_title and tag != "title"
        self._h1_open = self._h1_open and tag != "h1"
        self._sup = self._sup and tag != "sup"
        self.parts.append("\n\n" if tag in _BLOCK_TAGS else "")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip_depth:
            return
        text = data if self._pre_depth else re.sub(r"\s+", " ", data)
        before = next((p for p in reversed(self.parts) if p), "")
        if self._sup and _EXPONENT.match(text) and before[-1:].isdigit():
            # Markup of "10⁹" and "2019¹²", written as cleaning writes those: "10^9", "2019 12".
            text = ("^" if re.search(r"(?<![\d.,])10$", before) else " ") + text
        self._sup = False
        if self._h1_open:
            self.h1 += text
        self.parts.append(text)
        self._in_cell(text)

    # A plain table (one header row of <th>, every row as wide, no merged cells, no paragraphs or tables in a cell)
    # is written a row a line, each cell beside its column's header ("Outcome: Overall response; Ruxolitinib: 62%."):
    # a header row alone states nothing, and a row alone does not say what its numbers are. Any other table (a
    # layout table, merged cells, no header) keeps the text as it reads, cell after cell: a wrong label is worse.
    def _table_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        table = self._tables[-1] if self._tables else None
        if tag == "table":
            if table is not None:
                table.plain = False
            self._tables.append(_Table(len(self.parts)))
        elif table is not None and tag == "tfoot":
            table.foot = len(table.rows)
        elif table is not None and tag == "tr":
            table.rows.append([])
            table.in_cell = False
        elif table is not None and tag in _CELL_TAGS:
            table.rows = table.rows or [[]]
            table.rows[-1].append(([], tag == "th"))
            table.in_cell = True
            merged = any((attrs.get(a) or "1").strip() not in ("", "1") for a in ("colspan", "rowspan"))
            table.plain = table.plain and not merged
        elif table is not None and tag in _BLOCK_TAGS and table.in_cell:
            table.plain = False

    def _in_cell(self, text: str) -> None:
        table = self._tables[-1] if self._tables else None
        row = table.rows[-1] if table is not None and table.in_cell and table.rows else None
        if row and not self._skip_depth:
            row[-1][0].append(text)

    def _table_end(self, table: _Table) -> None:
        foot = len(table.rows) if table.foot is None else table.foot
        rows = [[(" ".join("".join(c).split()), head) for c, head in row] for row in table.rows[:foot] if row]
        header = [c for c, _ in rows[0]] if rows and all(head for _, head in rows[0]) else []
        body = rows[1:]
        if not table.plain or len(header) < 2 or not body or any(len(row) != len(header) for row in body):
            return
        if any(all(head for _, head in row) for row in body):  # a second header row: which one labels is unclear
            return
        lines = []
        for row in body:
            pairs = [f"{h}: {c}" if h and h != c else c for h, (c, _) in zip(header, row, strict=True) if c]
            if pairs:
                lines.append("; ".join(pairs).rstrip(".") + ".")
        notes = ["; ".join(t for t in ("".join(c).strip() for c, _ in row) if t) for row in table.rows[foot:]]
        lines += [" ".join(n.split()) for n in notes if n]
        self.parts[table.start :] = ["\n\n", "\n".join(lines), "\n\n"]

    def _meta(self, attrs: dict[str, str | None]) -> None:
        name = (attrs.get("name") or attrs.get("property") or "").strip().lower()
        content = (attrs.get("content") or "").strip()
        if name and content:
            self.meta.setdefault(name, []).append(content)


def _first(meta: dict[str, list[str]], *names: str) -> str:
    return next((meta[name][0] for name in names if meta.get(name)), "")


def _person(name: str) -> str:
    # citation_author is often "Last, First"; print it as "First Last".
    last, comma, first = name.partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() else name.strip()


def _html_metadata(parser: _HtmlText) -> DocumentMetadata:
    meta = parser.meta
    authors = meta.get("citation_author") or meta.get("dc.creator") or []
    published = _first(meta, "citation_publication_date", "citation_date", "dc.date", "dc.date.issued")
    first_page, last_page = _first(meta, "citation_firstpage"), _first(meta, "citation_lastpage")
    journal = _first(meta, "citation_journal_title", "dc.source")
    title = _first(meta, "citation_title", "dc.title") or parser.h1 or parser.title
    return DocumentMetadata(
        title=re.sub(r"\s+", " ", title).strip(),
        authors=tuple(_person(a) for a in authors if a.strip()),
        journal="" if journal.startswith(("http://", "https://")) else journal,
        year=year_of(published),
        pages=normalise_pages("-".join(p for p in (first_page, last_page) if p)),
        published=published,
    )


_TAG_OPEN = re.compile(r"<[A-Za-z/!?]")


def _complete_markup(html: str) -> str:
    """The page without what a browser never shows and the parser would read as text: a comment left open (it
    runs to the end of the page) and a tag cut off by the end of the page. The standard library's parser also
    rescans to the end from every such "<", which made a page of unclosed tags take minutes."""
    start = 0
    while (opened := html.find("<!--", start)) >= 0:
        closed = html.find("-->", opened + 4)
        if closed < 0:
            html = html[:opened]
            break
        start = closed + 3
    last = html.rfind(">") + 1
    cut = _TAG_OPEN.search(html, last)
    return html[: cut.start()] if cut else html


def html_to_text(html: str) -> tuple[str, DocumentMetadata]:
    """Visible text of an HTML page (paragraph breaks kept) and the metadata in its head."""
    parser = _HtmlText()
    parser.feed(_complete_markup(html))
    parser.close()
    return _line_breaks("".join(parser.parts)), _html_metadata(parser)


def _line_breaks(text: str) -> str:
    """Each <br> as a line break, but as a space inside a sentence: the text before it leaves its sentence open and
    the text after goes on in lower case ("keeps the platelet inactive<br>for its lifespan of 7-10 days"). A break
    in an address or a list of lines ("Department of Medicine<br>University of Vienna") stays."""
    pieces = text.split(_BR)
    out = [pieces[0]]
    for piece in pieces[1:]:
        before, after = out[-1].rstrip(" "), piece.lstrip(" ")
        if after[:1].islower() and before.strip() and not ends_sentence(before):
            out[-1] = before
            out.append(" " + after)
        else:
            out.append("\n" + piece)
    return "".join(out)
