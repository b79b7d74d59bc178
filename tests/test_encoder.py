"""Cross-encoder inference: batches cut by token length, the dtype the weights run in, and that neither changes what
the shipped verifier says."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from assistant.answer.verifier import DEFAULT_DIR
from assistant.answer.verifier.encoder import (
    CALL_COST_TOKENS,
    batched_logits,
    open_encoder,
    plan_batches,
    resolved_dtype,
)

PAIRS = [
    ("Imatinib impaired regulatory T cell function.", "Imatinib impairs Treg function."),
    (
        "Used at concentrations achieved clinically, imatinib impaired Treg immunosuppressive function and FoxP3 "
        "expression but not production of IL-10 and TGF-beta in vitro, and reduced the activation of STAT3 and STAT5.",
        "Imatinib reduced FoxP3 expression in Treg.",
    ),
    ("Imiquimod is applied to the skin as a cream.", "Imiquimod is a cream."),
    ("Mast cells release CCL2 in reaction to imiquimod.", "Imiquimod makes mast cells release CCL2."),
]


def _cost(batches: list[list[int]], lengths: list[int], call_cost: int) -> int:
    return sum(call_cost + len(b) * max(lengths[i] for i in b) for b in batches)


def test_batches_hold_every_pair_once_within_the_size() -> None:
    lengths = [52, 49, 132, 75, 60, 61, 128, 20, 20, 20]
    batches = plan_batches(lengths, 4)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= 4 for b in batches)
    assert plan_batches([], 16) == []


def test_batches_cost_no_more_than_any_other_cut_of_the_sorted_pairs() -> None:
    lengths = [52, 49, 132, 75, 60, 128]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    best = _cost(plan_batches(lengths, 16), lengths, CALL_COST_TOKENS)
    for cuts in itertools.product([False, True], repeat=len(order) - 1):
        batches, current = [], [order[0]]
        for cut, i in zip(cuts, order[1:], strict=True):
            if cut:
                batches.append(current)
                current = []
            current.append(i)
        batches.append(current)
        assert best <= _cost(batches, lengths, CALL_COST_TOKENS)


def test_a_long_pair_gets_a_batch_of_its_own_and_alike_pairs_share_one() -> None:
    assert plan_batches([52, 49, 132, 75], 16) == [[1, 0, 3], [2]]
    alike = plan_batches([30] * 20, 16)
    assert len(alike) == 2 and max(len(b) for b in alike) <= 16  # as few calls as the size allows
    assert plan_batches([30, 31], 16, call_cost=0) == [[0], [1]]  # calls free: never pad


def test_auto_dtype_is_one_the_weights_run_in_and_a_wrong_name_is_an_error() -> None:
    assert resolved_dtype("auto") in ("float32", "bfloat16")
    assert resolved_dtype("float32") == "float32"
    with pytest.raises(ValueError, match="dtype must be one of"):
        resolved_dtype("float16")


def test_logits_do_not_depend_on_how_the_pairs_are_batched() -> None:
    tokenizer, model = open_encoder(DEFAULT_DIR, "verifier", "train it")
    one_by_one = np.vstack([batched_logits(tokenizer, model, [pair], 128, 1) for pair in PAIRS])
    together = batched_logits(tokenizer, model, PAIRS, 128, 16)
    assert np.abs(one_by_one - together).max() < 1e-4
    assert batched_logits(tokenizer, model, [], 128, 16).shape == (0, model.config.num_labels)


def test_bfloat16_logits_stay_near_float32_ones() -> None:
    import torch

    tokenizer, full = open_encoder(DEFAULT_DIR, "verifier", "train it", "float32")
    _, half = open_encoder(DEFAULT_DIR, "verifier", "train it", "bfloat16")
    assert next(half.parameters()).dtype == torch.bfloat16
    a, b = batched_logits(tokenizer, full, PAIRS, 128, 16), batched_logits(tokenizer, half, PAIRS, 128, 16)
    assert b.dtype == np.float32
    assert np.abs(a - b).max() < 0.1  # bfloat16 keeps 8 bits of mantissa: a few hundredths at most
    assert (a.argmax(axis=1) == b.argmax(axis=1)).all()
