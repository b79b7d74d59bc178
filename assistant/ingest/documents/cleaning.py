"""Clean extracted text: Unicode normalisation, paragraph layout and removal of page boilerplate.

Every character span in the index refers to the cleaned text, so cleaning is deterministic and
conservative: rules remove whole lines only, never part of a sentence. Boilerplate is found by
general rules (named regexes plus a "short non-sentence line" heuristic for the tail of a page),
not by matching strings of particular pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.characters import normalize_unicode
from assistant.text.sentences import ends_sentence

# A tab or a run of spaces: kept as one "\t" while rules run (a wide gap separates a portal field from
# its value), written as one space in the cleaned text.
_GAP = re.compile(r"[ \t]*\t[ \t]*| {2,}")
# What may follow a reference list and is the paper's own: an appendix, supplementary material, figure legends and
# tables (author manuscripts put them after the references).
_AFTER_REFERENCES = re.compile(
    r"(?:[A-Z0-9]{1,3}\.?\s+)?(?:appendix|appendices|supplementary|supplemental|supporting\s+information|"
    r"figure\s+legends?|figures?\s+\d|tables?\s+\d|fig\.\s*\d)\b",
    re.I,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A reference entry: numbered ("1.", "[1]") or opening with an author ("Smith J", "Smith, J."), or holding what
# only references hold ("et al", a DOI, "181:6956", "14(3):301"); a year alone is also an in-text citation's.
_REFERENCE_ENTRY = re.compile(
    r"^\s*(?:\[\d{1,3}\]|\d{1,3}\.)\s|^\s*[A-Z][\w'’-]+,?\s+[A-Z]{1,3}\b\.?|\bet\s+al\b|\bdoi\b"
    r"|\d+\s*(?:\(\s*[\w-]+\s*\))?\s*:\s*[A-Za-z]?\d+"
)


def _reference_like(line: str) -> bool:
    return _REFERENCE_ENTRY.search(line) is not None


def _after_references(line: str) -> bool:
    """A short heading of what follows a list ("Appendix A. Dose adjustments", "Table 1"), not an entry about one
    ("2. Supplemental oxygen reduces mortality in sepsis. Lancet 2018")."""
    return len(line.split()) <= 8 and not _YEAR.search(line) and _AFTER_REFERENCES.match(line) is not None


# The heading of a reference list: what follows it is other papers' titles, which read as this paper's findings
# ("Tofacitinib increases the risk of ..." once "Smith AB, Jones CD." is split off), so it is never indexed.
REFERENCES_HEADING = re.compile(
    r"(?:\d{1,2}\.?\s*|[IVX]{1,4}\.\s*)?(?:(?:selected\s+|key\s+|further\s+)?references(?: and notes)?|bibliography"
    r"|literature cited|works cited|reference list|cited literature|further reading|suggested reading)\s*:?",
    re.I,
)
_BULLET = re.compile(r"[\u2022\u00b7\u25aa\u25e6\u2023*+\-\u2013]\s+\S")


# The longest title kept: the title is stored and embedded with every chunk of its document (a 300,000-character
# <title> once made a 657 MB index); the longest biomedical titles run to about 300 characters.
MAX_TITLE_CHARS = 500
FIELD_CHARS = 300  # an author, a journal, pages or a date (longer is not one), and what a card shows of a title


def field_line(value: str, most: int = 0) -> str:
    """A metadata field (title, author, journal, key) as one line of plain text, cut to `most` characters when given:
    a newline in it would end a chat message's HTML block, a direction override reorder what the page shows."""
    line = " ".join(normalize_unicode(value).split())
    return line[: most - 1].rstrip() + "…" if most and len(line) > most else line


def title_line(value: str) -> str:
    return field_line(value, MAX_TITLE_CHARS)


def is_protected(line: str) -> bool:
    """A full sentence (>= 8 words, sentence-final punctuation) is always content for the weak rules."""
    return ends_sentence(line) and len(line.split()) >= 8


@dataclass(frozen=True)
class LineRule:
    """A named boilerplate pattern, matched against a whole (tidied) line."""

    name: str
    pattern: re.Pattern[str]
    strong: bool = False  # strong patterns are specific enough to remove even a long sentence-like line


def _rule(name: str, regex: str, strong: bool = False) -> LineRule:
    return LineRule(name, re.compile(regex, re.IGNORECASE), strong)


