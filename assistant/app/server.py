"""One process, one port: a FastAPI app with the REST API under `/api` and the Gradio chat page at `/`.

Errors reach clients as `{"error": "<one line>"}`: user errors (`AssistantError`) as 4xx with their
message, anything else as 500 "internal error" (the traceback goes to the server log only).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.app.jobs import IndexJobs
from assistant.app.routes import (
    NotFound,
    check_router,
    fallback_router,
    library_router,
    questions_router,
    service_router,
)
from assistant.app.security import TOKEN_HINT, BodyRefused, Guard, Policy
from assistant.app.ui import EXAMPLES, build_ui
from assistant.app.ui_render import CSS, SCRIPT
from assistant.app.uploads import MB, UploadError, Uploads
from assistant.errors import AssistantError, DocumentError, IndexMismatchError, StoreError
from assistant.settings import ServerSettings, Settings, load_settings

if TYPE_CHECKING:
    import uvicorn

    from assistant.api import Assistant

log = logging.getLogger(__name__)
_GRACE_S = 3  # seconds open requests get after SIGTERM
_STOP_S = 5  # seconds the indexing worker gets to reach its next step (one encoding call of a few dozen documents)


class _Unauthorized(AssistantError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, server: ServerSettings) -> None:
    """Refuse to serve beyond this machine without a REST token and chat page credentials."""
    if is_loopback(host):
        return
    needed = {
        "ASSISTANT_SERVER__TOKEN": server.token,
        "ASSISTANT_SERVER__USERNAME": server.username,
        "ASSISTANT_SERVER__PASSWORD": server.password,
    }
    missing = [name for name, value in needed.items() if not value.strip()]
    if missing:
        raise AssistantError(
            f"refusing to bind {host}: serving beyond this machine needs {', '.join(missing)} set "
            "(a bearer token for the REST API and a login for the chat page); or bind 127.0.0.1"
        )


def check_port(host: str, port: int) -> None:
    """Fail before the models load (tens of seconds) when the address cannot be bound: another server on the port
    (a second `make run`, another Gradio app on 7860), or a host this machine does not have."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no bar
            probe.bind(infos[0][4])
    except OSError as exc:
        raise AssistantError(
            f"cannot serve on {host}:{port}: {exc.strerror or exc} (another server there? choose another port with "
            "--port or ASSISTANT_SERVER__PORT)"
        ) from exc


def status_for(exc: AssistantError) -> int:
    if isinstance(exc, UploadError):
        return exc.status
    if isinstance(exc, _Unauthorized):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, IndexMismatchError):
        return 409
    if isinstance(exc, DocumentError):
        return 422
    return 400  # InputError and any other user error


def create_app(assistant: Assistant, server: ServerSettings | None = None) -> FastAPI:
    server = server or assistant.settings.server
    index_dir = assistant.settings.paths.index_dir
    uploads = Uploads(assistant, index_dir / "uploads", server.max_upload_mb * MB)
    jobs = IndexJobs(uploads, index_dir / ".incoming")
    app = FastAPI(
        title="Biomedical literature assistant",
        description="Answers from the indexed documents with verified, numbered citations.",
        docs_url="/docs",
        redoc_url=None,
    )
    _error_handlers(app)
    guarded_api = [Depends(_token_check(server))]
    app.include_router(service_router(assistant))
    routers = (
        questions_router(assistant),
        check_router(assistant),
        library_router(assistant, uploads, jobs),
        fallback_router(),
    )
    for router in routers:
        app.include_router(router, prefix="/api", dependencies=guarded_api)
    app.add_middleware(_InternalErrors)
    _security(app, server, assistant.settings.answer.max_check_chars)
    app.state.jobs = jobs  # `serve` stops the indexing worker on SIGTERM
    return _mount_ui(app, assistant, jobs, server)


def _security(app: FastAPI, server: ServerSettings, check_chars: int) -> None:
    """Guard outermost (Host, Origin, token, throttle, body size: `security.py`), then CORS. A CORS middleware on
    this app, even one that allows no origin, also stops Gradio adding its own, which reflects any origin."""
    policy = Policy.of(server, check_chars)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(policy.cors_origins),
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
    )
    app.add_middleware(Guard, policy=policy)  # added last: runs first


def _token_check(server: ServerSettings) -> Callable[..., None]:
    """A second check behind `Guard`'s (which runs before any body is read); it also puts the bearer scheme in
    the OpenAPI document."""
    bearer = HTTPBearer(auto_error=False, description="Required when ASSISTANT_SERVER__TOKEN is set.")

    def check_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        if not server.token:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode("latin-1"), server.token.encode()):  # the bytes sent
            raise _Unauthorized(TOKEN_HINT)

    return check_token


