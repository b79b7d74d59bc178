"""A sentence stating a document's bibliographic facts, placed after its title in the text.

Portal fields (journal, date, pages, author lists) are stripped from the text as page furniture and
kept as metadata; stating them once as a normal sentence makes "where/when was it published" and
"who wrote it" answerable and citable with a real span, like any other claim.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.models import Document, DocumentMetadata

CITATION_PREFIX = "Published "  # how every citation line starts; the answer step recognises it by this
# A citation line as `citation_line` writes it, not a sentence of a paper that starts "Published online ...".
_LINE = re.compile(rf"^{CITATION_PREFIX}(?:in|on|pages|by) ")


def is_citation_line(sentence: str) -> bool:
    """Whether the sentence is a citation line this module wrote."""
    return bool(_LINE.match(sentence))


def citation_line(meta: DocumentMetadata) -> str:
    """ "Published in J, on D, pages P, by A, B and C." with whatever is known; empty when nothing is."""
    parts = []
    if meta.journal:
        parts.append(f"in {meta.journal}")
    if meta.published:
        parts.append(f"on {meta.published}")
    elif meta.year:
        parts.append(f"in {meta.year}")
    if meta.pages:
        parts.append(f"pages {meta.pages}")
    if meta.authors:
        names = list(meta.authors)
        parts.append("by " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]))
    return (CITATION_PREFIX + ", ".join(parts) + ".") if parts else ""


def with_citation_line(doc: Document) -> Document:
    """The document with its citation line after the first paragraph (the title); page offsets shifted."""
    line = citation_line(doc.metadata)
    if not line or line in doc.text:
        return doc
    head, sep, rest = doc.text.partition("\n\n")
    cut = len(head) + len(sep)
    insert = line + "\n\n" if sep else "\n\n" + line
    text = doc.text[:cut] + insert + rest if sep else doc.text + insert
    pages = tuple(p + len(insert) if p >= cut and p > 0 else p for p in doc.page_starts)
    return replace(doc, text=text, page_starts=pages)
