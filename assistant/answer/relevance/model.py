"""The runtime answer-relevance model: how likely is it that a sentence comes from the study a question asks about?

A MiniLM cross-encoder with two labels (trained by `python -m assistant.answer.relevance.training` on SciFact
corpus abstracts no claim cites, `relevance.data`) scores (sentence, question) pairs; `best` is the highest
calibrated probability over a question's candidate sentences, one figure of the answer gate (`Figures.relevance`).
It adds what the bi-encoder cosine and the term overlap miss: a near neighbour on the same topic shares the
question's words, and the study asked about may say them otherwise. Weights are stored fp16 and run fp32 on the
CPU, loaded on first use; torch is imported then, and its thread setting is left as the caller set it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.verifier.encoder import batched_logits, open_encoder
from assistant.answer.verifier.model import saved_settings

LABELS = ("elsewhere", "asked_about")
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "models" / "relevance"
CONFIG_FILE = "relevance.json"


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """p(asked_about) per row of two-label logits, at `temperature`."""
    z = logits / temperature
    return np.asarray(1.0 / (1.0 + np.exp(z[:, 0] - z[:, 1])))


@dataclass(frozen=True)
class RelevanceConfig:
    """Saved beside the weights; training fits the temperature on its validation slice."""

    temperature: float = 1.0
    max_length: int = 96

    @classmethod
    def load(cls, folder: Path) -> RelevanceConfig:
        return cls(**saved_settings(folder / CONFIG_FILE, cls.__dataclass_fields__))


class RelevanceModel:
    """Loads the shipped weights on first use; scores are cached per (sentence, question) pair."""

    def __init__(self, path: Path | str = DEFAULT_DIR, *, batch_size: int = 32, cache_size: int = 4096) -> None:
        self.path = Path(path)
        self.config = RelevanceConfig.load(self.path)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._cache: dict[tuple[str, str], float] = {}
        self._cache_size = cache_size

    def forget(self) -> None:
        """Drop the remembered scores (benchmarks that time a question cold)."""
        with self._lock:
            self._cache.clear()

    @property
    def available(self) -> bool:
        return (self.path / "model.safetensors").is_file()

    def _load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            command = "python -m assistant.answer.relevance.training"
            self._tokenizer, self._model = open_encoder(self.path, "answer-relevance", command)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits, one row per (sentence, question) pair."""
        self._load()
        return batched_logits(self._tokenizer, self._model, pairs, self.config.max_length, self.batch_size)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Calibrated p(asked_about) per (sentence, question) pair. Safe across threads: the answer is read from
        this call's own scores, and the shared cache is only written under the lock."""
        known = {pair: v for pair in dict.fromkeys(pairs) if (v := self._cache.get(pair)) is not None}
        fresh = [pair for pair in dict.fromkeys(pairs) if pair not in known]
        if fresh:
            p = calibrated(self.logits(fresh), self.config.temperature)
            scores = dict(zip(fresh, (float(x) for x in p), strict=True))
            known |= scores
            with self._lock:
                if len(self._cache) + len(scores) > self._cache_size:
                    self._cache.clear()
                self._cache.update(scores)
        return [known[pair] for pair in pairs]

    def best(self, question: str, sentences: Sequence[str]) -> float:
        """The highest p(asked_about) among `sentences` (0.0 for none)."""
        return max(self.probabilities([(s, question) for s in sentences]), default=0.0)
