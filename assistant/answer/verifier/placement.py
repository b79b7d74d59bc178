"""Where a direction verb stands: what it acts on and who acts, so that a sentence and a passage unit can be found
to say opposite directions of the same thing by the same agent (`opposed`), or a window to lend one sentence's verb
to the other sentence's object (`borrowed`). The model reads both as support: the unit holds every word of the
sentence. Rules of form; the verbs and their senses are `rewording`'s.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from assistant.answer.terms import key_terms
from assistant.answer.verifier.rewording import TOKEN as _TOKEN
from assistant.answer.verifier.rewording import acts, verb_direction

# What a verb acts on: the next words of its clause that are no article, adverb, preposition or determiner, up to
# another direction verb ("increased IL-6 and decreased IL-10"); two words, or a name among them, identify it.
_CLAUSE_END = re.compile(r"[;:,()\[\]]|\.(?!\d)")
_SENTENCE_END = re.compile(r"[.;!?](?!\d)")
# Where the clause of a verb begins: an absent agent is read there only ("in knockout livers, ..., whereas Acox1 was
# increased": the knockout is not what acts on Acox1); the subject, in the whole sentence before the verb (verbs
# joined by "and" share it).
_CLAUSE_OPEN = re.compile(r"[,:;]|\b(?:whereas|while|but|although)\b", re.I)
_SKIPPED = frozenset(
    "a an the of in on to for by with at from into onto than and or their its his her this these that those both our"
    " whereas while but also further then still thus therefore significantly markedly".split()
)
_BE = re.compile(r"\b(?:is|are|was|were|be|been|being)\s+(?:(?:\w+ly|also|further|then|still|thus)\s+)?$", re.I)
_NEGATED = re.compile(r"\b(?:not|no|never|without|nor|neither|failed\s+to)\W+(?:[\w-]+\W+){0,2}$", re.I)
# An agent stated by its absence acts the other way round: "knockdown of SIRT1 increased p53 acetylation" says that
# SIRT1 lowers it.
_ABSENT = frozenset(
    "knockdown knockout knock-out silencing silenced deletion deleted deficiency deficient loss lacking lack "
    "depletion depleted absence inhibition blockade null".split()
)
_OBJECT_WORDS = 2


class Placed(NamedTuple):
    direction: str  # up or down
    thing: tuple[str, ...]  # what it acts on: its first words, lower-cased
    names: frozenset[str]  # the names among them (key terms that start with a letter; numbers are no names)
    subject: str  # the word before the verb
    before: frozenset[str]  # the words of its sentence before it, lower-cased
    absent: bool  # its clause names an agent by its absence ("knockdown of SIRT1 increased ...")


# Nouns that end as adverbs do, kept ("the supply of oxygen").
_LY_NOUNS = frozenset("supply family assembly anomaly reply monopoly italy july".split())


def _kept(words: list[str]) -> list[str]:
    """The words that name what a verb acts on: no article, preposition, determiner or adverb."""
    return [w for w in words if w.lower() not in _SKIPPED and (not w.lower().endswith("ly") or w.lower() in _LY_NOUNS)]


def _acted_on(text: str, m: re.Match[str]) -> list[str]:
    """The words after the verb at `m`, up to another direction verb; for a passive ("Cpt1a was increased"), the
    last words of its clause before the auxiliary."""
    passive = _BE.search(text[: m.start()])
    if passive:
        return _kept(_TOKEN.findall(_CLAUSE_END.split(text[: passive.start()])[-1]))[-_OBJECT_WORDS:]
    after = _TOKEN.findall(_CLAUSE_END.split(text[m.end() :], maxsplit=1)[0])
    cut = next((k for k, w in enumerate(after) if verb_direction(w)), len(after))
    return _kept(after[:cut])[:_OBJECT_WORDS]


def placed(text: str) -> list[Placed]:
    """Each unnegated direction verb of `text` that states a finding, with what it acts on (a verb with nothing
    after it is left out)."""
    tokens = list(_TOKEN.finditer(text))
    out = []
    for i, m in enumerate(tokens):
        direction = verb_direction(m.group())
        if not direction or not acts(text, m) or _NEGATED.search(text[: m.start()]):
            continue
        thing = _acted_on(text, m)
        if thing:
            names = frozenset(t for t in key_terms(" ".join(thing)) if t[0].isalpha())
            sentence = _SENTENCE_END.split(text[: m.start()])[-1]
            before = frozenset(w.lower() for w in _TOKEN.findall(sentence))
            absent = bool(_ABSENT.intersection(w.lower() for w in _TOKEN.findall(_CLAUSE_OPEN.split(sentence)[-1])))
            subject = tokens[i - 1].group().lower() if i else ""
            out.append(Placed(direction, tuple(w.lower() for w in thing), names, subject, before, absent))
    return out


def _after(name: str, thing: tuple[str, ...]) -> str:
    k = thing.index(name)
    return thing[k + 1] if k + 1 < len(thing) else ""


def same_thing(a: Placed, b: Placed) -> bool:
    """The same object: the same first words, or a name of both followed by the same word ("interleukin-10" and
    "interleukin-10 by"; not "VEGF signalling" and "plasma VEGF")."""
    if a.thing == b.thing:
        return True
    return any(_after(n, a.thing) == _after(n, b.thing) for n in a.names & b.names)


def opposed(premise: str, hypothesis: str) -> bool:
    """A verb of the hypothesis whose object the premise places only under verbs of the opposite direction, each
    with the hypothesis's subject before it in its sentence and no absent agent in its clause ("knockdown of"):
    "imatinib weakened antitumor immune responses" against "imatinib mesylate significantly enhanced antitumor immune
    responses". Negated verbs count on neither side. "Curcumin reduced LPS-induced TNF secretion" is not opposed by
    "LPS increased TNF secretion": curcumin does not act there."""
    there = placed(premise)
    for said in placed(hypothesis):
        if said.absent:
            continue
        acting = [p for p in there if same_thing(p, said) and said.subject in p.before and not p.absent]
        if acting and {p.direction for p in acting} == {"down" if said.direction == "up" else "up"}:
            return True
    return False


def borrowed(sentences: list[str], hypothesis: str) -> bool:
    """A window that lends one sentence's direction verb to the other sentence's object: no sentence places a verb
    of the hypothesis's direction before its object, one places such a verb before something else, and the object
    is in another sentence, which writes a verb of the opposite direction ("LGG enhanced intestinal permeability"
    from "LGG enhanced the expression of tight junction proteins." and "Intestinal permeability ... was halved in
    LGG-treated mice."). A change told with a verb not known here ("fell", "declined") leaves it to the model."""
    at = [placed(s) for s in sentences]
    words = [[w.lower() for w in _TOKEN.findall(s)] for s in sentences]
    for said in placed(hypothesis):
        same = [[p for p in ps if p.direction == said.direction] for ps in at]
        if any(same_thing(p, said) for ps in same for p in ps):
            continue
        verb_in = {k for k, ps in enumerate(same) if ps}
        opposite = {k for k, ws in enumerate(words) if any(verb_direction(w) not in (None, said.direction) for w in ws)}
        thing_in = {k for k, ws in enumerate(words) if said.thing[0] in ws} & opposite
        if verb_in and thing_in and not verb_in & thing_in:
            return True
    return False
