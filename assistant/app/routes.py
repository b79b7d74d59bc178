"""The REST API's routers, one function each: questions, the library, the service."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount

from assistant.answer.llm.generation import Turn
from assistant.answer.questions import TOP_K_BOUNDS
from assistant.app.answering import final_answer, stream_answer
from assistant.app.jobs import IndexJobs, Job
from assistant.app.streaming import SSE, chain, closing, guarded, ndjson
from assistant.app.uploads import UploadError, Uploads, record_json
from assistant.errors import AssistantError, check_unicode

if TYPE_CHECKING:
    from assistant.api import Assistant


class NotFound(AssistantError):
    """A 404: no such document or endpoint."""


class HistoryTurn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    text: str = Field(max_length=8000, description="What was said: a question, or an answer's text.")


class AskRequest(BaseModel):
    """A question for `POST /api/ask`. Strict: `"top_k": true` or `"3"`, or a misspelt field, is an error, not a
    request silently changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(description="The question, in plain words.")
    top_k: int | None = Field(
        None, ge=TOP_K_BOUNDS[0], le=TOP_K_BOUNDS[1], description="Passages to retrieve (default from settings)."
    )
    mode: str | None = Field(None, description="Answer mode (default from settings).")
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=20,
        description='The conversation before the question, oldest first: in llm mode a follow-up ("and in mice?") is '
        "rewritten as a question of its own from it.",
    )

    def turns(self) -> list[Turn]:
        """The history as the answer step reads it, each turn checked as Unicode text as the question is."""
        for turn in self.history:
            check_unicode(turn.text, "a history turn")
        return [Turn(t.role, t.text) for t in self.history]


def service_router(assistant: Assistant) -> APIRouter:
    """Routes that need no token."""
    router = APIRouter(prefix="/api")

    @router.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Liveness and the number of indexed documents; needs no token."""
        return {"status": "ok", "documents": len(assistant.documents())}

    @router.head("/health", include_in_schema=False)
    def health_probe() -> None:
        """A HEAD probe (load balancers, uptime checks): 200, no body."""

    return router


def questions_router(assistant: Assistant) -> APIRouter:
    router = APIRouter()

    @router.post("/ask", tags=["questions"])
    def ask(request: AskRequest) -> dict[str, Any]:
        """Answer a question; the same JSON as `assistant ask --json`."""
        check_unicode(request.question)
        return final_answer(assistant, request.question, request.top_k, request.mode, request.turns()).to_json()

    @router.post("/ask/stream", tags=["questions"])
    def ask_stream(request: AskRequest, http: Request) -> StreamingResponse:
        """Server-sent events: `data: {"delta": text}` while the answer is written, then `event: answer` with
        the verified answer (the JSON of `/api/ask`), which replaces the streamed text; `event: error` on a
        failure. With `Accept: application/x-ndjson`: one JSON object per line, `{"partial": text so far}`
        lines, then `{"answer": ...}`."""
        check_unicode(request.question)
        events = stream_answer(assistant, request.question, request.top_k, request.mode, request.turns())
        first = next(events, None)  # errors in the question surface as a normal 4xx before streaming starts
        if first is None:
            raise RuntimeError(f"answer mode {request.mode!r} gave nothing")
        if "application/x-ndjson" in http.headers.get("accept", ""):
            lines = closing(guarded(chain(first, events), ndjson))
            return StreamingResponse(lines, media_type="application/x-ndjson")
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy may hold tokens back
        return StreamingResponse(
            closing(guarded(chain(first, events), SSE().event)), media_type="text/event-stream", headers=headers
        )

    return router


class CheckRequest(BaseModel):
    """A text for `POST /api/check`: a claim, a paragraph or a manuscript page."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(description="The text to check, sentence by sentence.")


def check_router(assistant: Assistant) -> APIRouter:
    router = APIRouter()

    @router.post("/check", tags=["questions"])
    def check(request: CheckRequest) -> dict[str, Any]:
        """Each sentence of the text with its verdict (supported, contradicted, not_found), its score and the
        passages it was judged against, each with the rationale spans; the same JSON as `assistant check --json`."""
        return assistant.check(request.text).to_json()

    return router


def library_router(assistant: Assistant, uploads: Uploads, jobs: IndexJobs) -> APIRouter:
    router = APIRouter()

    @router.get("/documents", tags=["library"])
    def documents() -> dict[str, Any]:
        """The indexed documents."""
        return {"documents": [record_json(r) for r in assistant.documents()]}

    @router.post("/documents", tags=["library"], status_code=202)
    async def upload(
        file: UploadFile,
        wait: bool = Query(False, description="Answer once indexed: 201 (added) or 200 (already indexed)."),
    ) -> JSONResponse:
        """Upload one file (multipart field `file`): it is checked (415 type, 413 size), queued and indexed by
        the server's indexing worker. 202 with the job (`GET /api/jobs/{id}`: state, progress, result);
        with `?wait=true` the answer waits for the result, as the indexed documents."""
        job = await run_in_threadpool(jobs.submit, file.filename or "", file.file, file.size or 0)
        if not wait:
            return JSONResponse(job.to_json(), status_code=202, headers={"Location": job.url})
        while not job.finished.is_set():  # polled: the event loop stays free for other requests
            await asyncio.sleep(0.1)
        return _outcome(job)

    @router.get("/jobs", tags=["library"])
    def recent_jobs() -> dict[str, Any]:
        """Uploads queued, being indexed and finished (the most recent), newest first."""
        return {"jobs": [job.to_json() for job in jobs.recent()]}

    @router.get("/jobs/{job_id}", tags=["library"])
    def job_status(job_id: str) -> dict[str, Any]:
        """One upload's state (queued, running, done, failed, cancelled), progress (0-1, with records, chunks,
        rate and ETA in `message`) and, once done, its result."""
        job = jobs.get(job_id)
        if job is None:
            raise NotFound(f"no upload job has id {job_id}")
        return job.to_json()

    @router.delete("/documents/{doc_id}", tags=["library"])
    def delete(doc_id: str) -> dict[str, Any]:
        """Remove a document (and its stored upload, if it was uploaded)."""
        if doc_id not in {r.doc_id for r in assistant.documents()}:
            raise NotFound(f"no indexed document has id {doc_id}")
        source = assistant.remove(doc_id)
        return {"removed": source, "doc_id": doc_id, "uploads_deleted": uploads.prune()}

    return router


def _outcome(job: Job) -> JSONResponse:
    if job.error is not None:
        raise job.error
    if job.result is None:  # cancelled, or an internal error (logged by the worker)
        raise UploadError(job.message, status=503 if job.state == "cancelled" else 500)
    return JSONResponse(job.result.to_json(), status_code=201 if job.result.status == "added" else 200)


def fallback_router() -> APIRouter:
    """Any other /api path or method: a JSON 405 naming the methods the path takes, else a JSON 404 (registered
    last)."""
    router = APIRouter()
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @router.api_route("/{rest:path}", methods=methods, include_in_schema=False)
    def unknown(rest: str, request: Request) -> None:
        # The API's other routes (not this one, nor the chat page mounted at "/", which takes every path).
        others = [r for r in request.app.router.routes
                  if getattr(r, "original_router", None) is not router and not isinstance(r, Mount)]  # fmt: skip
        scopes = {m: {**request.scope, "method": m} for m in methods}
        allowed = [m for m in methods if any(r.matches(scopes[m])[0] == Match.FULL for r in others)]
        if allowed:
            raise HTTPException(
                405, f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )  # fmt: skip
        raise NotFound(f"no such endpoint: /api/{rest}; see /docs")

    return router
