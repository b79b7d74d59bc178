"""The `openai` backend: any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama's /v1, LM Studio, OpenAI),
through LlamaIndex's `OpenAILike`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import LLMError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

INSTALL_HINT = "install the LLM extras: pip install -e '.[llm]'"
_RETRIES = 0  # fail fast: a local server that is down stays down; the caller falls back to extractive


def build(settings: LLMSettings) -> LLM:
    return openai_like(settings, settings.base_url)


def openai_like(config: LLMSettings, base_url: str) -> LLM:
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise LLMError(f"the openai backend needs llama-index-llms-openai-like: {INSTALL_HINT}") from exc
    return OpenAILike(
        model=config.model or "local",
        api_base=base_url,
        api_key=config.api_key or "not-needed",  # local servers ignore it; the client insists on one
        is_chat_model=True,
        context_window=config.context_window,
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        timeout=config.timeout_s,
        max_retries=_RETRIES,
    )
