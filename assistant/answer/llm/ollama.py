"""The `ollama` backend: Ollama's native API, through `llama_index.llms.ollama.Ollama`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer.llm.openai_like import INSTALL_HINT
from assistant.errors import LLMError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


def build(settings: LLMSettings) -> LLM:
    config = settings
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as exc:
        raise LLMError(f"the ollama backend needs llama-index-llms-ollama: {INSTALL_HINT}") from exc
    if not config.model:
        raise LLMError("the ollama backend needs a model name (ASSISTANT_LLM__MODEL), e.g. qwen2.5:1.5b")
    return Ollama(
        model=config.model,
        base_url=config.base_url,
        request_timeout=config.timeout_s,
        temperature=config.temperature,
        context_window=config.context_window,  # given, so that no metadata call goes to the server
        additional_kwargs={"num_predict": config.max_tokens, "num_ctx": config.context_window},
    )
