"""HTML of the chat page: linked citation marks, highlighted support, collapsed refusals, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant.answer.llm.generation import Turn
from assistant.api import Assistant
from assistant.app.answering import MODE_STREAMS
from assistant.app.jobs import IndexJobs
from assistant.app.ui import build_ui
from assistant.app.ui_render import (
    answer_html,
    claim_support,
    highlight,
    library_html,
    sources_panel_html,
    status_html,
)
from assistant.app.uploads import Uploads
from assistant.models import Answer, AnswerSentence, Citation, DocumentMetadata, DocumentRecord
from tests.conftest import IMIQUIMOD

EXAMPLE = "how does imiquimod activate dendritic cells"
EVIL = "<script>window.__pwned=1</script><img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    """Collects start tags with their attributes, and the text, of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    return parser


def citation(n: int, text: str, start: int, support: tuple[tuple[int, int], ...], **kw: object) -> Citation:
    fields: dict[str, object] = {"doc_id": f"doc{n}", "source": f"paper{n}.txt", "title": f"Paper {n}", "score": 0.5}
    return Citation(n=n, text=text, start=start, end=start + len(text), support=support, **(fields | kw))  # type: ignore[arg-type]


def test_highlight_marks_support_spans_in_document_coordinates() -> None:
    text = "First sentence here. Second one supports it. Third is noise."
    start = 1000  # the passage starts 1000 characters into its document
    s = text.index("Second")
    e = text.index(" Third")
    out = highlight(citation(1, text, start, ((start + s, start + e),)))
    assert re.findall(r"<mark>(.*?)</mark>", out) == ["Second one supports it."]
    assert out.replace("<mark>", "").replace("</mark>", "") == text


def test_highlight_clips_spans_outside_the_passage_and_escapes() -> None:
    text = f"Before {EVIL} after."
    out = highlight(citation(1, text, 50, ((0, 57), (40, 45), (200, 300))))
    tags = parse(out)
    assert [t for t, _ in tags.tags] == ["mark"], "only our <mark> is markup; the document's tags are text"
    assert "".join(tags.text) == text


def test_answer_links_every_mark_to_its_own_passage_with_the_claims_support_as_tooltip() -> None:
    one = citation(1, "Alpha binds beta. Gamma is unrelated.", 0, ((0, 17),))
    two = citation(2, "Delta activates epsilon strongly. Noise.", 500, ((500, 533),))
    sentences = (
        AnswerSentence("Alpha binds beta.", (1,), True),
        AnswerSentence("Delta activates epsilon.", (2, 1), True),
    )
    answer = Answer("q", "Alpha binds beta. [1] Delta activates epsilon. [2][1]", (one, two), False, sentences)
    html = answer_html(answer, turn=3)
    links = [a for t, a in parse(html).tags if t == "a"]
    assert [a["href"] for a in links] == ["#t3-c1", "#t3-c2", "#t3-c1"]
    assert "Delta activates epsilon strongly." in (links[1]["title"] or "")
    ids = {a["id"] for t, a in parse(html).tags if t == "div" and a.get("class") == "passage"}
    assert ids == {"t3-c1", "t3-c2"}, "each link has a passage card of the same answer"
    assert '<details class="sources">' in html and "\n" not in html


def test_tooltip_picks_the_support_sentence_closest_to_the_claim() -> None:
    text = "Mast cells release CCL2 after toll-like receptor activation. Dendritic cells then kill tumour cells."
    c = citation(1, text, 10, ((10, 70), (71, 110)))
    assert claim_support(c, "mast cells release CCL2").startswith("Mast cells release CCL2")
    assert claim_support(c, "dendritic cells kill tumour cells").startswith("Dendritic cells then kill")


def test_card_shows_bibliography_source_and_optional_score() -> None:
    c = citation(1, "Text.", 0, (), authors=("A. One", "B. Two", "C. Three", "D. Four"), journal="J Imm", year=2010)
    answer = Answer("q", "Text. [1]", (c,), False, (AnswerSentence("Text.", (1,), True),))
    plain = "".join(parse(answer_html(answer, 1)).text)
    assert "A. One, B. Two, C. Three et al." in plain and "J Imm" in plain and "2010" in plain
    assert "paper1.txt" in plain and "score" not in plain
    assert "score 0.500" in "".join(parse(answer_html(answer, 1, show_scores=True)).text)


def test_refusal_shows_phrase_and_collapsed_nearest_passages() -> None:
    near = citation(1, "Something close.", 0, ())
    answer = Answer("q", "I cannot answer that.\n\n[1] Paper 1: Something close.", (), True, nearest=(near,))
    html = answer_html(answer, 2)
    tags = parse(html).tags
    details = [a for t, a in tags if t == "details"]
    assert details == [{"class": "nearest"}], "nearest passages are in a closed <details>"
    assert "I cannot answer that." in html and "t2-c1" in html
    assert "refused" in sources_panel_html(answer, 2)


