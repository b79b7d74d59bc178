"""One process, one port: a FastAPI app with the REST API under `/api` and the Gradio chat page at `/`.

Errors reach clients as `{"error": "<one line>"}`: user errors (`AssistantError`) as 4xx with their
message, anything else as 500 "internal error" (the traceback goes to the server log only).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.app.ui import CSS, EXAMPLES, MAX_TOP_K, SCRIPT, AnswerEvent, build_ui, final_answer, stream_answer
from assistant.app.uploads import MB, UploadError, Uploads, record_json
from assistant.errors import AssistantError, DocumentError, IndexMismatchError, StoreError
from assistant.models import Answer
from assistant.settings import ServerSettings, Settings, load_settings

if TYPE_CHECKING:
    from assistant.api import Assistant

log = logging.getLogger(__name__)
_MULTIPART_SLACK = 64 * 1024  # form boundaries and headers around the file


class _Unauthorized(AssistantError):
    pass


class _NotFound(AssistantError):
    pass


class AskRequest(BaseModel):
    """A question for `POST /api/ask`."""

    question: str = Field(description="The question, in plain words.")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="Passages to retrieve (default from settings).")
    mode: str | None = Field(None, description="Answer mode (default from settings).")


class UploadLimit:
    """Refuses an upload whose declared size is over the limit before its body is received."""

    def __init__(self, app: ASGIApp, path: str, max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_bytes + _MULTIPART_SLACK:
                limit = f"{self.max_bytes / MB:.0f} MB"
                body = {"error": f"the upload is over the {limit} limit (ASSISTANT_SERVER__MAX_UPLOAD_MB)"}
                await JSONResponse(body, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


def status_for(exc: AssistantError) -> int:
    if isinstance(exc, UploadError):
        return exc.status
    if isinstance(exc, _Unauthorized):
        return 401
    if isinstance(exc, _NotFound):
        return 404
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, IndexMismatchError):
        return 409
    if isinstance(exc, DocumentError):
        return 422
    return 400  # InputError and any other user error


def create_app(assistant: Assistant, server: ServerSettings | None = None) -> FastAPI:
    import gradio as gr

    server = server or assistant.settings.server
    index_dir = assistant.settings.paths.index_dir
    uploads = Uploads(assistant, index_dir / "uploads", server.max_upload_mb * MB)
    bearer = HTTPBearer(auto_error=False, description="Required when ASSISTANT_SERVER__TOKEN is set.")

    def check_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        if not server.token:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), server.token.encode()):
            raise _Unauthorized("missing or wrong bearer token: send 'Authorization: Bearer <token>'")

    app = FastAPI(
        title="Biomedical literature assistant",
        description="Answers from the indexed documents with verified, numbered citations.",
        docs_url="/docs",
        redoc_url=None,
    )
    api = APIRouter(prefix="/api", dependencies=[Depends(check_token)])

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
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    @app.get("/api/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Liveness and the number of indexed documents; needs no token."""
        return {"status": "ok", "documents": len(assistant.documents())}

    @api.post("/ask", tags=["questions"])
    def ask(request: AskRequest) -> dict[str, Any]:
        """Answer a question; the same JSON as `assistant ask --json`."""
        return final_answer(assistant, request.question, request.top_k, request.mode).to_json()

    @api.post("/ask/stream", tags=["questions"])
    def ask_stream(request: AskRequest, http: Request) -> StreamingResponse:
        """Server-sent events: `data: {"delta": text}` while the answer is written, then `event: answer` with
        the verified answer (the JSON of `/api/ask`), which replaces the streamed text; `event: error` on a
        failure. With `Accept: application/x-ndjson`: one JSON object per line, `{"partial": text so far}`
        lines, then `{"answer": ...}`."""
        events = stream_answer(assistant, request.question, request.top_k, request.mode)
        first = next(events, None)  # errors in the question surface as a normal 4xx before streaming starts
        if first is None:
            raise RuntimeError(f"answer mode {request.mode!r} gave nothing")
        if "application/x-ndjson" in http.headers.get("accept", ""):
            return StreamingResponse(_guarded(_chain(first, events), _ndjson), media_type="application/x-ndjson")
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy may hold tokens back
        return StreamingResponse(
            _guarded(_chain(first, events), _SSE().event), media_type="text/event-stream", headers=headers
        )

    @api.get("/documents", tags=["library"])
    def documents() -> dict[str, Any]:
        """The indexed documents."""
        return {"documents": [record_json(r) for r in assistant.documents()]}

    @api.post("/documents", tags=["library"], status_code=201)
    async def upload(file: UploadFile) -> JSONResponse:
        """Upload one file (multipart field `file`) and index it; 200 when its content is already indexed."""
        data = await file.read(uploads.max_bytes + 1)
        result = await run_in_threadpool(uploads.ingest, file.filename or "", data)
        return JSONResponse(result.to_json(), status_code=201 if result.status == "added" else 200)

    @api.delete("/documents/{doc_id}", tags=["library"])
    def delete(doc_id: str) -> dict[str, Any]:
        """Remove a document (and its stored upload, if it was uploaded)."""
        if doc_id not in {r.doc_id for r in assistant.documents()}:
            raise _NotFound(f"no indexed document has id {doc_id}")
        source = assistant.remove(doc_id)
        return {"removed": source, "doc_id": doc_id, "uploads_deleted": uploads.prune()}

    @api.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str) -> None:
        raise _NotFound(f"no such endpoint: /api/{rest}; see /docs")

    app.include_router(api)
    app.add_middleware(UploadLimit, path="/api/documents", max_bytes=uploads.max_bytes)
    credentials = (server.username, server.password) if server.username and server.password else None
    mounted: FastAPI = gr.mount_gradio_app(
        app,
        build_ui(assistant, uploads),
        path="/",
        server_name=server.host,
        server_port=server.port,
        footer_links=["api"],
        auth=credentials,
        show_error=False,
        max_file_size=uploads.max_bytes,
        blocked_paths=[str(index_dir)],
        css=CSS,
        head=SCRIPT,
    )
    return mounted


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _guarded(events: Iterator[AnswerEvent], encode: Callable[[AnswerEvent | Exception], str]) -> Iterator[str]:
    """The encoded events; a failure mid-stream ends it with an error event (the status line is already sent)."""
    try:
        for event in events:
            yield encode(event)
    except AssistantError as exc:
        yield encode(exc)
    except Exception:
        log.exception("streamed answer failed")
        yield encode(RuntimeError("internal error"))


