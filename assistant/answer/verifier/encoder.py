"""Cross-encoder inference on the CPU, shared by the claim verifier and the answer-relevance model.

Weights are stored fp16 and loaded as fp32. `dtype="bfloat16"` runs them in bfloat16 instead and `"auto"` does so
where the CPU computes it natively (AVX512-BF16 or AMX; elsewhere torch emulates it, slower than fp32). On this
project's 2-core machine one MiniLM-L6 call reads all its weights (90 MB in fp32, beyond a 32 MB L3) before its
tokens cost anything, so a call costs about as much as 56 tokens more; bfloat16 halves both. Batches are cut from
the pairs sorted by token length so that padded tokens plus that per-call cost are least (`plan_batches`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

DTYPES = ("float32", "bfloat16", "auto")
# What one more model call costs, in tokens of a batch: 8.5 ms a call against 0.16 ms a token in fp32, 4.1 ms
# against 0.07 ms in bfloat16 (MiniLM-L6, 2 torch threads, 49- to 128-token pairs, measured 2026-12-06 here).
CALL_COST_TOKENS = 56


def load_encoder(folder: Path, max_length: int | None = None) -> Any:
    """Saved cross-encoder weights (stored fp16) as a fp32 `CrossEncoder` on the CPU: to run, or to train on."""
    import torch
    from sentence_transformers import CrossEncoder

    length = {"max_length": max_length} if max_length else {}
    encoder = CrossEncoder(
        str(folder), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32}, **length
    )
    encoder.transformers_model.float()
    return encoder


def resolved_dtype(dtype: str) -> str:
    """`auto` as this CPU runs it: bfloat16 where torch reports native support, else float32."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if dtype != "auto":
        return dtype
    import torch

    native = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return "bfloat16" if any(check is not None and check() for check in native) else "float32"


def open_encoder(folder: Path, what: str, command: str, dtype: str = "float32") -> tuple[Any, Any]:
    """Saved cross-encoder weights as (tokenizer, model in eval mode, in `dtype`), for inference; without weights, an
    error naming the command that trains them."""
    import torch

    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"no {what} weights in {folder}; train them with `{command}`")
    encoder = load_encoder(folder)
    model = encoder.transformers_model.eval()
    return encoder.tokenizer, model.to(torch.bfloat16) if resolved_dtype(dtype) == "bfloat16" else model


def plan_batches(lengths: Sequence[int], batch_size: int, call_cost: int = CALL_COST_TOKENS) -> list[list[int]]:
    """Indices of `lengths` in batches of at most `batch_size`: sorted by length, cut where the padded tokens
    (each batch as long as its longest) plus `call_cost` per batch are least (dynamic programming, exact)."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    cost = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for start in range(max(0, end - batch_size), end):
            value = cost[start] + call_cost + (end - start) * longest
            if value < cost[end]:
                cost[end], cut[end] = value, start
    batches, end = [], len(order)
    while end:
        batches.append(order[cut[end] : end])
        end = cut[end]
    return batches[::-1]


def batched_logits(
    tokenizer: Any, model: Any, pairs: Sequence[tuple[str, str]], max_length: int, batch_size: int
) -> np.ndarray:
    """A cross-encoder's raw logits (float32), one row per pair, in the batches `plan_batches` cuts."""
    import torch

    out = np.zeros((len(pairs), model.config.num_labels), dtype=np.float32)
    if not pairs:
        return out
    encoded = tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation=True, max_length=max_length)
    rows = [{key: values[i] for key, values in encoded.items()} for i in range(len(pairs))]
    with torch.inference_mode():
        for batch in plan_batches([len(row["input_ids"]) for row in rows], batch_size):
            inputs = tokenizer.pad([rows[i] for i in batch], return_tensors="pt")
            out[batch] = model(**inputs).logits.float().numpy()
    return out


def quantized(model: torch.nn.Module) -> torch.nn.Module:
    """Linear layers as dynamic int8 (fbgemm); the fp32 model where this torch build cannot."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
            result: torch.nn.Module = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
            return result
    except (RuntimeError, AttributeError, AssertionError):
        return model