def test_everything_from_documents_is_escaped() -> None:
    c = citation(1, f"Body {EVIL}.", 0, ((0, 4),), title=f"Title {EVIL}", source="a<b>.txt", journal=EVIL)
    answer = Answer(EVIL, f"Claim {EVIL} [1]", (c,), False, (AnswerSentence(f"Claim {EVIL}", (1,), True),))
    for html in (answer_html(answer, 1), sources_panel_html(answer, 1)):
        names = {t for t, _ in parse(html).tags}
        assert not names & {"script", "img"}
        assert EVIL in "".join(parse(html).text)
    record = DocumentRecord("id1", "x<i>.txt", DocumentMetadata(title=EVIL), 3, "2024-01-02T03:04:05+00:00")
    table = library_html([record])
    assert not {t for t, _ in parse(table).tags} & {"script", "img", "i"}
    assert "2024-01-02 03:04 UTC" in table
    assert "script" not in {t for t, _ in parse(status_html([(False, EVIL)])).tags}


def test_fields_stay_on_one_line_without_invisible_characters_and_bounded() -> None:
    """An index built before fields were settled at ingest: the page still holds no blank line (the chat's Markdown
    renderer would read what follows), no direction override, and no 10,000-character title."""
    title = "Study\n\n![t](logout)\n\n\u202eevil\u202c zero\u200bwidth " + "W" * 10_000
    c = citation(1, "Body.", 0, ((0, 4),), title=title, source="a.jsonl#k\n\nx", journal="J\r\rZ", authors=("A\n\nB",))
    answer = Answer("q", "Claim [1]", (c,), False, (AnswerSentence("Claim", (1,), True),))
    record = DocumentRecord("id1", "x\n\ny.txt", DocumentMetadata(title=title), 3, "2024-01-02T03:04:05+00:00")
    for html in (answer_html(answer, 1), sources_panel_html(answer, 1), library_html([record])):
        assert "\n\n" not in html and "\r" not in html and "\u202e" not in html and "\u200b" not in html
        assert "W" * 400 not in html and "![t](logout)" in html and "zerowidth" in html


@pytest.mark.slow
def test_real_answer_renders_linked_and_highlighted(seeded: Assistant) -> None:
    answer = seeded.ask(EXAMPLE)
    assert not answer.refused
    html = answer_html(answer, 1)
    hrefs = {a["href"] for t, a in parse(html).tags if t == "a"}
    assert hrefs == {f"#t1-c{c.n}" for c in answer.citations}
    panel = sources_panel_html(answer, 1)
    imiquimod = next(r for r in seeded.documents() if r.source == IMIQUIMOD)
    assert imiquimod.metadata.title in "".join(parse(panel).text)
    marked = re.findall(r"<mark>(.*?)</mark>", panel)
    assert marked and all(m.strip() for m in marked)


@pytest.mark.slow
def test_chat_offers_modes_and_streams_partial_answers(
    seeded: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a second (streaming) mode registered the selector appears (test_server checks it is hidden with
    one), and the chat shows the partial text first."""
    import gradio as gr

    def halves(
        assistant: Assistant, question: str, top_k: int | None, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        answer = assistant.ask(question, top_k=top_k)
        yield answer.text[: len(answer.text) // 2]
        yield answer

    monkeypatch.setitem(MODE_STREAMS, "halves", halves)
    jobs = IndexJobs(Uploads(seeded, tmp_path / "uploads", 1024), tmp_path / "spool")
    page = build_ui(seeded, jobs)
    [radio] = [b for b in page.blocks.values() if isinstance(b, gr.Radio)]
    assert radio.visible is True and [c[1] for c in radio.choices] == ["extractive", "halves"]
    [respond] = [f.fn for f in page.fns.values() if f.name == "respond"]
    assert respond is not None
    steps = list(respond(EXAMPLE, [], [], 5, "halves", False))
    shown = [history[-1]["content"] for history, _box, _panel, _said in steps]
    assert "pending" in shown[0] and "partial" in shown[1] and "answer final" in shown[-1]
    assert len(steps) == 3 and 'id="src-t1-c1"' in steps[-1][2]
    said = steps[-1][3]
    assert [role for role, _ in said] == ["user", "assistant"] and said[0][1] == EXAMPLE, "the turn is kept as text"
    asked: list[Sequence[Turn]] = []

    def remembers(
        assistant: Assistant, question: str, top_k: int | None, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        asked.append(history)
        yield assistant.ask(question, top_k=top_k)

    monkeypatch.setitem(MODE_STREAMS, "halves", remembers)
    list(respond("and what about Tregs?", steps[-1][0], said, 5, "halves", False))
    assert [(t.role, t.text[:20]) for t in asked[-1]] == [("user", EXAMPLE[:20]), ("assistant", said[1][1][:20])], (
        "a follow-up is asked with the conversation before it"
    )