def _ndjson(event: AnswerEvent | Exception) -> str:
    if isinstance(event, Exception):
        body: dict[str, Any] = {"error": str(event)}
    else:
        body = {"partial": event} if isinstance(event, str) else {"answer": event.to_json()}
    return json.dumps(body, ensure_ascii=False) + "\n"


class _SSE:
    """Server-sent events of one answer: modes yield the text so far; clients get what is new in it."""

    def __init__(self) -> None:
        self.sent = ""

    def event(self, event: AnswerEvent | Exception) -> str:
        if isinstance(event, Exception):
            return _sse({"error": str(event)}, "error")
        if isinstance(event, Answer):
            return _sse(event.to_json(), "answer")
        # A mode that rewrote its text (not an extension of what was sent) sends it whole.
        grown = event.startswith(self.sent)
        body: dict[str, Any] = {"delta": event[len(self.sent) :]} if grown else {"delta": event, "reset": True}
        self.sent = event
        return _sse(body)


def _sse(body: dict[str, Any], name: str = "") -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(body, ensure_ascii=False)}\n\n"  # JSON keeps newlines out of the data line


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
    import uvicorn

    settings = settings or load_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    server = settings.server.model_copy(update={"host": host, "port": port})
    check_exposure(host, server)

    from assistant.api import Assistant

    assistant = Assistant(settings)
    warm_up(assistant)
    app = create_app(assistant, server)
    print(f"serving the chat page on http://{host}:{port} (REST API docs at /docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["check_exposure", "create_app", "is_loopback", "serve", "status_for", "warm_up"]
