"""The chat page (Gradio): answers with their cited passages underneath, supporting sentences marked."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.models import Answer, Citation

if TYPE_CHECKING:
    import gradio as gr

    from assistant.api import Assistant

EXAMPLES = [
    "how does imiquimod activate dendritic cells",
    "what does imatinib do to regulatory T cells",
    "does imatinib block IL-10 production?",
]

_CSS = """
.passage mark { background: #fff3a3; padding: 0 2px; }
.passage { border-left: 3px solid #8ab4f8; padding: 4px 10px; margin: 6px 0; }
.meta { color: #555; font-size: 0.9em; }
"""


def render_answer(answer: Answer) -> str:
    """Markdown/HTML for one answer: text, then the cited (or, for a refusal, the nearest) passages."""
    shown = answer.nearest if answer.refused else answer.citations
    heading = "Nearest passages (none answers the question)" if answer.refused else "Sources"
    body = html.escape(answer.text.split("\n\n")[0] if answer.refused else answer.text)
    parts = [f"<p>{body}</p>"]
    if shown:
        opened = "" if answer.refused else " open"
        items = "".join(_render_citation(c) for c in shown)
        parts.append(f"<details{opened}><summary>{heading} ({len(shown)})</summary>{items}</details>")
    return "\n".join(parts)


def _render_citation(c: Citation) -> str:
    venue = ", ".join(
        x
        for x in (", ".join(c.authors[:3]) + (" et al." if len(c.authors) > 3 else ""), c.journal, str(c.year or ""))
        if x
    )
    return (
        f'<div class="passage" id="cite-{c.n}"><b>[{c.n}] {html.escape(c.title)}</b>'
        f'<div class="meta">{html.escape(venue)}{" · " if venue else ""}{html.escape(c.source)}</div>'
        f"<div>{highlight(c)}</div></div>"
    )


def highlight(c: Citation) -> str:
    """The passage text as HTML with its supporting spans in <mark>."""
    out, pos = [], 0
    for start, end in sorted(c.support):
        s, e = max(start - c.start, pos), min(end - c.start, len(c.text))
        if s >= e:
            continue
        out += [html.escape(c.text[pos:s]), "<mark>", html.escape(c.text[s:e]), "</mark>"]
        pos = e
    out.append(html.escape(c.text[pos:]))
    return "".join(out)


def build_ui(assistant: Assistant) -> gr.Blocks:
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        history = list(history or [])
        try:
            reply = render_answer(assistant.ask(message))
        except AssistantError as exc:
            reply = f"<p><b>Error:</b> {html.escape(str(exc))}</p>"
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        return history, ""

    with gr.Blocks(title="Biomedical literature assistant") as page:
        gr.Markdown(
            "## Biomedical literature assistant\nAnswers come only from the indexed documents; "
            "each sentence cites the passage it rests on."
        )
        chat = gr.Chatbot(label="Answers", height=560, sanitize_html=True, elem_id="chat")
        box = gr.Textbox(placeholder="Ask a mechanism question...", label="Question", elem_id="question")
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(respond, [box, chat], [chat, box], api_name="chat")
    return page  # type: ignore[no-any-return]


CSS = _CSS
