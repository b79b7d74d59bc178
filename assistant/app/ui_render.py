"""HTML for the chat page and the library tab. Everything that comes from documents or users is escaped.

Chat messages are single HTML blocks without blank lines, so the Markdown renderer of the chat leaves
them alone. Each answer in the chat carries its passages in a collapsed "Sources" section (element ids
`t<turn>-c<n>`), so the `[n]` links of every answer in the history lead to that answer's own passages;
the sources panel beside the chat shows the latest answer's passages open (ids `src-t<turn>-c<n>`), and
`SCRIPT` sends a click on `[n]` there when the panel shows that answer. Without the script the link
still works (the browser opens the collapsed section). The chat's sanitiser drops `data-*` attributes,
so everything the script needs is in ids and hrefs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from assistant.ingest.documents.cleaning import FIELD_CHARS, field_line
from assistant.models import Answer, Citation, DocumentRecord
from assistant.text.characters import normalize_unicode

_MARK = re.compile(r"\[(\d+)\]")
_BLANK_LINES = re.compile(r"\s*\n\s*\n\s*")
_TOOLTIP_CHARS = 400
_SPACES = re.compile(r"\s+")

CSS = """
#chat .answer p { margin: 0 0 .4em 0; }
#chat a.cite { text-decoration: none; font-weight: 600; padding: 0 1px; border-radius: 3px; }
#chat a.cite:hover { background: #dbe8ff; }
.sources summary, .nearest summary { cursor: pointer; font-weight: 600; margin-top: .4em; }
.passage { border-left: 3px solid #8ab4f8; padding: 4px 10px; margin: 8px 0; scroll-margin-top: 40px; }
.passage:target, .passage.flash { background: #eef4ff; outline: 2px solid #8ab4f8; }
#sources { max-height: 680px; overflow-y: auto !important; }
#sources .panel-head { font-weight: 600; margin-bottom: 4px; }
#sources .panel-empty { color: #666; }
.passage .ptitle { font-weight: 600; }
.passage, .answer, .library td, .status li, .check { overflow-wrap: anywhere; }
.passage .meta { color: #555; font-size: .88em; margin: 2px 0 4px 0; }
.passage .meta .source { font-family: monospace; }
.passage mark { background: #fff3a3; color: inherit; padding: 0 2px; }
.passage .ptext { font-size: .92em; line-height: 1.45; }
.answer .unsupported { color: #a33; font-style: italic; }
.answer .contradicted { border-left: 3px solid #b00020; padding: 2px 8px; margin: 6px 0; }
.answer .refusal-reason { color: #555; font-size: .9em; }
.answer .notice { color: #7a5200; font-size: .88em; font-style: italic; }
.answer.pending { color: #666; font-style: italic; }
.answer.error, .status .error { color: #b00020; }
.status .ok { color: #1b6e20; }
.library { width: 100%; border-collapse: collapse; font-size: .92em; }
.library th, .library td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
.library td.id { font-family: monospace; font-size: .85em; }
.check .claim { padding: 1px 3px; border-radius: 3px; }
.check .claim.supported { background: #e3f4e1; }
.check .claim.contradicted { background: #fde2e1; }
.check .claim.not_found { background: #eee; }
.check .verdict { font-size: .8em; font-weight: 600; margin-left: 4px; }
.check .verdict.supported { color: #1b6e20; } .check .verdict.contradicted { color: #b00020; }
.check .verdict.not_found { color: #555; }
.check .counts { font-weight: 600; margin-bottom: .6em; }
.check .caveat { color: #555; font-size: .9em; margin: 0 0 .6em; }
"""


SCRIPT = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest ? event.target.closest("a.cite") : null;
  if (!link) return;
  const id = (link.getAttribute("href") || "").slice(1);
  const card = document.getElementById("src-" + id) || document.getElementById(id);
  if (!card) return;
  event.preventDefault();
  const section = card.closest("details");
  if (section) section.open = true;
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.classList.remove("flash");
  void card.offsetWidth;
  card.classList.add("flash");
}, true);
</script>
"""


def escape_line(text: object) -> str:
    """Text as one escaped line, without the characters that draw nothing. A chat message holds no blank line (the
    chat's Markdown renderer would read what follows one as Markdown: images, links, headings), and a document's
    title must not reorder or hide what the page shows (direction overrides, zero-width characters)."""
    return html.escape(_SPACES.sub(" ", normalize_unicode(str(text))), quote=True)


_e = escape_line


def shortened(text: str) -> str:
    """A title, author list or source as a card or tooltip shows it: one line, cut (the whole text is indexed)."""
    return field_line(text, FIELD_CHARS)


def _paragraphs(text: str) -> str:
    """Escaped text; paragraph breaks become <br><br>, other newlines spaces (no raw newlines remain)."""
    parts = [" ".join(p.split()) for p in _BLANK_LINES.split(text.strip())]
    return "<br><br>".join(_e(p) for p in parts if p)


def question_html(question: str) -> str:
    return f'<div class="question">{_e(" ".join(question.split()))}</div>'


def pending_html(text: str = "Searching the indexed documents…") -> str:
    return f'<div class="answer pending">{_e(text)}</div>'


def partial_html(text: str) -> str:
    """An answer still being written (streaming modes); citations are checked only when it is complete,
    and the verified answer then replaces this text."""
    note = '<p class="notice">Writing; every sentence is checked against its passage when it is done.</p>'
    return f'<div class="answer partial"><p>{_paragraphs(text)}</p>{note}</div>'


def error_html(message: str) -> str:
    return f'<div class="answer error final"><p><b>Could not answer:</b> {_e(message)}</p></div>'


def supporting_text(c: Citation) -> str:
    """The supporting sentence(s) of a citation, or the start of its passage when none is marked."""
    pieces = [c.text[max(s - c.start, 0) : max(e - c.start, 0)] for s, e in sorted(c.support)]
    text = " … ".join(" ".join(p.split()) for p in pieces if p.strip()) or " ".join(c.text.split())
    return text if len(text) <= _TOOLTIP_CHARS else text[: _TOOLTIP_CHARS - 1].rsplit(" ", 1)[0] + "…"


def highlight(c: Citation) -> str:
    """The passage text as HTML with its supporting spans (document coordinates) in <mark>."""
    out, pos = [], 0
    for start, end in sorted(c.support):
        s, e = max(start - c.start, pos), min(end - c.start, len(c.text))
        if s >= e:
            continue
        out += [_paragraphs_inline(c.text[pos:s]), "<mark>", _paragraphs_inline(c.text[s:e]), "</mark>"]
        pos = e
    out.append(_paragraphs_inline(c.text[pos:]))
    return "".join(out)


def _paragraphs_inline(text: str) -> str:
    # Like _paragraphs, but keeps edge spaces so highlighted pieces join up with their neighbours.
    return "<br><br>".join(_e(re.sub(r"\s+", " ", p)) for p in _BLANK_LINES.split(text))


def venue(c: Citation) -> str:
    authors = ", ".join(c.authors[:3]) + (" et al." if len(c.authors) > 3 else "")
    return " · ".join(x for x in (authors, c.journal, str(c.year or "")) if x)


def citation_html(c: Citation, anchor: str, show_scores: bool = False, label: str = "") -> str:
    """One passage card: number and title, [label ·] authors · journal · year · source file, the highlighted text."""
    meta = [f"<b>{_e(label)}</b>"] if label else []
    meta += [_e(shortened(venue(c)))] if venue(c) else []
    meta.append(f'<span class="source">{_e(shortened(c.source))}</span>')
    if show_scores:
        meta.append(f'<span class="score">score {c.score:.3f}</span>')
    return (
        f'<div class="passage" id="{_e(anchor)}" data-n="{c.n}" data-doc="{_e(c.doc_id)}">'
        f'<div class="ptitle">[{c.n}] <span class="title">{_e(shortened(c.title))}</span></div>'
        f'<div class="meta">{" · ".join(meta)}</div>'
        f'<div class="ptext">{highlight(c)}</div></div>'
    )


def anchor(turn: int, n: int) -> str:
    return f"t{turn}-c{n}"


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def claim_support(c: Citation, claim: str) -> str:
    """The supporting sentence of a citation that best matches one claim (word overlap), for its tooltip."""
    pieces = [" ".join(c.text[max(s - c.start, 0) : max(e - c.start, 0)].split()) for s, e in sorted(c.support)]
    pieces = [p for p in pieces if p]
    if not pieces or not claim:
        return supporting_text(c)
    words = _words(claim)
    best = max(pieces, key=lambda p: len(words & _words(p)) / (len(words | _words(p)) or 1))
    return best if len(best) <= _TOOLTIP_CHARS else best[: _TOOLTIP_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _cite_link(c: Citation, turn: int, claim: str) -> str:
    tip = f"[{c.n}] {shortened(c.title)}: {claim_support(c, claim)}"
    return f'<a class="cite" href="#{anchor(turn, c.n)}" title="{_e(tip)}">[{c.n}]</a>'


def _answer_body(answer: Answer, turn: int) -> str:
    cited = {c.n: c for c in answer.citations}
    if not answer.sentences:  # a mode that gives only text: link the marks found in it
        return _MARK.sub(
            lambda m: _cite_link(cited[int(m.group(1))], turn, "") if int(m.group(1)) in cited else m.group(0),
            _paragraphs(answer.text),
        )
    parts = []
    for sentence in answer.sentences:
        links = "".join(_cite_link(cited[n], turn, sentence.text) for n in sentence.citations if n in cited)
        flag = "" if sentence.supported else ' <span class="unsupported">(unsupported)</span>'
        parts.append(f"{_e(' '.join(sentence.text.split()))} {links}{flag}".strip())
    return " ".join(parts)


def _cards(citations: Sequence[Citation], turn: int, show_scores: bool, prefix: str = "") -> str:
    return "".join(citation_html(c, prefix + anchor(turn, c.n), show_scores) for c in citations)


def answer_html(answer: Answer, turn: int, show_scores: bool = False) -> str:
    """A complete answer for the chat: text with linked `[n]` marks, then its passages, collapsed."""
    if answer.refused:
        phrase = answer.text.split("\n\n", 1)[0]
        nearest = (
            f'<details class="nearest"><summary>Nearest passages ({len(answer.nearest)})</summary>'
            f"{_cards(answer.nearest, turn, show_scores)}</details>"
            if answer.nearest
            else ""
        )
        why = f'<p class="refusal-reason">Why: {_e(answer.refusal_reason)}.</p>' if answer.refusal_reason else ""
        return f'<div class="answer final refused"><p class="refusal">{_paragraphs(phrase)}</p>{why}{nearest}</div>'
    sources = (
        f'<details class="sources"><summary>Sources ({len(answer.citations)})</summary>'
        f"{_cards(answer.citations, turn, show_scores)}</details>"
        if answer.citations
        else ""
    )
    notice = f'<p class="notice">{_e(answer.notice)}</p>' if answer.notice else ""
    body = f"<p>{_answer_body(answer, turn)}</p>{notice}{_contradicted(answer, turn)}{sources}"
    return f'<div class="answer final">{body}</div>'


def _contradicted(answer: Answer, turn: int) -> str:
    """Sentences the LLM wrote that their passages contradict: removed from the answer, shown here as news."""
    if not answer.contradicted:
        return ""
    cited = {c.n: c for c in answer.citations}
    items = "".join(
        f"<li>{_e(c.sentence)} {_cite_link(cited[c.n], turn, c.sentence) if c.n in cited else ''}</li>"
        for c in answer.contradicted
    )
    return f'<div class="contradicted"><p><b>Contradicted by the passages (removed):</b></p><ul>{items}</ul></div>'


def sources_panel_html(answer: Answer | None, turn: int = 0, show_scores: bool = False, note: str = "") -> str:
    """The panel beside the chat: the latest answer's cited passages, supporting sentences marked."""
    if answer is None:
        text = note or "The passages an answer cites appear here, with the supporting sentences marked."
        return f'<div class="sources-panel"><p class="panel-empty">{_e(text)}</p></div>'
    if answer.refused:
        return (
            f'<div class="sources-panel refused"><p class="panel-head">No passage answers “{_e(answer.question)}”.'
            '</p><p class="panel-empty">The nearest passages are listed under the answer in the chat.</p></div>'
        )
    head = f"Sources of answer {turn}: {answer.question}"
    return (
        f'<div class="sources-panel"><p class="panel-head">{_e(head)}</p>'
        f"{_cards(answer.citations, turn, show_scores, prefix='src-')}</div>"
    )


def when(iso: str) -> str:
    """An ISO-8601 time as 'YYYY-MM-DD HH:MM UTC'; unparsable values are shown as they are."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def library_html(records: Sequence[DocumentRecord]) -> str:
    if not records:
        return '<p class="library-empty">No documents are indexed yet: upload some above.</p>'
    rows = "".join(
        f'<tr data-doc="{_e(r.doc_id)}"><td class="title">{_e(shortened(r.metadata.title or r.source))}</td>'
        f'<td class="source">{_e(shortened(r.source))}</td><td class="chunks">{r.n_chunks}</td>'
        f'<td class="when">{_e(when(r.indexed_at))}</td><td class="id">{_e(r.doc_id)}</td></tr>'
        for r in sorted(records, key=lambda r: (r.metadata.title or r.source).lower())
    )
    return (
        f'<p class="library-count">{len(records)} document{"s" if len(records) != 1 else ""} indexed</p>'
        '<table class="library"><thead><tr><th>Title</th><th>Source</th><th>Chunks</th><th>Indexed</th>'
        f"<th>ID</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def document_choices(records: Sequence[DocumentRecord]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the delete menu."""
    return sorted(((f"{r.metadata.title or r.source} — {r.source}", r.doc_id) for r in records), key=lambda x: x[0])


def status_html(lines: Sequence[tuple[bool, str]]) -> str:
    """Library messages: (ok, text) each on its own line."""
    items = "".join(f'<li class="{"ok" if ok else "error"}">{_e(text)}</li>' for ok, text in lines)
    return f'<ul class="status">{items}</ul>' if items else ""
