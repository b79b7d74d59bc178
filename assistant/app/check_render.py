"""HTML of the Check tab: each sentence of a checked text marked supported, contradicted or not found, with links
to the passages it was judged against (the rationale sentences marked in them). Everything is escaped."""

from __future__ import annotations

from assistant.answer.claims import CONTRADICTION_CAVEAT
from assistant.app.ui_render import citation_html, shortened, supporting_text
from assistant.app.ui_render import escape_line as _e
from assistant.models import CheckReport, Citation, SentenceCheck

_LABEL = {"supported": "supported", "contradicted": "contradicted", "not_found": "not found"}


def _anchor(i: int, n: int) -> str:
    return f"k{i}-c{n}"


def _link(i: int, c: Citation) -> str:
    tip = f"[{c.n}] {shortened(c.title)}: {supporting_text(c)}"
    return f'<a class="cite" href="#{_anchor(i, c.n)}" title="{_e(tip)}">[{c.n}]</a>'


def _sentence_html(i: int, s: SentenceCheck) -> str:
    decided = [p for p in s.passages if p.verdict == s.verdict] if s.verdict != "not_found" else []
    links = "".join(_link(i, p.citation) for p in decided)
    return (
        f'<span class="claim {s.verdict}" id="claim-{i}">{_e(s.sentence)}</span>{links}'
        f'<span class="verdict {s.verdict}">{_LABEL[s.verdict]} ({s.score:.2f})</span>'
    )


def check_html(report: CheckReport) -> str:
    counts = report.to_json()["counts"]
    summary = ", ".join(f"{counts[k]} {label}" for k, label in _LABEL.items())
    body = " ".join(_sentence_html(i, s) for i, s in enumerate(report.sentences, 1))
    cards = "".join(
        f'<details class="sources" id="passages-{i}"><summary>Sentence {i}: passages ({len(s.passages)})</summary>'
        + "".join(citation_html(p.citation, _anchor(i, p.citation.n), label=_LABEL[p.verdict]) for p in s.passages)
        + "</details>"
        for i, s in enumerate(report.sentences, 1)
    )
    caveat = f'<p class="caveat">{_e(CONTRADICTION_CAVEAT)}</p>' if counts["contradicted"] else ""
    return f'<div class="check"><p class="counts">{_e(summary)}</p>{caveat}<p>{body}</p>{cards}</div>'
