"""The learned half of the instruction screen: is a passage sentence addressed to the machine reading it?

The patterns of `instructions` catch the phrasings they were written for; an attacker's other phrasings pass them
(on sentences written by someone who never saw them, `eval/injection/heldout2.jsonl`, they caught about half). This
screen reads the sentence's meaning instead: a logistic regression over the sentence vector the index already stores
(the packaged MiniLM model's), trained by `bench/instructions_train.py` (`make instructions`) on tune data only and
saved in `models/instructions/`. A sentence is screened out when either the patterns or this model flag it. Nothing
here trains; with no saved weights the screen flags nothing and the patterns work alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCREEN_FILE = "instructions.json"


@dataclass(frozen=True)
class InstructionScreen:
    """p(instruction) = sigmoid(weights . vector + intercept); flagged at `threshold` or above."""

    weights: np.ndarray
    intercept: float
    threshold: float

    @classmethod
    def load(cls, folder: Path) -> InstructionScreen | None:
        """The saved screen in `folder`, or None when there is none."""
        path = folder / SCREEN_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(np.asarray(data["weights"], dtype=np.float32), float(data["intercept"]), float(data["threshold"]))

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        """p(instruction) of each row of `vectors` (unit-normalised sentence vectors)."""
        z = np.asarray(vectors, dtype=np.float32) @ self.weights + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def flags(self, vectors: np.ndarray) -> np.ndarray:
        return self.probability(vectors) >= self.threshold
