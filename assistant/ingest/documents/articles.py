"""One bibliographic record (a PubMed article, a MEDLINE record) -> a `Document`, shared by both formats so
that an article's text has the same shape (title, one paragraph per abstract section, MeSH and ids) in each."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.documents.cleaning import clean_text, field_line
from assistant.ingest.documents.files import record_id
from assistant.models import Document, DocumentMetadata
from assistant.text.characters import normalize_unicode


def one_line(text: str) -> str:
    """Fields wrap freely in XML and in MEDLINE continuation lines; a paragraph is one line of the text
    because the chunker ends a sentence at every line break."""
    return " ".join(text.split())


@dataclass
class Article:
    """What a record holds, before it becomes text. `key` is the PMID (or another per-file unique key)."""

    key: str
    title: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)  # (label or "", paragraph) per abstract part
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    mesh: list[str] = field(default_factory=list)
    doi: str = ""


def _display_title(title: str) -> str:
    """MEDLINE ends every title with a period; a citation shows it without (an ellipsis stays)."""
    return title[:-1] if title.endswith(".") and not title.endswith("..") else title


def _body(article: Article) -> str:
    paragraphs = [one_line(article.title)]
    for label, text in article.sections:
        text = one_line(text)
        if text:
            paragraphs.append(f"{one_line(label)}: {text}" if label else text)
    return clean_text("\n\n".join(p for p in paragraphs if p))


def _trailer(article: Article) -> str:
    # MeSH headings and identifiers go into the text, not the metadata: DocumentMetadata has no field for
    # them, and as text they make an article findable by its indexing terms ("Apoptosis") and its DOI.
    lines = []
    if article.mesh:
        lines.append("MeSH terms: " + "; ".join(one_line(term) for term in article.mesh) + ".")
    ids = [f"PMID: {article.key}"] if article.key.isdigit() else []
    ids += [f"DOI: {article.doi}"] if article.doi else []
    if ids:
        lines.append("; ".join(ids) + ".")
    return normalize_unicode("\n".join(lines))


def article_document(path: Path, source_name: str, article: Article) -> Document:
    body = _body(article)
    if not body:
        raise DocumentError(f"{path}: record {article.key} has neither a title nor an abstract")
    trailer = _trailer(article)
    text = f"{body}\n\n{trailer}" if trailer else body
    metadata = DocumentMetadata(  # every field one line of plain text: `field_line`, as `metadata.settled` makes it
        title=field_line(article.metadata.title or _display_title(article.title)),
        authors=tuple(field_line(name) for name in article.metadata.authors if name.strip()),
        journal=field_line(article.metadata.journal),
        year=article.metadata.year,
        pages=article.metadata.pages,
        published=field_line(article.metadata.published),
    )
    return Document(
        doc_id=record_id(article.key, text),
        source=f"{source_name}#{article.key}",
        text=text,
        metadata=metadata,
    )


def unique(documents: list[Document]) -> list[Document]:
    """An export that lists the same article twice (same key and text) gives it once; the same key with another
    text (a corrected record beside the old one) gives both, the later one labelled "#<key> (2)", so that a
    citation never names two documents alike."""
    seen: set[str] = set()
    labels: dict[str, int] = {}
    kept = []
    for doc in documents:
        if doc.doc_id in seen:
            continue
        seen.add(doc.doc_id)
        labels[doc.source] = labels.get(doc.source, 0) + 1
        kept.append(doc if labels[doc.source] == 1 else replace(doc, source=f"{doc.source} ({labels[doc.source]})"))
    return kept
