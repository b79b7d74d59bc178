"""The chat page (Gradio): a Chat tab whose answers link every `[n]` to its passage, and a Library tab.

Each tab is built by its own function with its own event handlers; answers come from `answering`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.llm.generation import Turn
from assistant.answer.questions import TOP_K_BOUNDS
from assistant.app.answering import answer_modes, final_answer, stream_answer
from assistant.app.check_render import check_html
from assistant.app.jobs import IndexJobs, Job
from assistant.app.ui_render import (
    answer_html,
    document_choices,
    error_html,
    library_html,
    partial_html,
    pending_html,
    question_html,
    sources_panel_html,
    status_html,
)
from assistant.errors import AssistantError, check_unicode

if TYPE_CHECKING:
    import gradio as gr

    from assistant.api import Assistant

log = logging.getLogger(__name__)
_POLL_S = 0.5  # how often the upload bar reads a job's progress

EXAMPLES = [
    "how does imiquimod activate dendritic cells",
    "what does imatinib do to regulatory T cells",
    "does imatinib block IL-10 production?",
]
Chat = list[dict[str, Any]]
Turns = list[list[str]]  # [role, text] of each earlier question and answer: what a follow-up is read against


def build_ui(assistant: Assistant, jobs: IndexJobs) -> gr.Blocks:
    import gradio as gr
    from gradio.events import api as expose

    def ask(question: str, top_k: int | None = None) -> dict[str, Any]:
        """Answer a question from the indexed documents (the same JSON as `assistant ask --json`)."""
        # A call from a script can send any JSON; a wrong type gets a message, not Gradio's empty error.
        if not isinstance(question, str):
            raise gr.Error(f"question must be text, not {type(question).__name__}")
        whole = isinstance(top_k, int | float) and not isinstance(top_k, bool) and float(top_k).is_integer()
        if top_k is not None and not whole:
            raise gr.Error(f"top_k must be a whole number, not {top_k!r}")
        try:
            return final_answer(assistant, question, None if top_k is None else int(top_k)).to_json()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    page = gr.Blocks(title="Biomedical literature assistant")
    with page:
        gr.Markdown(
            "## Biomedical literature assistant\nAnswers come only from the indexed documents, and every "
            "sentence cites the passage it rests on: hover over or click a **[n]** to see it, with the "
            "supporting sentence highlighted. REST API: [/docs](/docs)."
        )
        with gr.Tabs():
            _chat_tab(assistant)
            _check_tab(assistant)
            _library_tab(assistant, jobs, page)
        expose(ask, api_name="ask")
    return page


def _chat_tab(assistant: Assistant) -> None:
    import gradio as gr

    modes = answer_modes(assistant)
    default_k = assistant.settings.retrieval.top_k
    with gr.Tab("Chat", id="chat-tab"):
        with gr.Row():
            chat = gr.Chatbot(
                label="Answers",
                elem_id="chat",
                height=640,
                layout="panel",
                sanitize_html=True,
                latex_delimiters=[],
                buttons=["copy"],
                feedback_options=None,
                placeholder="Ask about the indexed documents; every claim in an answer is cited.",
                scale=3,
            )
            with gr.Column(scale=2):
                panel = gr.HTML(sources_panel_html(None), label="Sources", elem_id="sources")
        turns = gr.State([])  # the chat's questions and answers as text (the chat itself holds their HTML)
        box = gr.Textbox(
            label="Question",
            elem_id="question",
            placeholder="Ask a mechanism question and press Enter…",
            lines=1,
            max_lines=1,
            autofocus=True,
        )
        gr.Examples(EXAMPLES, inputs=box, label="Example questions", elem_id="examples")
        with gr.Accordion("Settings", open=False, elem_id="settings"):
            low, high = TOP_K_BOUNDS
            top_k = gr.Slider(
                low, min(high, max(20, default_k)), value=default_k, step=1, label="Passages to retrieve (top-k)"
            )
            mode = gr.Radio(modes, value=modes[0], label="Answer mode", visible=len(modes) > 1)
            show_scores = gr.Checkbox(False, label="Show retrieval scores")
        clear = gr.Button("New conversation", size="sm")

    def respond(
        message: str, history: Chat | None, said: Turns | None, top_k: float, mode: str, show_scores: bool
    ) -> Iterator[tuple[Chat, str, Any, Turns]]:
        said = list(said or [])
        for chat_now, box_now, panel_now in _respond(
            assistant, message, list(history or []), int(top_k), mode, show_scores, said
        ):
            yield chat_now, box_now, panel_now, said

    inputs, outputs = [box, chat, turns, top_k, mode, show_scores], [chat, box, panel, turns]
    box.submit(respond, inputs, outputs, api_visibility="private")
    clear.click(lambda: ([], "", sources_panel_html(None), []), None, outputs, api_visibility="private")
    chat.clear(lambda: (sources_panel_html(None), []), None, [panel, turns], api_visibility="private")


def _respond(
    assistant: Assistant, message: str, history: Chat, top_k: int, mode: str, show_scores: bool, said: Turns
) -> Iterator[tuple[Chat, str, Any]]:
    """The chat after each step: the question with a pending answer, partial texts, then the verified answer.
    `said`: the conversation so far as text, read by the llm mode to rewrite a follow-up; the answered question and
    its answer join it."""
    import gradio as gr

    if not message.strip():
        gr.Warning("Type a question first.")
        yield [*history], "", gr.skip()
        return
    try:  # before the question joins the chat: Gradio cannot send a lone surrogate, and the stream would just end
        check_unicode(message)
    except AssistantError as exc:
        yield [*history, {"role": "assistant", "content": error_html(str(exc))}], "", gr.skip()
        return
    turn = sum(1 for m in history if m.get("role") == "user") + 1
    history.append({"role": "user", "content": question_html(message)})
    history.append({"role": "assistant", "content": pending_html()})
    yield [*history], "", sources_panel_html(None, note="Searching the indexed documents…")
    try:
        before = [Turn("user" if role == "user" else "assistant", text) for role, text in said]
        for event in stream_answer(assistant, message, top_k, mode, before):
            if isinstance(event, str):
                history[-1] = {"role": "assistant", "content": partial_html(event)}
                yield [*history], "", gr.skip()
            else:
                history[-1] = {"role": "assistant", "content": answer_html(event, turn, show_scores)}
                said.extend([["user", event.question], ["assistant", event.text]])
                yield [*history], "", sources_panel_html(event, turn, show_scores)
    except AssistantError as exc:
        history[-1] = {"role": "assistant", "content": error_html(str(exc))}
        yield [*history], "", sources_panel_html(None)
    except Exception:
        log.exception("chat: answering %r failed", message)
        history[-1] = {"role": "assistant", "content": error_html("internal error; the server log has details")}
        yield [*history], "", sources_panel_html(None)


def _check_tab(assistant: Assistant) -> None:
    import gradio as gr

    with gr.Tab("Check", id="check-tab"):
        gr.Markdown(
            "Paste a claim, a paragraph or a manuscript page: each sentence is checked against the indexed "
            "documents and marked **supported**, **contradicted** or **not found**; click a **[n]** to see the passage."
        )
        text = gr.Textbox(label="Text to check", elem_id="check-text", lines=6, max_lines=30)
        run = gr.Button("Check", variant="primary", elem_id="check-run")
        result = gr.HTML(elem_id="check-result")

    def on_check(value: str, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        try:
            report = assistant.check(value, progress=lambda done, total: progress(done / total, desc="checking"))
        except AssistantError as exc:
            return error_html(str(exc))
        except Exception:
            log.exception("check failed")
            return error_html("internal error; the server log has details")
        return check_html(report)

    run.click(on_check, [text], [result], api_visibility="private", show_progress_on=[result])


def _library_tab(assistant: Assistant, jobs: IndexJobs, page: gr.Blocks) -> None:
    import gradio as gr

    uploads = jobs.uploads
    suffixes = sorted(uploads.allowed)
    with gr.Tab("Library", id="library-tab") as library_tab:
        gr.Markdown(f"Upload {', '.join(suffixes)} files (up to {uploads.max_bytes // 2**20} MB each).")
        upload = gr.File(label="Upload documents", file_count="multiple", file_types=suffixes, elem_id="upload")
        status = gr.HTML(elem_id="library-status")
        table = gr.HTML(elem_id="documents")
        with gr.Row():
            pick = gr.Dropdown(label="Document to delete", choices=[], elem_id="delete-choice", scale=4)
            delete = gr.Button("Delete document", variant="stop", elem_id="delete", scale=1)

    def library() -> tuple[str, Any]:
        records = assistant.documents()
        return library_html(records), gr.update(choices=document_choices(records), value=None)

    def on_upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, None]:  # noqa: B008
        lines = _ingest_all(jobs, [Path(f) for f in files or []], progress)
        return (status_html(lines), *library(), None)

    def on_delete(doc_id: str | None) -> tuple[str, str, Any]:
        if not doc_id:
            return (status_html([(False, "choose a document to delete first")]), *library())
        try:
            source = assistant.remove(doc_id)
            uploads.prune()
            message = (True, f"removed {source}")
        except AssistantError as exc:
            message = (False, str(exc))
        return (status_html([message]), *library())

    upload.upload(
        on_upload, [upload], [status, table, pick, upload], api_visibility="private", show_progress_on=[status]
    )
    delete.click(on_delete, [pick], [status, table, pick], api_visibility="private")
    library_tab.select(library, None, [table, pick], api_visibility="private")
    page.load(library, None, [table, pick], api_visibility="private")


def _ingest_all(jobs: IndexJobs, paths: list[Path], progress: gr.Progress) -> list[tuple[bool, str]]:
    """Queue every uploaded file with the server's indexing worker, then follow each job in turn, moving the
    progress bar with the indexer's own progress (records, chunks, rate, ETA); one status line per file."""
    queued: list[tuple[Path, Job | None, str]] = []
    for path in paths:
        if not _uploaded(path):
            queued.append((path, None, f"{path.name}: refused, not a file uploaded from this page"))
            continue
        try:
            with path.open("rb") as data:
                queued.append((path, jobs.submit(path.name, data, path.stat().st_size), ""))
        except AssistantError as exc:
            queued.append((path, None, str(exc)))
        finally:
            path.unlink(missing_ok=True)  # the job spooled its own copy; Gradio's would stay on disk, downloadable
    lines: list[tuple[bool, str]] = []
    for i, (path, job, refused) in enumerate(queued):
        if job is None:
            lines.append((False, refused))
            continue
        while not job.finished.wait(_POLL_S):
            progress((i + job.fraction) / len(queued), desc=f"{path.name}: {job.message}"[:160])
        lines.append((job.state == "done", job.message))
    progress(1.0, desc="done")
    return lines


def _uploaded(path: Path) -> bool:
    """Whether `path` lies in Gradio's upload folder. The upload event takes whatever path a queue call names, and
    Gradio checks that only for apps it launched itself, so a script on this machine could have any file indexed."""
    from gradio.utils import get_upload_folder

    return path.resolve().is_relative_to(Path(get_upload_folder()).resolve())