LINE_RULES: tuple[LineRule, ...] = (
    # Medical news sites gate pages with an audience notice; it is never part of the article.
    _rule(
        "audience_notice",
        r"(?:(?:this|the|our) (?:web ?site|site|portal|page|content)(?: and its content)? is (?:only |solely )?"
        r"(?:intended|meant|designed) (?:only |solely )?for (?:use by )?(?:[\w-]+ ){0,2}(?:professionals|practitioners)"
        r"(?: only)?|(?:for )?(?:health ?care|health|medical) professionals only)[.!]?",
        strong=True,
    ),
    # Marketing: newsletter, magazine and alert sign-up prompts.
    _rule(
        "subscribe",
        r"(?:subscribe|sign up|register)(?: now| today| free)?(?: to| for)? .{0,80}?\b"
        r"(?:newsletters?|magazines?|e-?alerts?|alerts|updates|digest|bulletin|mailing list)(?: .{0,40})?[.!]?",
    ),
    # Account furniture from the site header.
    _rule(
        "account",
        r"(?:sign (?:up|in|out)|log ?(?:in|out)|register|create (?:an |a free )?account|my account|subscribe)"
        r"(?: (?:now|here|today|for free))?[.!]?",
    ),
    _rule("stay_informed", r"(?:be|stay|keep) (?:in the know|up to date|informed)[.!]?"),
    # Teasers for other pages ("Latest Issue", "Most read articles").
    _rule(
        "latest",
        r"(?:the )?(?:latest|recent|current|most read|most popular|trending|related) "
        r"(?:issues?|news|articles?|stories|posts|updates|content)",
    ),
    _rule(
        "share",
        r"(?:share|print|e-?mail|tweet|save)(?: this| the)?(?: article| page| story| post)?(?: (?:on|via) \w+)?:?",
    ),
    _rule(
        "cite",
        r"cite this(?: article| page| paper| publication)?|how to cite(?: this(?: article)?)?:?"
        r"|(?:download|export) (?:citations?|pdf|references?)",
    ),
    _rule(
        "navigation",
        r"skip to (?:main )?content|back to top|read more|advertisement|menu|home|search|close|full text"
        r"|(?:next|previous) (?:article|page|story)|open in (?:a )?new (?:tab|window)|click here\b.{0,40}",
    ),
    # Research-portal (Pure) furniture around an abstract.
    _rule(
        "research_topics",
        r"dive into the research topics of .*|together they form a unique fingerprint\.?",
        strong=True,
    ),
    _rule("research_output", r"research output: .{0,120}"),
    _rule(
        "citation_count",
        r"\d[\d,.]* (?:scopus |web of science |pubmed |google scholar |crossref |dimensions )?"
        r"(?:citations?|citing articles)|cited by \d[\d,]*.{0,30}|citations? \(\d+\)",
    ),
    # Legal furniture: copyright and cookie notices, footer links.
    _rule(
        "copyright",
        r"(?:copyright ?)?(?:\u00a9|\(c\) ?(?:19|20)\d\d).{0,200}|copyright (?:19|20)\d\d.{0,200}",
        strong=True,
    ),
    _rule("all_rights", r"all rights reserved\.?", strong=True),
    _rule(
        "cookies",
        r".{0,150}\b(?:we|this (?:web ?)?site|our (?:web ?)?site) uses? cookies\b.{0,300}"
        r"|by continuing.{0,120}cookies.{0,120}"
        r"|(?:accept|reject|manage)(?: all)? cookies|cookie (?:settings|policy|preferences|notice)",
        strong=True,
    ),
    _rule(
        "legal_links",
        r"privacy(?: policy| notice| statement)?|terms (?:and|&) conditions|terms of (?:use|service)"
        r"|contact us|about us|accessibility(?: statement)?|sitemap",
    ),
)

# Portal metadata fields printed as "Key<tab/colon/nothing>Value" ("JournalJournal of Immunology").
# They are metadata: extract_metadata reads them from the raw text, the cleaned text drops them.
# The key is case-insensitive; the value must follow a colon/tab/2+ spaces, or be glued on and start
# with a capital or digit, so a sentence such as "Journal of Clinical Investigation" is not a field.
_FIELD_KEYS: tuple[tuple[str, str], ...] = (
    ("original_language", r"original language"),
    ("number_of_pages", r"number of pages"),
    ("pages", r"pages \(from-to\)|page range|pages"),
    ("journal", r"journal title|journal|source title"),
    ("issue", r"issue number|issue"),
    ("volume", r"volume"),
    ("state", r"publication status|state|status"),
    ("publication_date", r"publication date|date published|first published|published online|published"),
    ("issn", r"e?-?issn"),
    ("doi", r"dois|doi"),
    ("article_number", r"article number"),
    # A plain-text header's "Year: 2019" (after the title, as papers are often saved; a bare year only, not "Year 5:
    # 71%" of a results table); its "Authors: A, B" line is `metadata.parse_author_line`'s.
    ("year", r"publication year|year"),
)
_FIELD_LINE = re.compile(
    r"(?P<key>(?i:" + "|".join(f"(?P<{name}>{regex})" for name, regex in _FIELD_KEYS) + r"))"
    r"(?P<sep>[ \t]*:[ \t]*|\t?(?=[A-Z0-9(]|https?://)|(?<=\)) ?| (?=[0-9]|https?://)"
    r"| (?=(?:Published|Accepted|In press|E-pub|Submitted)\b))"
    r"(?P<value>\S.{0,200})"
)


# A publication year (metadata reads the same range in dates).
YEAR = r"(?:1[6-9]|20)\d\d"
_BARE_YEAR = re.compile(YEAR)


