"""Synthetic pairs and probes from plain abstracts: a sentence against itself paraphrased or changed in one fact.

Training pairs are (premise unit, hypothesis, label) with the premise a source sentence or its two-sentence
window; probes are (passage of several sentences, hypothesis, expected verdict), the shape of the benchmark
and of the runtime. Both use `change`, so the test set is built the same way as the training data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.terms import content_terms
from assistant.answer.verifier.entities import EntityLexicon, entity_kind
from assistant.answer.verifier.model import LABELS
from assistant.answer.verifier.paraphrase import paraphrase, part
from assistant.answer.verifier.perturb import (
    KIND_LABEL,
    add_clause,
    change_number,
    flip_direction,
    flip_negation,
    swap_entity,
)
from assistant.answer.verifier.rewording import reword, reword_across, reword_opposite
from assistant.answer.verifier.surface import SECTION_LABEL
from assistant.text.aliases import find_aliases

# Share of each kind among synthetic training pairs; "quote", "same_abstract" and the parts exist only in training.
# Parts joined at stage 5, with a weight of their own (`--part-share`) for each of "part" (a part of the sentence
# that the whole entails: supported) and "part_changed" (that part with one fact changed, so that "shorter than
# the source" is no shortcut); without one the draws of the stages before stay as they were. Rewordings joined at
# stage 6 the same way, each with its own weight (`--reword-share`, `--reword-opposite-share`): "reword" (a direction
# verb said with another of its sense: supported) and "reword_opposite" (with one of the opposite sense:
# contradicted), so that another verb is no sign either way.
TRAIN_KINDS = {
    "paraphrase": 0.30, "quote": 0.03, "direction": 0.11, "negation": 0.10, "number": 0.08, "entity": 0.13,
    "clause": 0.10, "other_abstract": 0.06, "same_abstract": 0.09,
}  # fmt: skip
PART_CHANGES = ("direction", "negation", "number", "entity", "clause")
PROBE_KINDS = ("paraphrase", "direction", "negation", "number", "entity", "clause", "other_abstract")
_LABEL_OF = KIND_LABEL | {
    "quote": "supported", "same_abstract": "not_found", "part": "supported", "reword": "supported",
    "reword_opposite": "contradicted", "reword_across": "not_found",
}  # fmt: skip
_REWORDS = {"reword": reword, "reword_opposite": reword_opposite}
REWORD_KINDS = tuple(_REWORDS)  # a test set of their own: adding them to PROBE_KINDS would redraw the others
# A verb of the other sense of its direction ("inhibited" -> "reduced"): a test set only, never a contradiction and
# not always the same claim, so its label is no gold answer; the benchmark reports the shares called each way.
ACROSS_KIND = "reword_across"
_SWAPS = _REWORDS | {ACROSS_KIND: reword_across}


@dataclass(frozen=True)
class Pair:
    """One training example: a premise unit (one or two passage sentences) and a hypothesis."""

    premise: str
    hypothesis: str
    label: int  # index into LABELS
    kind: str
    source: str  # "scifact" or "synthetic"


@dataclass(frozen=True)
class Probe:
    """One evaluation item at the runtime's grain: a sentence against a passage of several sentences."""

    hypothesis: str
    passage: tuple[str, ...]
    label: str
    kind: str
    detail: str = ""  # e.g. the entity kind swapped
    rationale: tuple[int, ...] = ()  # gold passage sentences (SciFact) or the changed sentence (synthetic)
    origin: str = ""  # document id


@dataclass
class Doc:
    doc_id: str
    sentences: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def clean(sentence: str) -> str:
    """A sentence as an answer would write it: no leading section label, no stray whitespace."""
    return " ".join(SECTION_LABEL.sub("", sentence.strip()).split())


def usable(sentence: str) -> bool:
    words = sentence.split()
    return 8 <= len(words) <= 60 and sentence.rstrip()[-1:] in ".!?"


