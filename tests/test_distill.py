"""The verifier's distillation parts: which layers a smaller student keeps, that the cut model runs, and the loss."""

from __future__ import annotations

import pytest

from assistant.answer.verifier import DEFAULT_DIR
from assistant.answer.verifier.distill import SOFT_SHARE, distillation_loss, keep_layers, kept_layers
from assistant.answer.verifier.encoder import batched_logits, load_encoder


def test_layers_kept_are_evenly_spaced_from_the_bottom() -> None:
    assert kept_layers(6, 3) == [0, 2, 4]
    assert kept_layers(6, 2) == [0, 3]
    assert kept_layers(6, 6) == [0, 1, 2, 3, 4, 5]
    for bad in (0, 7):
        with pytest.raises(ValueError, match="cannot keep"):
            kept_layers(6, bad)


def test_a_cut_verifier_runs_with_the_layers_it_kept() -> None:
    encoder = load_encoder(DEFAULT_DIR)
    model, tokenizer = encoder.transformers_model.eval(), encoder.tokenizer
    pair = [("Imatinib impaired regulatory T cell function.", "Imatinib impairs Treg function.")]
    full = batched_logits(tokenizer, model, pair, 128, 1)
    kept = keep_layers(model, 2)
    assert kept == [0, 3]
    assert len(model.bert.encoder.layer) == 2 and model.config.num_hidden_layers == 2
    cut = batched_logits(tokenizer, model, pair, 128, 1)
    assert cut.shape == full.shape and abs(cut - full).max() > 1e-3  # other layers, other logits


def test_distillation_loss_weighs_the_teacher_and_the_labels() -> None:
    import torch

    logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    labels = torch.tensor([0, 2])
    hard = torch.nn.functional.cross_entropy(logits, labels)
    # A student that already matches its teacher pays only the labels' share.
    assert float(distillation_loss(logits, labels, logits.clone())) == pytest.approx((1 - SOFT_SHARE) * float(hard))
    # One that disagrees with its teacher pays more.
    assert float(distillation_loss(logits, labels, logits.flip(1))) > (1 - SOFT_SHARE) * float(hard) + 0.1
