"""Rule-made changes of one sentence: faithful paraphrases and one-fact perturbations (FactCC-style).

Each function returns the changed sentence or None when its rule does not apply, so callers can try
another sentence. Perturbations change exactly one fact; paraphrases change wording only. The same rules
build the training pairs (SciFact corpus) and the perturbation test set (PubMedQA contexts); the clause
templates are split so that the test set adds clauses never seen in training.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from assistant.answer.lexicon import AUXILIARIES
from assistant.answer.verifier.entities import EntityLexicon, entity_mentions
from assistant.answer.verifier.rewording import inflections

SUPPORTED, CONTRADICTED, NOT_FOUND = "supported", "contradicted", "not_found"
LABELS = (SUPPORTED, CONTRADICTED, NOT_FOUND)
# Kind of change -> the verdict a passage holding the original sentence gives the changed one.
KIND_LABEL = {
    "paraphrase": SUPPORTED,
    "direction": CONTRADICTED,
    "negation": CONTRADICTED,
    "number": CONTRADICTED,
    "entity": NOT_FOUND,  # the passage says nothing about the swapped-in entity
    "clause": NOT_FOUND,
    "other_abstract": NOT_FOUND,
}


def _forms(pairs: str) -> dict[str, list[str]]:
    """'a:b c:d' -> both directions, so every word maps to its opposites."""
    out: dict[str, list[str]] = {}
    for pair in pairs.split():
        a, b = pair.split(":")
        out.setdefault(a, []).append(b)
        out.setdefault(b, []).append(a)
    return out


_OPPOSITES = _forms(
    "increase:decrease increases:decreases increased:decreased increasing:decreasing increase:reduction "
    "reduced:increased reduces:increases reduce:increase reducing:increasing higher:lower high:low "
    "highest:lowest greater:smaller larger:smaller more:less most:least elevated:reduced elevation:reduction "
    "upregulated:downregulated up-regulated:down-regulated upregulation:downregulation activates:inhibits "
    "activated:inhibited activate:inhibit activation:inhibition activator:inhibitor enhanced:impaired "
    "enhances:impairs enhance:impair enhancement:impairment improved:worsened improves:worsens improve:worsen "
    "promotes:suppresses promoted:suppressed promote:suppress stimulates:inhibits stimulated:inhibited "
    "positive:negative positively:negatively beneficial:harmful before:after gain:loss agonist:antagonist "
    "longer:shorter faster:slower stronger:weaker superior:inferior above:below sensitive:resistant "
    "sensitivity:resistance accelerated:delayed induces:prevents induced:prevented earlier:later early:late "
    "maximal:minimal without:with"
)
# "with" flips only after a word naming who or what has it ("patients with diabetes"), not in "associated with".
_WITH_AFTER = frozenset(
    "patients subjects women men children adults mice rats individuals participants people cases cells those "
    "infants animals donors volunteers tumors tumours".split()
)
_AUX = AUXILIARIES
_NOT_AFTER_AUX = re.compile(rf"\b({_AUX}) not\b", re.IGNORECASE)
_AUX_WORD = re.compile(rf"\b({_AUX})\b(?! not\b)")
_VERBS = (
    "increase decrease reduce improve inhibit induce enhance impair show demonstrate reveal promote prevent "
    "cause affect alter require predict correlate protect suppress activate block trigger restore attenuate "
    "abolish stimulate regulate mediate modulate influence contribute depend"
).split()


_VERB_FORMS = {inflections(v)["past"]: ("did", v) for v in _VERBS} | {
    inflections(v)["third"]: ("does", v) for v in _VERBS
}
_VERB_FORMS |= {"showed": ("did", "show"), "shown": ("has", "shown")}
# A word before a main verb that makes it an adjective or a participle, not the finite verb of the clause.
_NOT_SUBJECT = frozenset(
    "the a an of with in and or by to for from on at as than that which who not no been be being".split()
) | frozenset(_AUX.split("|"))


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _replace_at(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def flip_direction(sentence: str, rng: random.Random) -> str | None:
    """One direction word replaced by its opposite: increased -> decreased, with -> without."""
    spots = []
    for m in re.finditer(r"[A-Za-z][A-Za-z\-]*", sentence):
        word = m.group().lower()
        if word not in _OPPOSITES:
            continue
        before = sentence[: m.start()].split()
        if word == "with" and not (before and before[-1].lower() in _WITH_AFTER):
            continue
        spots.append(m)
    if not spots:
        return None
    m = rng.choice(spots)
    new = rng.choice(_OPPOSITES[m.group().lower()])
    return _replace_at(sentence, m.start(), m.end(), _match_case(new, m.group()))


def flip_negation(sentence: str, rng: random.Random) -> str | None:
    """A negation removed where there is one ("was not" -> "was", "no X" -> "a X"), else added."""
    options: list[str] = []
    for m in _NOT_AFTER_AUX.finditer(sentence):
        options.append(_replace_at(sentence, m.start(), m.end(), m.group(1)))
    for m in re.finditer(r"\b([Nn])o (\w+)", sentence):
        article = "some" if m.group(2).endswith("s") else ("an" if m.group(2)[0] in "aeiou" else "a")
        options.append(_replace_at(sentence, m.start(), m.end(), f"{_match_case(article, m.group(1))} {m.group(2)}"))
    for m in re.finditer(r"\b[Cc]annot\b", sentence):
        options.append(_replace_at(sentence, m.start(), m.end(), _match_case("can", m.group())))
    if options:
        return rng.choice(options)
    return _add_negation(sentence, rng)


def _add_negation(sentence: str, rng: random.Random) -> str | None:
    options: list[str] = []
    for m in _AUX_WORD.finditer(sentence):
        options.append(_replace_at(sentence, m.end(), m.end(), " not"))
    words = list(re.finditer(r"[A-Za-z][A-Za-z\-]*", sentence))
    for i, m in enumerate(words[1:], start=1):
        form = _VERB_FORMS.get(m.group())
        prev = words[i - 1].group().lower()
        if form is None or prev in _NOT_SUBJECT:
            continue
        # An adverb before the verb stays before it: "significantly reduced" -> "did not significantly reduce".
        start = words[i - 1].start() if prev.endswith("ly") and i > 1 else m.start()
        adverb = sentence[start : m.start()]
        options.append(_replace_at(sentence, start, m.end(), f"{form[0]} not {adverb}{form[1]}"))
    return rng.choice(options) if options else None


# A number standing alone: not part of a name (STAT3, CD4+) nor of a chemical (25-hydroxyvitamin).
_NUMBER = re.compile(r"(?<![\w.\-+/])(\d+(?:[.,]\d+)?)(?![\w.,]?\d)(?!\w)(?!-[A-Za-z]{6,})")
_UNITS = _forms("mg:g mg/kg:g/kg mg:µg days:weeks weeks:months months:years hours:days minutes:hours mL:L mm:cm")


def change_number(sentence: str, rng: random.Random, passage: str) -> str | None:
    """One number (or the unit after a number) changed to a value the passage does not state."""
    found = [m for m in _NUMBER.finditer(sentence) if not re.match(r"\s*%\s*(CI|confidence)", sentence[m.end() :])]
    units = [
        m for m in re.finditer(r"(?<=\d )([A-Za-zµ/]+)\b", sentence) if m.group(1) in _UNITS and rng.random() < 0.3
    ]
    if units:
        m = rng.choice(units)
        return _replace_at(sentence, m.start(), m.end(), rng.choice(_UNITS[m.group(1)]))
    rng.shuffle(found)
    stated = set(_NUMBER.findall(passage))
    for m in found:
        new = _other_number(m.group(1), rng)
        if new not in stated:
            return _replace_at(sentence, m.start(), m.end(), new)
    return None


def _other_number(value: str, rng: random.Random) -> str:
    if "." in value or "," in value:
        sep = "." if "." in value else ","
        whole, frac = value.split(sep)
        number = float(f"{whole}.{frac}") * rng.choice((0.5, 1.5, 2.0, 3.0))
        return f"{number:.{len(frac)}f}".replace(".", sep)
    n = int(value)
    if 1900 <= n <= 2030:  # a year moves by a few years
        return str(n + rng.choice((-3, -2, 2, 3)))
    candidates = {n * 2, n * 3, n + rng.randint(1, 4), max(0, n - rng.randint(1, 3)), n * 10, n // 2}
    return str(rng.choice(sorted(candidates - {n})))


def swap_entity(sentence: str, rng: random.Random, lexicon: EntityLexicon, passage: str) -> tuple[str, str] | None:
    """(sentence, entity kind) with one disease/drug/gene/cell type/organism swapped for another of its kind."""
    mentions = entity_mentions(sentence)
    rng.shuffle(mentions)
    lowered = passage.lower()
    for kind, start, end in mentions:
        name = sentence[start:end]
        for _ in range(8):
            other = lexicon.sample(kind, rng)
            if other and other.lower() != name.lower() and other.lower() not in lowered:
                return _replace_at(sentence, start, end, other), kind
    return None


TRAIN_CLAUSES = (
    "in mice", "in elderly patients", "after oral administration", "when given intravenously", "in women",
    "in children", "at high doses", "in a randomized controlled trial", "within 24 hours", "in patients with diabetes",
    "via subcutaneous injection", "in combination with radiotherapy", "independently of age", "only in men",
    "in obese individuals", "after six months of treatment", "particularly in smokers", "in the liver",
    "through a dopamine-dependent mechanism", "in African American patients", "during the first trimester",
    "in hospitalized patients", "after a single dose", "in zebrafish", "in the presence of insulin",
)  # fmt: skip
# Held out of training: the perturbation test set adds only these.
TEST_CLAUSES = (
    "in rats", "in adolescents", "after intramuscular injection", "when applied topically", "in pregnant women",
    "in a phase III trial", "at low doses", "in patients with renal failure", "via inhalation",
    "in combination with chemotherapy", "in postmenopausal women", "especially in Asian populations",
    "after 12 weeks of therapy", "through an NF-kB-dependent pathway", "in the kidney", "in dogs",
)  # fmt: skip


def add_clause(sentence: str, rng: random.Random, clauses: Sequence[str], passage: str) -> str | None:
    """A qualifier the passage never states (a population, a route, a species), at the start or the end."""
    lowered = passage.lower()
    fresh = [c for c in clauses if not all(w in lowered for w in c.lower().split() if len(w) > 3)]
    body = sentence.rstrip()
    if not fresh or not body or len(body) < 20:
        return None
    clause = rng.choice(fresh)
    end = len(body) - 1 if body[-1] in ".!?" else len(body)
    first = body.split()[0]
    if rng.random() < 0.35 and clause.startswith(("in ", "after ", "during ")) and first not in ("Here", "Here,"):
        rest = body if first.isupper() or any(c.isdigit() for c in first) else body[0].lower() + body[1:]
        return f"{clause[0].upper()}{clause[1:]}, {rest}"
    comma = "," if clause.startswith(("particularly", "especially", "independently")) else ""
    return f"{body[:end]}{comma} {clause}{body[end:]}"


__all__ = [
    "CONTRADICTED", "KIND_LABEL", "LABELS", "NOT_FOUND", "SUPPORTED", "TEST_CLAUSES", "TRAIN_CLAUSES",
    "add_clause", "change_number", "flip_direction", "flip_negation", "swap_entity",
]  # fmt: skip
