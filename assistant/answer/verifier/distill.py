"""A smaller verifier from a trained one: fewer transformer layers, trained on the teacher's soft labels.

Each model call is the verifier's whole cost, and a call's time grows with the layers it runs. `keep_layers` cuts
a cross-encoder down to `n` of its layers, evenly spaced from the bottom (as DistilBERT, Sanh et al. 2019, kept
one layer in two); `distillation_loss` trains it on the teacher's probabilities (Hinton et al. 2015) beside the
gold labels, since a few thousand pairs hold more than their hard labels when a teacher has read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.verifier.encoder import batched_logits, open_encoder
from assistant.answer.verifier.synthetic import Pair

# Softening of both distributions and the share of the loss the teacher's takes. Hinton et al.'s usual values, set
# before any run (no search).
TEMPERATURE = 2.0
SOFT_SHARE = 0.5


def kept_layers(total: int, n: int) -> list[int]:
    """`n` of `total` layer indices, evenly spaced from the first: 6 -> 3 keeps 0, 2, 4."""
    if not 0 < n <= total:
        raise ValueError(f"cannot keep {n} of {total} layers")
    return sorted({round(i * total / n) for i in range(n)})


def keep_layers(model: Any, n: int) -> list[int]:
    """Cut a BERT-style model down to `n` of its encoder layers, in place; the indices kept."""
    import torch

    layers = model.bert.encoder.layer
    keep = kept_layers(len(layers), n)
    model.bert.encoder.layer = torch.nn.ModuleList([layers[i] for i in keep])
    model.config.num_hidden_layers = len(keep)
    return keep


def teacher_logits(folder: Path, pairs: Sequence[Pair], max_length: int, batch_size: int = 32) -> np.ndarray:
    """The teacher's raw logits for each training pair (premise, hypothesis), one row per pair."""
    tokenizer, model = open_encoder(folder, "teacher verifier", "python -m assistant.answer.verifier.training")
    return batched_logits(tokenizer, model, [(p.premise, p.hypothesis) for p in pairs], max_length, batch_size)


def distillation_loss(logits: Any, labels: Any, soft: Any) -> Any:
    """SOFT_SHARE of the KL divergence to the teacher's softened probabilities (times T^2, so its gradients
    weigh as the hard loss's do), the rest cross-entropy with the gold labels."""
    import torch.nn.functional as functional

    t = TEMPERATURE
    kl = functional.kl_div(
        functional.log_softmax(logits / t, dim=-1), functional.log_softmax(soft / t, dim=-1),
        reduction="batchmean", log_target=True,
    )  # fmt: skip
    return SOFT_SHARE * kl * t * t + (1 - SOFT_SHARE) * functional.cross_entropy(logits, labels)
