"""What a passage unit is, apart from what the model reads in it: a statement or not (a title, a heading, a table
row), which names it holds, and the two-sentence window the verifier scores when single sentences do not decide."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import numpy as np

from assistant.answer.terms import key_terms, squash
from assistant.ingest.documents.citation_line import is_citation_line
from assistant.text.references import without_reference_marks
from assistant.text.sentences import ends_sentence

Unit = tuple[int, ...]  # indices of the passage sentences read together
# A table row as ingest writes it (Markdown and HTML tables): two or more "label: value" pairs joined by "; ".
# Each label opens as a header does (a capital, a digit, a bracket): "Primary endpoint: ...; secondary endpoint: ..."
# is a structured sentence, not a row.
_TABLE_ROW = re.compile(r"[A-Z0-9(\[][^:;]{0,79}: [^;]{1,300}(?:; [A-Z0-9(\[][^:;]{0,79}: [^;]{1,300})+")


def not_a_statement(unit: str) -> bool:
    """A title, a heading or a label (it does not end as a sentence), or a table row ("label: value; label:
    value.", as `ingest` writes rows): it names a topic or records values, and states no finding to contradict."""
    return not ends_sentence(without_reference_marks(unit)) or bool(_TABLE_ROW.fullmatch(unit.strip()))


def names_held(unit: str, sentence: str) -> bool:
    """The unit writes each name of the sentence (a key term that starts with a letter: IL-10, TGF-beta, FoxP3; not
    a number such as 2.5-fold), hyphens, spaces and Greek letters aside; the sentence's names are already written
    as the unit writes them where aliases allow (`verify_many`'s `rename`)."""
    text = squash(unit)
    return all(squash(name) in text for name in key_terms(sentence) if name[0].isalpha())


def window_unit(units: dict[Unit, np.ndarray], n: int, apart: Collection[int] = ()) -> Unit:
    """The likeliest single sentence (supported or contradicted) with its likelier scored neighbour; a sentence in
    `apart` (a citation line: no finding's evidence) joins none, and the single sentence stays alone then."""
    singles = {u[0]: p for u, p in units.items() if len(u) == 1}
    best = max(singles, key=lambda j: float(singles[j][:2].max()))
    near = [j for j in (best - 1, best + 1) if 0 <= j < n and j not in apart]
    if best in apart or not near:
        return (best,)
    other = max(near, key=lambda j: float(singles[j][:2].max()) if j in singles else -1.0)
    return (min(best, other), max(best, other))


def citation_lines(sentences: Sequence[str]) -> set[int]:
    return {j for j, text in enumerate(sentences) if is_citation_line(text)}
