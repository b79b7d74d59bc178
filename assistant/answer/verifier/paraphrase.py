"""Faithful paraphrases by rule: the wording changes, the facts do not.

Rules: an alias expanded or contracted ("Treg" <-> "regulatory T cells (Treg)", from the passage's own
definitions), British/American spelling, Greek letters spelled out or back, a leading clause moved to the end,
a meaning-preserving synonym, and dropped hedges, statistics in parentheses, "significantly" and discourse
openers (dropping a qualifier keeps the sentence entailed by its source). `part` writes what a summary
quotes: one part of a sentence that the whole entails (a non-restrictive relative clause as its own sentence, the
main clause without it, a main clause without its trailing or concessive clause).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from assistant.answer.verifier.surface import OPENER, QUALIFIER, STATISTIC

_US_UK = (
    "tumor:tumour tumors:tumours color:colour behavior:behaviour favorable:favourable hemoglobin:haemoglobin "
    "anemia:anaemia leukemia:leukaemia ischemia:ischaemia ischemic:ischaemic edema:oedema estrogen:oestrogen "
    "fetal:foetal fetus:foetus pediatric:paediatric esophageal:oesophageal diarrhea:diarrhoea anesthesia:anaesthesia "
    "hematologic:haematologic hemorrhage:haemorrhage hematopoietic:haematopoietic center:centre fiber:fibre "
    "fibers:fibres liter:litre aging:ageing gray:grey randomized:randomised characterized:characterised "
    "recognized:recognised hospitalized:hospitalised analyze:analyse analyzed:analysed utilize:utilise "
    "minimize:minimise localization:localisation organization:organisation immunized:immunised "
    "stabilization:stabilisation mobilization:mobilisation sensitized:sensitised optimized:optimised "
    "tumorigenesis:tumourigenesis antitumor:antitumour labeled:labelled modeling:modelling"
).split()
_SPELLING = {a: b for pair in _US_UK for a, b in [pair.split(":")]} | {
    b: a for pair in _US_UK for a, b in [pair.split(":")]
}
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "ε": "epsilon", "λ": "lambda"}
_SYNONYMS = (
    "decreased:reduced decreases:reduces showed:demonstrated shows:demonstrates revealed:showed "
    "investigated:examined examined:assessed suggest:indicate suggests:indicates approximately:about "
    "inhibited:suppressed inhibits:suppresses enhanced:augmented higher:greater moreover:furthermore "
    "therefore:thus individuals:persons using:with"
).split()
_SYNONYM = {a: b for pair in _SYNONYMS for a, b in [pair.split(":")]} | {
    b: a for pair in _SYNONYMS for a, b in [pair.split(":")] if b != "with"
}
_PHRASES = {"associated with": "linked to", "compared with": "compared to", "in addition": "additionally"}
_LEADING = re.compile(
    r"^(In|Among|During|After|Before|For|At|Using|Following|Within|Across|Under|Compared with|Compared to)"
    r" ([^,]{3,80}), (.{15,})([.!?])$"
)


def _cap(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _word_map(sentence: str, table: dict[str, str], rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"[A-Za-z][A-Za-z\-]*", sentence) if m.group().lower() in table]
    if not spots:
        return None
    m = rng.choice(spots)
    return sentence[: m.start()] + _cap(table[m.group().lower()], m.group()) + sentence[m.end() :]


def spelling(sentence: str, rng: random.Random) -> str | None:
    return _word_map(sentence, _SPELLING, rng)


def synonym(sentence: str, rng: random.Random) -> str | None:
    lowered = sentence.lower()
    for phrase, other in _PHRASES.items():
        at = lowered.find(phrase)
        if at >= 0 and rng.random() < 0.5:
            return sentence[:at] + _cap(other, sentence[at:]) + sentence[at + len(phrase) :]
    return _word_map(sentence, _SYNONYM, rng)


def greek(sentence: str, rng: random.Random) -> str | None:
    if any(letter in sentence for letter in _GREEK):
        return "".join(_GREEK.get(c, c) for c in sentence)
    spelled = {name: letter for letter, name in _GREEK.items()}
    pattern = re.compile(r"(?<=[A-Za-z0-9]-)(" + "|".join(spelled) + r")\b", re.IGNORECASE)
    changed = pattern.sub(lambda m: spelled[m.group(1).lower()], sentence)
    return changed if changed != sentence else None


def _written_as_is(word: str) -> bool:
    """A word whose case is part of its name ("mRNA", "miR-21", "IL-6"): never re-cased at a sentence's start."""
    return word.isupper() or any(c.isdigit() for c in word) or word[1:] != word[1:].lower()


