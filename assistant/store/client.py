"""Opening Chroma: a local folder or a Chroma server, and a local folder opened afresh after another process wrote.

Chroma's local client keeps each collection's vector index in memory, per process. When another process (the CLI
beside a running server) commits, this process's reads of the new records fail ("Error finding id"), and after a
rebuild its collections no longer exist; only a new client sees the folder as it is. A Chroma server serves every
client the same data, so it needs none of this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from assistant.errors import StoreError
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

R = TypeVar("R")
log = logging.getLogger(__name__)


def open_client(settings: Settings, fresh: bool = False) -> ClientAPI:
    """The Chroma client of the settings; `fresh`: for a local folder, a new one rather than the one this process
    already holds (that one stays usable for whoever holds it: an answer being read is not cut off)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    url = settings.store.chroma_url
    try:
        if url:
            parsed = urlparse(url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        settings.paths.index_dir.mkdir(parents=True, exist_ok=True)
        if fresh:
            _forget(str(settings.paths.index_dir))
        return chromadb.PersistentClient(path=str(settings.paths.index_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises many types for an unreachable server or a bad folder
        where = url or settings.paths.index_dir
        raise StoreError(f"cannot open the Chroma index at {where}: {exc}") from exc


def _forget(path: str) -> None:
    """Chroma shares one system per folder within a process (a private cache, chromadb 1.x); without it the next
    client starts its own, reading the folder anew."""
    from chromadb.api.shared_system_client import SharedSystemClient

    caches = [getattr(SharedSystemClient, name, None) for name in ("_identifier_to_system", "_identifier_to_refcount")]
    if not all(isinstance(cache, dict) for cache in caches):  # another chromadb: the cached client, stale, is reused
        log.warning("chromadb's client cache has changed shape; another process's writes need a restart to be seen")
        return
    for cache in caches:
        assert isinstance(cache, dict)
        cache.pop(path, None)


def reread(method: Callable[..., R]) -> Callable[..., R]:
    """A read that failed because another process changed the folder is read once more on a fresh client (the
    method's object has `reopen() -> bool`, False where reopening cannot help)."""

    @wraps(method)
    def read(self: Any, *args: Any, **kwargs: Any) -> R:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            from chromadb.errors import ChromaError  # imported when needed: chromadb takes a second to import

            if not isinstance(exc, ChromaError) or not self.reopen():
                raise
            return method(self, *args, **kwargs)

    return read