def parse_field(line: str) -> tuple[str, str] | None:
    """("journal", "Journal of Immunology") for a portal field line, else None. Expects a tidied line."""
    match = _FIELD_LINE.fullmatch(line)
    if match is None or len(match["value"].split()) > 15 or is_protected(line):
        return None
    if match["sep"] == " " and any(w[0].islower() and not w.startswith("http") for w in match["value"].split()):
        return None  # "Volume 12 and the rest of" is a wrapped sentence line, not "Volume 12"
    name = next(name for name, _ in _FIELD_KEYS if match[name] is not None)
    value = match["value"].replace("\t", " ").strip()
    if name == "year" and not _BARE_YEAR.fullmatch(value):
        return None
    return name, value


def boilerplate_rule(line: str) -> str | None:
    """Name of the rule that marks this tidied line as boilerplate, or None when it is content."""
    if not line:
        return None
    if parse_field(line) is not None:
        return "portal_field"
    line = line.replace("\t", " ")
    protected = is_protected(line)
    for rule in LINE_RULES:
        if (rule.strong or not protected) and rule.pattern.fullmatch(line):
            return rule.name
    return None


# A portal classification heading followed by a bullet list of category names ("ASJC Scopus subject
# areas" / "• Immunology"): the list items are short labels, not content.
_LIST_HEADING = re.compile(r"ASJC\b.{0,40}subject areas?|(?:scopus |research )?subject areas?|research areas?", re.I)


def _drop_list_blocks(lines: list[str]) -> list[str]:
    kept: list[str] = []
    in_block = False
    for line in lines:
        if _LIST_HEADING.fullmatch(line):
            in_block = True
            continue
        if in_block and (not line or (_BULLET.match(line) and not ends_sentence(line))):
            if not line:
                kept.append(line)
            continue
        in_block = False
        kept.append(line)
    return kept


# Words that stay lower-case in a title-case line ("Journal of Clinical Investigation").
_SMALL_WORDS = frozenset({"a", "an", "and", "at", "by", "de", "for", "in", "of", "on", "or", "the", "to", "with", "&"})


# A percentage, a decimal, a comparison, or two numbers beside no volume or page label: a table row's data
# ("Anaemia 61 42% 10 14%", "Anaemia 61 42"), never a page's label ("Vol 12 Issue 3").
_MEASURED = re.compile(
    r"%|\d[.,]\d|[<>=±≤≥]|^(?!.*\b(?:vol|volume|issue|no|page|pages|pp)\b)(?=.*\b\d+\b.*\b\d+\b)", re.I
)


def _is_tail_furniture(line: str) -> bool:
    """A short title-case label that is not a sentence: a journal/site name or section link at the page end."""
    words = line.split()
    if not words or len(words) > 6 or ends_sentence(line) or _BULLET.match(line) or _MEASURED.search(line):
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL_WORDS for w in words if w[0].isalnum())


def _drop_trailing_furniture(lines: list[str], max_lines: int = 8) -> list[str]:
    # Pages often end with a run of labels (journal name, "Latest Issue") after the last sentence.
    # Whole trailing paragraphs of labels go (never the wrapped last line of a real paragraph), and only
    # when real sentences come before them, so a page that is all labels is left alone.
    cut = removed = 0
    end = len(lines)
    while True:
        while end and not lines[end - 1]:
            end -= 1
        start = end
        while start and lines[start - 1]:
            start -= 1
        paragraph = lines[start:end]
        if not paragraph or removed + len(paragraph) > max_lines or not all(map(_is_tail_furniture, paragraph)):
            break
        cut, removed, end = start, removed + len(paragraph), start
    if removed and any(ends_sentence(line) for line in lines[:cut]):
        return lines[:cut]
    return lines


def _join_paragraphs(lines: list[str]) -> str:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p).replace("\t", " ")


def tidy_lines(text: str) -> list[str]:
    """Normalised lines without leading/trailing whitespace ("" for blank lines); wide gaps become one tab."""
    return [_GAP.sub("\t", line).strip() for line in normalize_unicode(text).split("\n")]


def cut_reference_list(lines: list[str]) -> list[str]:
    """The lines without the reference list: from the last reference-list heading ("References", "## Bibliography",
    "5. Literature cited") that a sentence comes before, to the next appendix, supplement, figure or table, when
    most of its lines read as references (a contents line "3. References" heads the body, not a list)."""
    for i in range(len(lines) - 1, 0, -1):
        if REFERENCES_HEADING.fullmatch(lines[i]) and any(map(ends_sentence, lines[:i])):
            end = next((j for j in range(i + 1, len(lines)) if _after_references(lines[j])), len(lines))
            listed = [line for line in lines[i + 1 : end] if line]
            if listed and sum(map(_reference_like, listed)) * 2 > len(listed):
                return lines[:i] + lines[end:]
            return lines
    return lines


def clean_text(raw: str) -> str:
    """Normalised text without boilerplate; paragraphs separated by exactly one blank line."""
    lines = _drop_list_blocks(cut_reference_list(tidy_lines(raw)))
    lines = [line for line in lines if boilerplate_rule(line) is None]
    return _join_paragraphs(_drop_trailing_furniture(lines))
