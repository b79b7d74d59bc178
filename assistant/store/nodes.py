"""A chunk as the LlamaIndex node the store keeps, and back: text, title for retrieval, spans for citations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assistant.models import Chunk, Document

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Metadata kept on every chunk node; only `title` joins the text that is embedded and BM25-indexed.
_NODE_ONLY_KEYS = ["doc_id", "source", "chunk_index", "start", "end", "sentences", "n_tokens", "page", "page_breaks"]


def make_node(doc: Document, chunk: Chunk) -> TextNode:
    """The LlamaIndex node stored for a chunk: text, title for retrieval, spans for citations."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    # LlamaIndex writes the source document's id into the stored `doc_id` field, so it must be ours.
    return TextNode(
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc.doc_id)},
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata={
            "title": doc.title,
            "doc_id": doc.doc_id,
            "source": doc.source,
            "chunk_index": chunk.index,
            "start": chunk.start,
            "end": chunk.end,
            "sentences": json.dumps(chunk.sentences),
            "n_tokens": chunk.n_tokens,
            "page": chunk.page or 0,
            "page_breaks": json.dumps(chunk.page_breaks),
        },
        excluded_embed_metadata_keys=list(_NODE_ONLY_KEYS),
        excluded_llm_metadata_keys=list(_NODE_ONLY_KEYS),
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
    )


def node_to_chunk(node: Any) -> Chunk:
    meta = node.metadata
    return Chunk(
        chunk_id=node.node_id,
        doc_id=str(meta["doc_id"]),
        index=int(meta["chunk_index"]),
        text=node.get_content(),
        start=int(meta["start"]),
        end=int(meta["end"]),
        sentences=tuple((int(s), int(e)) for s, e in json.loads(meta["sentences"])),
        n_tokens=int(meta["n_tokens"]),
        page=int(meta.get("page") or 0) or None,
        page_breaks=tuple(json.loads(meta.get("page_breaks") or "[]")),  # absent in an index built before them
    )
