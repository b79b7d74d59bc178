"""One process, one port: a FastAPI app with the REST API and the Gradio chat page mounted at `/`."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, InputError
from assistant.settings import Settings, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.api import Assistant


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(assistant: Assistant) -> FastAPI:
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field

    from assistant.ui import CSS, build_ui

    app = FastAPI(title="Biomedical literature assistant", docs_url="/docs")

    class AskRequest(BaseModel):
        question: str = Field(description="The question, in plain words.")
        top_k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve.")

    @app.exception_handler(AssistantError)
    async def _user_error(_request: Any, exc: AssistantError) -> JSONResponse:
        status = 400 if isinstance(exc, InputError) else 422
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "documents": len(assistant.documents())}

    @app.post("/api/ask")
    def ask(request: AskRequest) -> dict[str, Any]:
        return assistant.ask(request.question, top_k=request.top_k).to_json()

    mounted: FastAPI = gr.mount_gradio_app(app, build_ui(assistant), path="/", css=CSS, footer_links=["api"])
    return mounted


def serve(host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    import uvicorn

    from assistant.api import Assistant

    settings = settings or load_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    if not is_loopback(host):
        raise AssistantError(
            f"refusing to bind {host}: serving beyond this machine needs authentication, which this version "
            "does not have yet; use 127.0.0.1"
        )
    app = create_app(Assistant(settings))
    print(f"serving the chat page on http://{host}:{port}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
