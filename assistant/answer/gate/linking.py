"""Are the things a question names ever stated together? The `not linked` refusal reason.

"Which receptor on dendritic cells responds to CCL2?" names a receptor, dendritic cells and CCL2.
Passages may mention each of them (toll-like receptors, CCL2 released by mast cells, dendritic
cells killing tumours) and still never relate them: no answer can be quoted. The things counted
are the gene, protein and drug names of the question (IL-10, CCL2), its cell types ("mast cells")
and the kind of thing a which/what question asks for ("which receptor"); those the passages hold
must meet in one window of two neighbouring sentences (aliases added, the document's title
included, since a title states what all of its document is about).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.lexicon import ASKED_KIND, CELL_TYPE, MAX_KIND_WORDS, STOPWORDS
from assistant.answer.terms import GENERIC, content_terms, key_terms, squash, words
from assistant.models import Passage


@dataclass(frozen=True)
class _Thing:
    """Something a question names: an exact name (matched without spaces or hyphens) or a set of stems."""

    name: str = ""
    stems: frozenset[str] = frozenset()

    def in_text(self, squashed: str, stems: set[str]) -> bool:
        return squash(self.name) in squashed if self.name else self.stems <= stems


def unlinked(question: str, passages: Sequence[Passage], expand: Callable[[str], str] = str) -> bool:
    """True when two or more things the question names occur in the passages but never in one window."""
    texts = _windows(passages, expand)
    windows = [(squash(text), content_terms(text)) for text in texts]
    if not windows:
        return False
    everywhere = (squash(" ".join(texts)), set().union(*(stems for _, stems in windows)))
    present = [t for t in named_things(question) if t.in_text(*everywhere)]
    if len(present) < 2:
        return False
    return not any(all(t.in_text(*window) for t in present) for window in windows)


def named_things(question: str) -> list[_Thing]:
    """The names, cell types and asked-for kind of thing in a question, without repeats."""
    things = [_Thing(name=k) for k in sorted(key_terms(question))]
    for match in CELL_TYPE.finditer(question):
        if match.group(1).lower() not in STOPWORDS:
            things.append(_Thing(stems=frozenset(content_terms(match.group(0)))))
    asked = asked_kind(question)
    if asked:
        things.append(_Thing(stems=frozenset(asked)))
    return list(dict.fromkeys(things))


def asked_kind(question: str) -> set[str]:
    """Stems of the words after "which"/"what" up to the first function word: "which receptor on ..." -> receptor."""
    match = ASKED_KIND.search(question)
    if not match:
        return set()
    run: list[str] = []
    for word in words(match.group(1))[:MAX_KIND_WORDS]:
        if word.lower() in STOPWORDS:
            break
        run.append(word)
    return content_terms(" ".join(run)) - GENERIC


def _windows(passages: Sequence[Passage], expand: Callable[[str], str]) -> list[str]:
    """Each pair of neighbouring sentences of each passage (a lone sentence too), with aliases and the title."""
    found: list[str] = []
    for p in passages:
        chunk = p.chunk
        texts = [chunk.text[s - chunk.start : e - chunk.start] for s, e in chunk.sentences]
        title = p.document.metadata.title
        for i in range(max(len(texts) - 1, 1)):
            found.append(expand(" ".join(texts[i : i + 2]) + "\n" + title))
    return found