def reorder(sentence: str, rng: random.Random) -> str | None:
    """'In mice, X rose.' -> 'X rose in mice.'"""
    m = _LEADING.match(sentence.strip())
    if not m:
        return None
    prep, phrase, rest, end = m.groups()
    rest = rest if _written_as_is(rest.split()[0]) else rest[0].upper() + rest[1:]
    return f"{rest[0].upper()}{rest[1:]} {prep[0].lower()}{prep[1:]} {phrase}{end}"


def drop_qualifier(sentence: str, rng: random.Random) -> str | None:
    options = []
    if OPENER.match(sentence):
        rest = OPENER.sub("", sentence)
        options.append(rest[:1].upper() + rest[1:])
    if STATISTIC.search(sentence):
        options.append(STATISTIC.sub("", sentence))
    if QUALIFIER.search(sentence):
        options.append(QUALIFIER.sub("", sentence, count=1))
    return rng.choice(options) if options else None


# A non-restrictive relative clause on a determined noun phrase: "the drug, which is given as a cream, has ...".
_RELATIVE = re.compile(
    r"(?:^|, )(?P<np>(?:[Tt]he|[Tt]his|[Tt]hese|[Tt]hose|[Aa]n?|[Ii]ts|[Tt]heir) [^,;()]{2,60}?), "
    r"(?:which|who) (?P<verb>is|are|was|were|has|have|had|can|may|acts|act|binds|bind) (?P<rest>[^,;()]{5,120}), "
)
# A trailing clause after a comma that the main clause does not depend on; conditions and "respectively" stay, and
# so does "although" (it also joins adjectives: "discrete, although interdependent, regions").
_TRAILING = re.compile(
    r"^(?P<main>.{30,}?), (?:suggesting|indicating|which|whereas|while|but|and thus|thereby|consistent with)\b"
    r"(?P<rest>.{8,})[.!?]$"
)
# A leading concessive clause: "Although A, B." entails B (a condition, "If A, B", does not).
_CONCESSIVE = re.compile(
    r"^(?:Although|Though|While|Whereas|Even though|Despite [^,]{3,80}) [^,]{3,120}, (?P<b>.{25,})$"
)


def _sentence(text: str, end: str = ".") -> str | None:
    text = " ".join(text.split()).strip(" ,;")
    if len(text.split()) < 6:
        return None
    return (text if _written_as_is(text.split()[0]) else text[0].upper() + text[1:]) + end


def part(sentence: str, rng: random.Random) -> str | None:
    """One part of the sentence that the whole entails, or None where no rule applies."""
    end = sentence.rstrip()[-1:] if sentence.rstrip()[-1:] in ".!?" else "."
    options: list[str | None] = []
    m = _RELATIVE.search(sentence)
    if m:
        options.append(_sentence(f"{m['np']} {m['verb']} {m['rest']}", end))
        options.append(_sentence(sentence[: m.start("np")] + m["np"] + " " + sentence[m.end() :].rstrip(".!? "), end))
    m = _TRAILING.match(sentence.strip())
    if m and not re.search(r"\brespectively\b", sentence):
        options.append(_sentence(m["main"], end))
    m = _CONCESSIVE.match(sentence.strip())
    if m:
        options.append(_sentence(m["b"].rstrip(".!? "), end))
    found = [o for o in options if o and o != sentence]
    return rng.choice(found) if found else None


def alias_rule(aliases: Sequence[tuple[str, str]]) -> Callable[[str, random.Random], str | None]:
    """Expand a short form the passage defines, or contract a 'long (short)' pair to one name."""

    def apply(sentence: str, rng: random.Random) -> str | None:
        options = []
        for long, short in aliases:
            both = f"{long} ({short})"
            if both in sentence:
                options += [sentence.replace(both, long, 1), sentence.replace(both, short, 1)]
            elif re.search(rf"(?<![\w\-]){re.escape(short)}(?![\w\-])", sentence) and long not in sentence:
                new = rng.choice((both, long))
                options.append(re.sub(rf"(?<![\w\-]){re.escape(short)}(?![\w\-])", new, sentence, count=1))
        return rng.choice(options) if options else None

    return apply


RULES: tuple[Callable[[str, random.Random], str | None], ...] = (
    spelling, synonym, greek, reorder, drop_qualifier,
)  # fmt: skip


def paraphrase(sentence: str, rng: random.Random, aliases: Sequence[tuple[str, str]] = ()) -> str | None:
    """The sentence with one to three paraphrase rules applied, or None when none applies."""
    rules = [alias_rule(aliases), *RULES]
    rng.shuffle(rules)
    text, applied = sentence, 0
    for rule in rules:
        changed = rule(text, rng)
        if changed and changed != text:
            text, applied = changed, applied + 1
            if applied >= rng.choice((1, 2, 3)):
                break
    return text if applied else None
