"""An optional sentence-transformers CrossEncoder that rescores the best fused passages.

The final score of a reranked passage is `weight` x the cross-encoder's probability + the rest x its fused
score, so it stays in [0, 1] and comparable across questions; passages below the reranked head keep their
order and are capped at the head's lowest score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.environment import resolve_model_path
from assistant.errors import AssistantError
from assistant.store.embeddings import Matrix

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder


class Reranker(Protocol):
    """Rescores the head of a fused ranking: new scores for the rows in `head` (whose passage texts are `texts`),
    in [0, 1]; the other rows of `scores` unchanged."""

    def rerank(self, question: str, head: list[int], texts: Sequence[str], scores: Matrix) -> Matrix: ...


class CrossEncoderReranker:
    """The sentence-transformers CrossEncoder `Reranker`, loaded on first use."""

    def __init__(self, name: str, device: str, weight: float) -> None:
        self.name = name
        self.device = device
        self.weight = weight
        self._model: CrossEncoder | None = None

    @property
    def model(self) -> CrossEncoder:
        if self._model is None:
            self._model = load_reranker(self.name, self.device)
        return self._model

    def rerank(self, question: str, head: list[int], texts: Sequence[str], scores: Matrix) -> Matrix:
        """New scores for the rows in `head` (whose passage texts are `texts`); other rows unchanged."""
        pairs = [(question, text) for text in texts]
        probs = np.asarray(self.model.predict(pairs, show_progress_bar=False), dtype=np.float32).reshape(-1)
        final = scores.copy()
        final[head] = self.weight * probs + (1 - self.weight) * scores[head]
        return final


def load_reranker(name: str, device: str) -> CrossEncoder:
    """A sentence-transformers CrossEncoder from a local path or an already cached hub name (never downloaded)."""
    from sentence_transformers import CrossEncoder

    try:
        model: CrossEncoder = CrossEncoder(resolve_model_path(name), device=device, local_files_only=True)
        return model
    except (OSError, ValueError) as exc:
        raise AssistantError(
            f"cannot load reranker {name!r} from local files ({exc.__class__.__name__}); "
            "give a local path in ASSISTANT_RETRIEVAL__RERANKER or leave it empty"
        ) from exc
