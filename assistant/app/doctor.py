"""`assistant doctor`: what writes the answers here, and does each part work?

Reports the answer mode, the LLM backend and whether it answers a one-line chat, the index (where,
documents, chunks, fingerprint) and the embedding model. Exit status 1 when a configured LLM does
not answer or the index or embedding model cannot be opened; nothing is indexed or downloaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.answer.llm.client import check_llm
from assistant.answer.llm.registry import describe, is_configured
from assistant.errors import AssistantError
from assistant.settings import Settings, load_settings

Say = Callable[[str], None]


def doctor(say: Say = print) -> int:
    settings = load_settings()
    say(f"answer mode: {settings.answer.mode}")
    checks = [_llm(settings, say), _index(settings, say), _embedding(settings, say)]
    return 0 if all(checks) else 1


def _llm(settings: Settings, say: Say) -> bool:
    if not is_configured(settings):
        say("llm: not configured (the extractive mode needs none; see ASSISTANT_LLM__BACKEND)")
        return True
    config = settings.llm
    say(f"llm backend: {describe(config)}, model {config.model or '(the server default)'}")
    ok, message = check_llm(config)
    say(f"llm: answers: {message}" if ok else f"llm: does not answer: {message}")
    if not ok and settings.answer.mode == "llm":
        say("llm: questions get the extractive answer, with a notice, until the backend answers")
    return ok


def _index(settings: Settings, say: Say) -> bool:
    where = settings.store.chroma_url or str(settings.paths.index_dir)
    if not settings.store.chroma_url and not settings.paths.index_dir.is_dir():
        say(f"index: none yet at {where} (`assistant index` builds it; the seeds are indexed on first use)")
        return True
    from assistant.store.chroma import Store

    try:
        store = Store(settings)
        documents, chunks = len(store.records()), store.chunk_count()
    except AssistantError as exc:
        say(f"index: cannot be used: {exc}")
        return False
    say(f"index: {where}: {documents} documents, {chunks} chunks, fingerprint {settings.index_fingerprint()}")
    return True


def _embedding(settings: Settings, say: Say) -> bool:
    from assistant.store.embeddings import SentenceTransformerEmbedder

    started = time.perf_counter()
    try:
        dimension = SentenceTransformerEmbedder(settings.embedding).dimension
    except (AssistantError, OSError, ValueError) as exc:
        say(f"embedding: {settings.embedding.model} cannot be loaded: {' '.join(str(exc).split())}")
        return False
    seconds = time.perf_counter() - started
    model, device = settings.embedding.model, settings.embedding.device
    say(f"embedding: {model} on {device}, {dimension} dimensions (loaded in {seconds:.1f} s)")
    return True
