"""PubMed XML (`efetch` / "Save as XML" exports): one `Document` per `PubmedArticle`.

The XML is parsed with defusedxml: a DOCTYPE line (every PubMed export has one) is allowed, entity
declarations are refused, so neither an entity-expansion bomb nor an external entity can be smuggled in.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from assistant.errors import DocumentError
from assistant.ingest.documents.articles import Article, article_document, one_line, unique
from assistant.ingest.documents.files import check_document_chars, ingest_limits
from assistant.ingest.documents.metadata import normalise_pages, year_of
from assistant.models import Document, DocumentMetadata
from assistant.settings import IngestSettings

_ROOTS = ("PubmedArticleSet", "PubmedArticle")
_MONTH_DAY = ("Month", "Day")


def _text(element: Element | None) -> str:
    """All text inside an element: titles and abstracts carry inline markup such as <i> and <sup>."""
    return one_line("".join(element.itertext())) if element is not None else ""


def _parse(path: Path, text: str) -> Element:
    try:
        root: Element = fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DocumentError(f"{path} declares XML entities, which are refused for safety; export it again") from exc
    except ParseError as exc:
        raise DocumentError(f"{path} is not well-formed XML ({exc}); export it again") from exc
    if root.tag not in _ROOTS:
        raise DocumentError(
            f"{path} is XML with root <{root.tag}>, not a PubMed export (<PubmedArticleSet>); "
            "only PubMed XML is supported"
        )
    return root


def _authors(article: Element) -> tuple[str, ...]:
    names = []
    for author in article.iterfind("AuthorList/Author"):
        if author.get("ValidYN") == "N":
            continue  # a name the publisher corrected; the valid spelling follows it
        collective = _text(author.find("CollectiveName"))
        given = _text(author.find("ForeName")) or _text(author.find("Initials"))
        last = _text(author.find("LastName"))
        name = collective or " ".join(part for part in (given, last) if part)
        if name:
            names.append(name)
    return tuple(names)


def _published(article: Element, pubmed_data: Element | None) -> tuple[str, int | None]:
    """(date as printed, year): the issue date, else the electronic date, else the date PubMed got it."""
    date = article.find("Journal/JournalIssue/PubDate")
    if date is not None:
        medline_date = _text(date.find("MedlineDate"))  # "1998 Dec-1999 Jan" when no single date applies
        parts = [_text(date.find("Year")), *(_text(date.find(part)) for part in _MONTH_DAY)]
        printed = medline_date or " ".join(part for part in parts if part)
        if year_of(printed):
            return printed, year_of(printed)
    fallbacks = [article.find("ArticleDate")]
    if pubmed_data is not None:
        fallbacks.append(pubmed_data.find("History/PubMedPubDate[@PubStatus='pubmed']"))
    for fallback in fallbacks:
        year = year_of(_text(fallback.find("Year"))) if fallback is not None else None
        if year:
            return "", year
    return "", None


def _doi(article: Element, pubmed_data: Element | None) -> str:
    for location in article.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and location.get("ValidYN") != "N":
            return _text(location)
    if pubmed_data is not None:
        for article_id in pubmed_data.iterfind("ArticleIdList/ArticleId"):
            if article_id.get("IdType") == "doi":
                return _text(article_id)
    return ""


def _journal(journal: Element | None) -> str:
    if journal is None:
        return ""
    return _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))


def _sections(article: Element) -> list[tuple[str, str]]:
    # One paragraph per AbstractText, with its label; <CopyrightInformation> is left out as boilerplate.
    return [(part.get("Label", ""), _text(part)) for part in article.iterfind("Abstract/AbstractText")]


def _article(path: Path, record: Element, number: int) -> Article:
    citation = record.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    if citation is None or article is None:
        raise DocumentError(f"{path}: PubmedArticle {number} has no MedlineCitation/Article; export it again")
    pmid = _text(citation.find("PMID"))
    if not pmid:
        raise DocumentError(f"{path}: PubmedArticle {number} has no PMID; export it again")
    pubmed_data = record.find("PubmedData")
    published, year = _published(article, pubmed_data)
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    return Article(
        key=pmid,
        title=title,
        sections=_sections(article),
        metadata=DocumentMetadata(
            authors=_authors(article),
            journal=_journal(article.find("Journal")),
            year=year,
            pages=normalise_pages(_text(article.find("Pagination/MedlinePgn"))),
            published=published,
        ),
        mesh=[_text(heading) for heading in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")],
        doi=_doi(article, pubmed_data),
    )


def parse_pubmed_xml(path: Path, text: str, source_name: str, limits: IngestSettings | None = None) -> list[Document]:
    """One Document per PubmedArticle; `source` is "<file name>#<PMID>". Book records are skipped.
    `limits` default to the environment's settings."""
    limits = ingest_limits(limits)
    root = _parse(path, text)
    records = [root] if root.tag == "PubmedArticle" else root.findall("PubmedArticle")
    if not records:
        raise DocumentError(f"{path} is a PubMed export with no PubmedArticle records")
    documents = []
    for number, record in enumerate(records, 1):
        article = _article(path, record, number)
        chars = len(article.title) + sum(len(part) for _, part in article.sections)
        check_document_chars(chars, limits, f"{path}: PubmedArticle {number} (PMID {article.key})")
        documents.append(article_document(path, source_name, article))
    return unique(documents)
