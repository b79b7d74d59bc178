"""The LLM backends by name (`ASSISTANT_LLM__BACKEND`), all behind LlamaIndex's `LLM` interface.

A new backend is one module with a `build(settings) -> LLM` function and one line in `BACKENDS`
(and its name in the `LLMSettings.backend` Literal, which a test holds equal to this registry).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.answer.llm import gguf, ollama, openai_like
from assistant.errors import LLMError
from assistant.settings import LLMSettings, Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


class LLMBackend(Protocol):
    """Builds a LlamaIndex LLM client from the settings; raises `LLMError` when it cannot."""

    def __call__(self, settings: LLMSettings) -> LLM: ...


BACKENDS: dict[str, LLMBackend] = {
    "openai": openai_like.build,
    "ollama": ollama.build,
    "gguf": gguf.build,
}


def make_llm(settings: LLMSettings) -> LLM:
    """A LlamaIndex LLM for the configured backend."""
    backend = BACKENDS.get(settings.backend)
    if backend is None:
        known = ", ".join(BACKENDS)
        raise LLMError(f"unknown LLM backend {settings.backend!r}; use {known} (ASSISTANT_LLM__BACKEND)")
    return backend(settings)


def describe(settings: LLMSettings) -> str:
    """Where the backend is, for messages: `openai at http://...` or `gguf model.gguf`."""
    if settings.backend == "gguf":
        return f"gguf {Path(settings.model_path).name or '(no ASSISTANT_LLM__MODEL_PATH)'}"
    return f"{settings.backend} at {settings.base_url}"


def is_configured(settings: Settings) -> bool:
    """The llm answer mode is chosen, or some ASSISTANT_LLM__* setting was given."""
    return settings.answer.mode == "llm" or settings.llm != LLMSettings()
