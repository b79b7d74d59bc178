"""First stage of the data path: a file on disk -> a cleaned `Document` with its metadata."""

from assistant.documents.cleaning import clean_text
from assistant.documents.loading import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, load_document, load_documents
from assistant.documents.metadata import extract_metadata

__all__ = ["MAX_FILE_BYTES", "SUPPORTED_SUFFIXES", "clean_text", "extract_metadata", "load_document", "load_documents"]
