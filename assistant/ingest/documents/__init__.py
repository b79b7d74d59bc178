"""First stage of the data path: a file on disk -> cleaned `Document`s with their metadata.

Text pages (.txt, .md, .html) and PDFs give one document; PubMed XML, MEDLINE (.nbib, or .txt opening with
"PMID-") and JSONL files give one per record.
"""

from assistant.ingest.documents.citation_line import CITATION_PREFIX, with_citation_line
from assistant.ingest.documents.cleaning import clean_text
from assistant.ingest.documents.loading import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, load_document, load_documents
from assistant.ingest.documents.metadata import extract_metadata

__all__ = [
    "CITATION_PREFIX",
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "clean_text",
    "extract_metadata",
    "load_document",
    "load_documents",
    "with_citation_line",
]