class Changer:
    """Applies one kind of change to a sentence, with the lexicon and clauses of one side (train or test)."""

    def __init__(self, lexicon: EntityLexicon, clauses: Sequence[str], pool: Sequence[str]) -> None:
        self.lexicon, self.clauses, self.pool = lexicon, clauses, pool

    def change(self, kind: str, doc: Doc, index: int, rng: random.Random) -> tuple[str, str] | None:
        """(hypothesis, detail) for changing sentence `index` of `doc`, or None where the kind does not apply."""
        sentence, passage = clean(doc.sentences[index]), doc.text
        aliases = find_aliases(passage)
        if kind == "quote":
            return sentence, ""
        if kind == "paraphrase":
            text = paraphrase(sentence, rng, aliases)
            return (text, "") if text else None
        if kind == "part":
            piece = part(sentence, rng)
            return (piece, "") if piece else None
        if kind in _SWAPS:
            said = _SWAPS[kind](sentence, rng)
            return (said, "") if said else None
        if kind == "same_abstract":
            far = [j for j in range(len(doc.sentences)) if abs(j - index) > 1 and usable(doc.sentences[j])]
            return (clean(doc.sentences[rng.choice(far)]), "") if far else None
        if kind == "other_abstract":
            return self._other_sentence(passage, rng), ""
        if kind == "part_changed":  # detail: the change made, which decides the label
            piece, change = part(sentence, rng), rng.choice(PART_CHANGES)
            made = self._perturb(change, piece, passage, rng) if piece else None
            return (made[0], change) if made else None
        # A third of perturbations start from a paraphrase, so "differs from the source" is no shortcut.
        base = (paraphrase(sentence, rng, aliases) if rng.random() < 0.3 else None) or sentence
        return self._perturb(kind, base, passage, rng)

    def _perturb(self, kind: str, base: str, passage: str, rng: random.Random) -> tuple[str, str] | None:
        if kind == "entity":
            swapped = swap_entity(base, rng, self.lexicon, passage)
            return (swapped[0], entity_kind(swapped[1])) if swapped else None
        changed = {
            "direction": lambda: flip_direction(base, rng),
            "negation": lambda: flip_negation(base, rng),
            "number": lambda: change_number(base, rng, passage),
            "clause": lambda: add_clause(base, rng, self.clauses, passage),
        }[kind]()
        return (changed, "") if changed and changed != base else None

    def _other_sentence(self, passage: str, rng: random.Random) -> str:
        """A sentence of another abstract; half the time the one of 30 that shares most words with the passage."""
        picks = [rng.choice(self.pool) for _ in range(30)]
        if rng.random() < 0.5:
            return picks[0]
        have = content_terms(passage)
        return max(picks, key=lambda s: len(content_terms(s) & have))


def training_pairs(
    docs: Sequence[Doc], changer: Changer, n: int, rng: random.Random, part_share: float = 0.0,
    reword_shares: tuple[float, float] = (0.0, 0.0),
) -> list[Pair]:  # fmt: skip
    """`n` synthetic pairs; the premise is the source sentence alone or with a neighbour."""
    shares = TRAIN_KINDS | ({"part": part_share, "part_changed": part_share} if part_share else {})
    shares |= {k: v for k, v in zip(REWORD_KINDS, reword_shares, strict=True) if v}
    kinds, weights = list(shares), list(shares.values())
    sources = [(d, i) for d in docs for i, s in enumerate(d.sentences) if usable(s)]
    pairs: list[Pair] = []
    while len(pairs) < n:
        doc, i = rng.choice(sources)
        kind = rng.choices(kinds, weights)[0]
        made = changer.change(kind, doc, i, rng)
        if made is None:
            continue
        premise = _premise(doc, i, rng)
        label = _LABEL_OF[made[1] if kind == "part_changed" else kind]
        pairs.append(Pair(premise, made[0], LABELS.index(label), kind, "synthetic"))
    return pairs


def _premise(doc: Doc, i: int, rng: random.Random) -> str:
    if rng.random() < 0.65 or len(doc.sentences) < 2:
        return doc.sentences[i]
    j = i + 1 if i + 1 < len(doc.sentences) and (i == 0 or rng.random() < 0.5) else i - 1
    return " ".join(doc.sentences[min(i, j) : max(i, j) + 1])


def passages(doc: Doc, max_chars: int = 800) -> list[tuple[int, list[str]]]:
    """Runs of whole sentences of about a chunk's size (the index packs ~160 tokens), with their first index."""
    runs: list[tuple[int, list[str]]] = []
    start, current = 0, list[str]()
    for i, sentence in enumerate(doc.sentences):
        if current and sum(len(s) + 1 for s in current) + len(sentence) > max_chars:
            runs.append((start, current))
            start, current = i, []
        current.append(sentence)
    if current:
        runs.append((start, current))
    return runs


def probes(
    docs: Sequence[Doc], changer: Changer, per_kind: int, rng: random.Random, kinds: Sequence[str] = PROBE_KINDS
) -> list[Probe]:
    """`per_kind` probes of each kind: a changed sentence against the chunk-sized passage that holds its source."""
    units = [(d, start, run, k) for d in docs for start, run in passages(d) for k, s in enumerate(run) if usable(s)]
    made: list[Probe] = []
    for kind in kinds:
        rng.shuffle(units)  # anew for each kind, so the kinds do not share their source sentences
        count = 0
        for doc, start, run, k in units:
            if count >= per_kind:
                break
            change = changer.change(kind, doc, start + k, rng)
            if change is None:
                continue
            made.append(Probe(change[0], tuple(run), _LABEL_OF[kind], kind, change[1], (k,), doc.doc_id))
            count += 1
    return made