class _InternalErrors:
    """Unexpected exceptions answered as a JSON 500 inside the app. An `exception_handler(Exception)` runs in
    Starlette's outermost ServerErrorMiddleware, which re-raises after answering, and uvicorn then closes the
    connection: the client's next request on it was reset. Innermost of the middlewares, so Guard adds its headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except BodyRefused:
            raise  # not an internal error: Guard, outside, answers 413 or 408
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise  # the status line is out: closing the connection is all that is left
            await JSONResponse({"error": "internal error"}, status_code=500)(scope, receive, send)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def _user_error(_request: Request, exc: AssistantError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, _Unauthorized) else None
        return JSONResponse({"error": str(exc)}, status_code=status_for(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return JSONResponse({"error": f"invalid request: {problems}"}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body" says no more
            message = f"the request body is not UTF-8 (byte {exc.__cause__.start + 1}): send JSON as UTF-8"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def _mount_ui(app: FastAPI, assistant: Assistant, jobs: IndexJobs, server: ServerSettings) -> FastAPI:
    import gradio as gr

    uploads = jobs.uploads
    credentials = (server.username, server.password) if server.username and server.password else None
    page = build_ui(assistant, jobs)
    mounted: FastAPI = gr.mount_gradio_app(
        app,
        page,
        path="/",
        server_name=server.host,
        server_port=server.port,
        footer_links=["api"],
        auth=credentials,
        show_error=False,
        max_file_size=uploads.max_bytes,
        blocked_paths=[str(assistant.settings.paths.index_dir)],
        css=CSS,
        head=SCRIPT,
    )
    # Gradio checks the file paths a queue call names (only its upload folder; never `blocked_paths`) once the
    # page "has launched", which mount_gradio_app never marks: without this, any path on disk was accepted.
    page.has_launched = True
    # The mounted app runs the page's startup events when the server starts; marked as run, a later GET of
    # /gradio_api/startup-events cannot start the queue's loops a second time.
    for route in mounted.routes:
        if hasattr(getattr(route, "app", None), "startup_events_triggered"):
            route.app.startup_events_triggered = True  # type: ignore[attr-defined]
    return mounted


def warm_up(assistant: Assistant) -> None:
    """Load the model and build the search indexes now (and start a gguf LLM server): the first question would
    otherwise wait for them. No LLM call: a slow or absent backend must not hold the server's start."""
    with contextlib.suppress(AssistantError):  # an empty library is fine: the point is the loading
        assistant.ask(EXAMPLES[0], mode="extractive")
    if assistant.llm_configured:
        with contextlib.suppress(AssistantError):  # reported per question, as a notice, and by `assistant doctor`
            assistant.llm_answerer()


def serve(host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """Serve the chat page and REST API; refuses a non-loopback address without token and login."""
    settings = settings or load_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    server = settings.server.model_copy(update={"host": host, "port": port})
    check_exposure(host, server)
    check_port(host, port)

    from assistant.api import Assistant

    assistant = Assistant(settings)
    warm_up(assistant)
    app = create_app(assistant, server)
    print(f"serving the chat page on http://{host}:{port} (REST API docs at /docs)", flush=True)
    _run(app, host, port)


def _run(app: FastAPI, host: str, port: int) -> None:
    """uvicorn, with the indexing worker stopped on SIGTERM/SIGINT before the process ends."""
    import uvicorn

    jobs: IndexJobs = app.state.jobs

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            jobs.stop()  # at once: an upload being indexed ends at its next step, not after the grace period
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            # Before uvicorn re-raises the signal: the worker is left mid-write only if it overruns _STOP_S.
            if not await asyncio.to_thread(jobs.close, _STOP_S):
                print("stopped with an upload half indexed: upload it again to finish it", file=sys.stderr)

    _Server(server_config(app, host, port)).run()


def server_config(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> uvicorn.Config:
    """uvicorn's settings for the app: a short grace period (SIGTERM must end the server within 10 s even with an
    upload awaiting `?wait=true` or a stream still open), and no X-Forwarded-For (uvicorn trusts it from 127.0.0.1,
    where every local process is such a "proxy": the throttles would count the addresses it names)."""
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=_GRACE_S, proxy_headers=False
    )


__all__ = [
    "check_exposure",
    "check_port",
    "create_app",
    "is_loopback",
    "serve",
    "server_config",
    "status_for",
    "warm_up",
]
