"""Bibliographic metadata found by general rules: front matter, portal fields, title and author lines.

Portal fields ("JournalJournal of Immunology", "StatePublished - Nov 15 2008") are read from the raw
text because cleaning removes them; the title and the author line are read from the cleaned text,
where page furniture above them is already gone.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import date

from assistant.ingest.documents.cleaning import FIELD_CHARS, YEAR, field_line, parse_field, tidy_lines, title_line
from assistant.models import DocumentMetadata
from assistant.text.sentences import ends_sentence

# Keys accepted in "Key: value" front matter at the top of a txt/md file, mapped to metadata fields.
_FRONT_KEYS = {
    "title": "title",
    "author": "authors",
    "authors": "authors",
    "journal": "journal",
    "year": "year",
    "date": "published",
    "published": "published",
    "publication date": "published",
    "pages": "pages",
}
_FRONT_LINE = re.compile(r"(?P<key>[A-Za-z][A-Za-z ]{0,20}?)[ \t]*:[ \t]*(?P<value>.*?)\s*")
_YEAR = re.compile(rf"\b({YEAR})\b")
# "Published - Nov 15 2008" in a portal "State" field; only a published date is a publication date.
_STATE_DATE = re.compile(r"(?:published|e-pub ahead of print|epub)\s*[-\u2013\u2014:]?\s*(?P<date>.+)", re.I)
_DASHES = re.compile(r"\s*[\u2010-\u2015-]\s*")
# Section labels are not titles, even when they open a document.
_SECTION_LABELS = frozenset({"abstract", "summary", "background", "introduction", "methods", "results", "contents"})
# Lower-case particles allowed inside a person name ("Ludwig van Beethoven").
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "da", "di", "du", "dos", "le", "la", "ter"})
_NAME_SEPARATORS = re.compile(r"\s*(?:;|,|\band\b|&)\s*")
_AFFILIATION_MARKS = re.compile(r"[\d*\u2020\u2021\u00a7\u00b6#,.]+$")
_MOST_AUTHORS = 1000  # consortium papers list hundreds; the page shows three
_MAX_AUTHOR_LINE = 2000  # a longer line is prose; also keeps this check cheap on huge one-line files
_INITIAL = re.compile(r"[A-Z]\.?(?:-?[A-Z]\.?)*")


def _front_fields(block: list[str], strict: bool) -> dict[str, str]:
    # strict (unfenced): every line must be a known "Key: value"; fenced: other keys are ignored.
    found: dict[str, str] = {}
    for line in block:
        match = _FRONT_LINE.fullmatch(line.strip())
        key = _FRONT_KEYS.get(match["key"].lower().strip()) if match else None
        if match and key and match["value"]:
            found.setdefault(key, match["value"])
        elif strict:
            return {}
    return found


def _yaml_fields(block: list[str]) -> dict[str, str]:
    """Fenced front matter read as the YAML it is (quoted values, `[A, B]` and `- A` lists); {} when it is not YAML
    (`title: Imatinib: a study`), which the line reading then takes."""
    import yaml

    try:
        data = yaml.safe_load("\n".join(block))
    except yaml.YAMLError:
        return {}
    found: dict[str, str] = {}
    for name, value in data.items() if isinstance(data, dict) else ():
        key = _FRONT_KEYS.get(str(name).lower().strip())
        items = value if isinstance(value, list) else [value]
        words = [str(v).strip() for v in items if isinstance(v, str | int | float | date) and str(v).strip()]
        if key and words:
            found.setdefault(key, "; ".join(words))
    return found


def settled(metadata: DocumentMetadata) -> DocumentMetadata:
    """Every text field one line of plain text (`field_line`), bounded, whichever format stated it."""
    return replace(
        metadata,
        title=title_line(metadata.title),
        authors=tuple(name for name in (field_line(a, FIELD_CHARS) for a in metadata.authors[:_MOST_AUTHORS]) if name),
        journal=field_line(metadata.journal, FIELD_CHARS),
        pages=field_line(metadata.pages, FIELD_CHARS),
        published=field_line(metadata.published, FIELD_CHARS),
    )


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Leading "Key: value" lines with known keys (optionally fenced by "---", then read as YAML where it is), and
    the text after them."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start < len(lines) and lines[start].strip() == "---":
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == "---"), None)
        block = lines[start + 1 : end] if end is not None else []
        found = _yaml_fields(block) or _front_fields(block, strict=False)
        return (found, "\n".join(lines[end + 1 :])) if found and end is not None else ({}, text)
    end = next((j for j in range(start, len(lines)) if not lines[j].strip()), len(lines))
    found = _front_fields(lines[start:end], strict=True) if end > start else {}
    return (found, "\n".join(lines[end:])) if found else ({}, text)


def _front_line_at(lines: list[str], i: int) -> bool:
    match = _FRONT_LINE.fullmatch(lines[i])
    return bool(match and match["key"].lower().strip() in _FRONT_KEYS)


def _is_name(words: list[str]) -> bool:
    # 2-4 capitalised words or initials; lower-case particles may sit between them.
    core = [w for w in words if w not in _PARTICLES]
    if not 2 <= len(core) <= 4 or words[0] in _PARTICLES or words[-1] in _PARTICLES:
        return False
    return all(
        _INITIAL.fullmatch(w) or (w[0].isupper() and w.replace("-", "").replace("'", "").isalpha()) for w in core
    )


_AUTHORS_LABEL = re.compile(r"^(?:authors?|author list)\s*:\s*", re.I)


def parse_author_line(line: str) -> tuple[str, ...]:
    """The names of a line that is only a list of 2+ person names ("A Smith, B Jones and C Wu", or after "Authors:"
    as a plain-text header writes it), else ()."""
    line = _AUTHORS_LABEL.sub("", line, count=1)
    if len(line) > _MAX_AUTHOR_LINE or line.endswith(("?", "!", ":")):
        return ()
    parts = [_AFFILIATION_MARKS.sub("", p).strip() for p in _NAME_SEPARATORS.split(line.replace("\t", " "))]
    names = [p for p in parts if p]
    if len(names) < 2 or not all(_is_name(name.split()) for name in names):
        return ()
    return tuple(names)


def _split_names(value: str) -> tuple[str, ...]:
    # Front matter and meta tags are explicit, so any separated values are names.
    separator = ";" if ";" in value else r",|\band\b|&"
    return tuple(name.strip() for name in re.split(separator, value) if name.strip())


def _author_line(cleaned: str) -> tuple[int, tuple[str, ...]] | None:
    # Author lists sit near the top, right under the title.
    lines = cleaned.split("\n")
    for i, line in enumerate(lines[:12]):
        names = parse_author_line(line)
        if names:
            return i, names
    return None


def strip_author_line(cleaned: str, authors: tuple[str, ...]) -> str:
    """The cleaned text without the line that was detected as this author list (metadata, not content)."""
    found = _author_line(cleaned)
    if not authors or found is None or found[1] != authors:
        return cleaned
    lines = cleaned.split("\n")
    del lines[found[0]]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _title(cleaned: str) -> str:
    """The first line when it stands alone (or above the author line) and reads like a title."""
    lines = cleaned.split("\n")
    first = lines[0]
    if not first or _front_line_at(lines, 0) or parse_author_line(first):
        return ""
    alone = len(lines) > 1 and (not lines[1] or bool(parse_author_line(lines[1])))
    words = len(first.split())
    if not alone or words > 40 or first.lower().rstrip(":") in _SECTION_LABELS:
        return ""
    if first.endswith(".") or (ends_sentence(first) and words > 25):
        return ""  # a sentence, not a title (a title may still be a short question)
    return first


def _portal_fields(raw_text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in tidy_lines(raw_text):
        field = parse_field(line)
        if field is not None:
            found.setdefault(*field)
    return found


def _published(fields_found: dict[str, str]) -> str:
    state = _STATE_DATE.fullmatch(fields_found.get("state", ""))
    if state:
        return state["date"].strip()
    return fields_found.get("publication_date", "")


def year_of(date: str) -> int | None:
    match = _YEAR.search(date)
    return int(match.group(1)) if match else None


def normalise_pages(pages: str) -> str:
    pages = re.sub(r"^(?:pp?\.?\s*)", "", pages.strip())
    return _DASHES.sub("-", pages)


def merge_metadata(primary: DocumentMetadata, fallback: DocumentMetadata) -> DocumentMetadata:
    """Field by field: the primary value where it is set, else the fallback's."""
    updates = {f.name: getattr(fallback, f.name) for f in fields(primary) if getattr(primary, f.name) in ("", (), None)}
    return replace(primary, **updates)


def _from_front_matter(front: dict[str, str]) -> DocumentMetadata:
    published = front.get("published", "")
    year = year_of(front.get("year", "")) or year_of(published)
    return DocumentMetadata(
        title=front.get("title", ""),
        authors=_split_names(front.get("authors", "")),
        journal=front.get("journal", ""),
        year=year,
        pages=normalise_pages(front.get("pages", "")),
        published=published,
    )


def extract_metadata(raw_text: str, cleaned: str) -> DocumentMetadata:
    """Metadata from front matter (wins), portal fields in the raw text, and the cleaned text's head."""
    front, body = split_front_matter(raw_text)
    found = _portal_fields(body)
    published = _published(found)
    author_line = _author_line(cleaned)
    from_text = DocumentMetadata(
        title=_title(cleaned),
        authors=author_line[1] if author_line else (),
        journal=found.get("journal", ""),
        year=year_of(published) or year_of(found.get("year", "")),
        pages=normalise_pages(found.get("pages", "")),
        published=published,
    )
    return merge_metadata(_from_front_matter(front), from_text)
