"""Entities found by simple general patterns, so one can be swapped for another of the same kind.

Kinds: disease (-itis, -oma, -emia, -osis, -pathy), drug (-mab, -nib, -pril, -statin, -mycin, ... and -ine
words that are not common English), gene (letters with a digit: STAT3, IL-10, CD4, BRCA1), cell type
("X cells") and organism (a short list of model organisms, and "E. coli"-style binomials). A lexicon is
built from one set of documents only: the training corpus for training pairs, PubMedQA for the test set.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable

from assistant.answer.lexicon import STOPWORDS

_DISEASE = re.compile(r"\b[a-z]{3,}(?:itis|omas?|a?emia|osis|opathy)\b")
_DISEASE_STOP = frozenset(
    "diagnosis prognosis apoptosis homeostasis mitosis meiosis osmosis symbiosis endocytosis phagocytosis exocytosis "
    "hypnosis metamorphosis anastomosis efferocytosis transcytosis pinocytosis stroma stromas soma aroma diploma "
    "stoma chroma academia genoma chromatosis hypothesis empathy sympathy telepathy apathy homeopathy".split()
)
_DRUG = re.compile(
    r"\b[a-z]{3,}(?:mab|nib|pril|sartan|olol|statin|mycin|cillin|azole|vir|platin|taxel|parin|formin|oxacin|cycline|"
    r"zepam|caine|triptan|gliptin|glitazone|lukast|dipine|tidine|semide|thiazide|afil|setron|profen|oxetine|"
    r"pramine|triptyline|apine|idone|ine)\b"
)
_DRUG_STOP = frozenset(
    "determine medicine examine baseline baselines intestine endocrine paracrine autocrine discipline quarantine "
    "guideline combine decline underline routine genuine feminine masculine uterine murine porcine bovine equine "
    "canine feline submarine saline alkaline urine online machine engine doctrine pipeline timeline midline "
    "outline vaccine vaccines airline alanine define refine confine borderline hairline coastline interline "
    "mainline sideline undermine famine genuine nicotinamide ovine imagine vitamine shine spine sine line fine "
    "mine nine pine wine divine cuisine magazine marine ravine trampoline".split()
)
_GENE = re.compile(r"(?<![\w\-])(?=[A-Za-z0-9\-]*\d)(?=(?:[A-Za-z0-9\-]*[A-Z]){2})[A-Z][A-Za-z0-9\-]{1,9}(?![\w\-])")
_GENE_STOP = frozenset("CO2 H2O H2O2 NO2 SO2 COVID-19 SARS-CoV-2 T1 T2 G1 S1 M2".split())
_CELLS = re.compile(r"\b([A-Za-z][A-Za-z0-9+\-]*) (cells?)\b")
_CELL_STOP = frozenset(
    "these those all other many several some both such each living dead target individual single treated "
    "untreated control wild-type transfected cultured positive negative few most whole human mouse murine rat "
    "normal primary total donor host own one two three four five six seven eight nine ten".split()
)
_ORGANISMS = (
    ("mice", "rats", "rabbits", "dogs", "pigs", "monkeys", "hamsters", "zebrafish", "chickens", "sheep", "ferrets"),
    ("mouse", "rat", "rabbit", "dog", "pig", "monkey", "hamster", "chicken", "ferret", "primate"),
)
_ORGANISM_WORDS = {w: i for i, group in enumerate(_ORGANISMS) for w in group}
_BINOMIAL = re.compile(r"\b[A-Z]\. [a-z]{4,}\b")


def _is_drug(word: str) -> bool:
    return word not in _DRUG_STOP and not word.endswith("crine")  # endocrine, exocrine: glands, not drugs


def entity_mentions(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each entity mention; for cell types the span is the modifier ("mast" in "mast cells")."""
    found: list[tuple[str, int, int]] = []
    found += [("disease", m.start(), m.end()) for m in _DISEASE.finditer(text) if m.group() not in _DISEASE_STOP]
    found += [("drug", m.start(), m.end()) for m in _DRUG.finditer(text) if _is_drug(m.group())]
    found += [("gene", m.start(), m.end()) for m in _GENE.finditer(text) if m.group() not in _GENE_STOP]
    for m in _CELLS.finditer(text):
        word = m.group(1)
        if word.lower() not in STOPWORDS and word.lower() not in _CELL_STOP and not word.isdigit():
            found.append(("cell", m.start(1), m.end(1)))
    for m in re.finditer(r"\b[a-z]+\b", text):
        if m.group() in _ORGANISM_WORDS:
            found.append((f"organism{_ORGANISM_WORDS[m.group()]}", m.start(), m.end()))
    found += [("binomial", m.start(), m.end()) for m in _BINOMIAL.finditer(text)]
    return found


class EntityLexicon:
    """Entities per kind seen at least `min_count` times in the documents it was built from."""

    def __init__(self, texts: Iterable[str], min_count: int = 2) -> None:
        counts: dict[str, Counter[str]] = {}
        for text in texts:
            for kind, start, end in entity_mentions(text):
                counts.setdefault(kind, Counter())[text[start:end]] += 1
        self.names = {kind: sorted(n for n, c in counter.items() if c >= min_count) for kind, counter in counts.items()}
        for i, group in enumerate(_ORGANISMS):  # the organism lists are complete by construction
            self.names[f"organism{i}"] = list(group)

    def sample(self, kind: str, rng: random.Random) -> str | None:
        names = self.names.get(kind)
        return rng.choice(names) if names else None

    def sizes(self) -> dict[str, int]:
        return {kind: len(names) for kind, names in sorted(self.names.items())}


def entity_kind(kind: str) -> str:
    """The reported kind: organism0/organism1/binomial are all organisms."""
    return "organism" if kind.startswith("organism") or kind == "binomial" else kind
