"""A direction verb said with another verb: the same sense (a faithful rewording) or the opposite one.

An answer seldom repeats a paper's own verb: "elevated" for "increased", "suppressed" for "inhibited", "blunted" for
"attenuated". A verifier trained only on exact antonym flips ("increased" -> "decreased") learns that any other verb
in that place means a contradiction, and calls a faithful rewording contradicted. Each sense below is a set of
verbs a biomedical abstract uses alike (general English, written before any run, none taken from the gold questions
or the test sets); `reword` swaps one verb for another of its sense (supported), `reword_opposite` for one of the
opposite sense (contradicted), in the same grammatical form, so that the word itself is no shortcut either way.
Amounts ("decreased levels") and activities ("inhibited signalling") are kept apart: within each, the verbs are
interchangeable, across them not always ("inhibited the receptor" is not "reduced the receptor"). At run time
`align` writes a verb of the sentence checked as its passage writes the same sense in the same place, so the model
reads the passage's own verb; the two training kinds are for a stage that would teach the model the same.
"""

from __future__ import annotations

import random
import re

# Sense -> lemmas, read in their inflected forms only (`inflections`: "lowered", "lowers", "lowering", never the
# bare "lower", an adjective). Left out: "raise" ("raised concerns"), "amplify" (a PCR step).
_SENSES: dict[str, tuple[str, ...]] = {
    "less": ("decrease", "reduce", "diminish", "lessen", "lower", "downregulate"),
    "more": ("increase", "elevate", "heighten", "upregulate"),
    "weaker": ("inhibit", "suppress", "attenuate", "impair", "blunt", "dampen"),
    "stronger": ("enhance", "augment", "boost", "potentiate"),
}
_OPPOSITE = {"less": "more", "more": "less", "weaker": "stronger", "stronger": "weaker"}
# The other sense of the same direction: "reduced" for "inhibited" may not say the same thing, but never the opposite.
_ACROSS = {"less": "weaker", "weaker": "less", "more": "stronger", "stronger": "more"}
_DIRECTION = {"less": "down", "weaker": "down", "more": "up", "stronger": "up"}


def inflections(lemma: str) -> dict[str, str]:
    """A regular verb's past (and participle), third person and -ing forms: the forms a finding is stated in."""
    if lemma.endswith("e"):
        return {"past": lemma + "d", "third": lemma + "s", "ing": lemma[:-1] + "ing"}
    third = lemma + ("es" if lemma.endswith(("sh", "ch", "ss")) else "s")
    return {"past": lemma + "ed", "third": third, "ing": lemma + "ing"}


def _forms(senses: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, str, str]]:
    return {
        word: (sense, form, lemma)
        for sense, lemmas in senses.items()
        for lemma in lemmas
        for form, word in inflections(lemma).items()
    }


# Verbs read at run time (aligned, placed) but never drawn for training, so that the rewordings the README's stage-6
# runs drew stay as they were; added after outside testers' sentences ("weakened", "raises", "blocks") were read
# against the passage's own verb of their sense as a contradiction, or as no reversal.
_READ_ONLY: dict[str, tuple[str, ...]] = {
    "weaker": ("weaken", "block"), "stronger": ("strengthen",), "more": ("raise", "double"), "less": ("halve",),
}  # fmt: skip
# word -> (sense, form, lemma); (sense, form) -> words.
_DRAWN = _forms(_SENSES)
_WORDS = _DRAWN | _forms(_READ_ONLY)
_BY_FORM: dict[tuple[str, str], list[str]] = {}
for _word, (_sense, _form, _) in _DRAWN.items():
    _BY_FORM.setdefault((_sense, _form), []).append(_word)

# Uses that are no finding's verb, left alone: a participle after an adverb is a fixed adjective ("visually
# impaired"), an -s form before "in"/"of" a plural noun ("increases in dose"), an -ing form without an object an
# adjective ("increasing age").
_ADJECTIVAL = re.compile(r"\w+ly\s+$")
_NOUN_AFTER = re.compile(r"\s+(?:in|of)\b")
_OBJECT_AFTER = re.compile(r"\s+(?:the|a|an|its|their|this|these|both)\b", re.I)


def _free(sentence: str, m: re.Match[str]) -> bool:
    form = _WORDS[m.group().lower()][1]
    after = sentence[m.end() :]
    if form == "third" and _NOUN_AFTER.match(after):
        return False
    if form == "ing" and not _OBJECT_AFTER.match(after):
        return False
    return not _ADJECTIVAL.search(sentence[: m.start()])


# A word as the direction-verb rules read it (`placement` reads the same).
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")


def _case_like(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _swap(sentence: str, rng: random.Random, target_of: dict[str, str] | None) -> str | None:
    # Letters only: the pattern the README's two stage-6 runs drew their pairs with, kept so that they reproduce.
    spots = [
        m for m in re.finditer(r"[A-Za-z][A-Za-z\-]*", sentence) if m.group().lower() in _DRAWN and _free(sentence, m)
    ]
    if not spots:
        return None
    m = rng.choice(spots)
    sense, form, lemma = _WORDS[m.group().lower()]
    target = target_of[sense] if target_of else sense
    choices = [w for w in _BY_FORM[(target, form)] if _WORDS[w][2] != lemma]
    new = _case_like(rng.choice(choices), m.group())
    return sentence[: m.start()] + new + sentence[m.end() :]


def reword(sentence: str, rng: random.Random) -> str | None:
    """One direction verb replaced by another of the same sense ("increased" -> "elevated"), or None."""
    return _swap(sentence, rng, None)


def reword_opposite(sentence: str, rng: random.Random) -> str | None:
    """One direction verb replaced by one of the opposite sense ("inhibited" -> "boosted"), or None."""
    return _swap(sentence, rng, _OPPOSITE)


def present(sentence: str, rng: random.Random, sense: str = "same") -> str | None:
    """One direction verb in the past form put in the present ("reduced" -> "reduces"; `sense` "opposite": a verb of
    the opposite sense, "increases"), or None: a claim states as a general truth what an abstract reports done."""
    spots = _past_verbs(sentence)
    if not spots:
        return None
    m = rng.choice(spots)
    verb, _, lemma = _WORDS[m.group().lower()]
    if sense == "opposite":
        lemma = _WORDS[rng.choice(_BY_FORM[(_OPPOSITE[verb], "past")])][2]
    return sentence[: m.start()] + _case_like(inflections(lemma)["third"], m.group()) + sentence[m.end() :]


def plural_present(sentence: str, rng: random.Random, sense: str = "same") -> str | None:
    """A plural subject's past-tense direction verb said in the bare present with another verb of its sense
    ("corticosteroids decreased" -> "corticosteroids lower"; `sense` "opposite": "increase"), or None."""
    spots = [m for m in _past_verbs(sentence) if _after_plural(sentence[: m.start()])]
    if not spots:
        return None
    m = rng.choice(spots)
    verb, _, lemma = _WORDS[m.group().lower()]
    target = _OPPOSITE[verb] if sense == "opposite" else verb
    choice = rng.choice([other for other in _SENSES[target] if other != lemma])
    return sentence[: m.start()] + _case_like(choice, m.group()) + sentence[m.end() :]


# A bare form ("lower", "increase") is an adjective or a noun as often as a verb, so it is not among the forms above
# (nor drawn for training); at run time it is read as a verb after a plural subject ("corticosteroids lower IL-6")
# with no preposition or end after it ("increase in dose").
_BARE: dict[str, tuple[str, str, str]] = {
    lemma: (sense, "bare", lemma) for sense, lemmas in _SENSES.items() for lemma in lemmas
}
_PLURAL = re.compile(r"(?:\b(?:they|we)|\b\w{2,}[^su\W]s)\s+$", re.I)
_NOT_SUBJECT = re.compile(r"\b(?:this|its|has|was|does|thus|perhaps|whereas|is)\s+$", re.I)
_BARE_AFTER = re.compile(r"\s*(?:$|[.,;:)]|(?:in|of|to|than|for|with|and|or|by)\b)", re.I)


def _bare(sentence: str, m: re.Match[str]) -> tuple[str, str, str] | None:
    """(sense, "bare", lemma) where `m` is a bare direction verb after a plural subject, else None."""
    verb = _BARE.get(m.group().lower())
    if not verb or not _after_plural(sentence[: m.start()]) or _BARE_AFTER.match(sentence[m.end() :]):
        return None
    return verb


def _after_plural(before: str) -> bool:
    return bool(_PLURAL.search(before)) and not _NOT_SUBJECT.search(before)


def _past_verbs(sentence: str) -> list[re.Match[str]]:
    """The direction verbs the sentence says in the past tense of a finding (not a participle after an auxiliary or
    an adverb)."""
    return [
        m for m in TOKEN.finditer(sentence)
        if _DRAWN.get(m.group().lower(), ("", "", ""))[1] == "past" and _free(sentence, m)
        and not _PASSIVE.search(sentence[: m.start()])
    ]  # fmt: skip


# A participle after an auxiliary ("was reduced", "have increased") is no past tense to put in the present.
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being|has|have|had)\s+(?:\w+ly\s+)?$", re.I)
# The finite forms a finding is told in; a claim's present ("reduces") and a report's past ("reduced") are one
# finding, and `align(tense=True)` writes the passage's.
_FINITE = ("past", "third")


def reword_across(sentence: str, rng: random.Random) -> str | None:
    """One direction verb replaced by one of the other sense of its direction ("inhibited" -> "reduced"), or None:
    no contradiction, whether or not the passage says the same."""
    return _swap(sentence, rng, _ACROSS)


_FILLER = re.compile(r"(?:the|an?|\w+ly)$")


def neighbours(words: list[str], i: int) -> tuple[str, str]:
    """The words before and after `words[i]` that mark its place, an article or an adverb passed over ("significantly
    reduced the activation" stands between the words before it and "activation"); "" at either end."""
    before = next((w for w in reversed(words[:i]) if not _FILLER.match(w)), "")
    after = next((w for w in words[i + 1 :] if not _FILLER.match(w)), "")
    return before, after


def align(hypothesis: str, premise: str, *, across: bool = False, tense: bool = False, bare: bool = False) -> str:
    """The hypothesis with each direction verb that the premise says in the same place with another verb of the same
    sense written as the premise writes it ("an elevated risk" -> "an increased risk" where the premise says "an
    increased risk"), in the hypothesis's form. The same place: the word before or after the verb is the same in
    both (`neighbours`: articles and adverbs passed over). A verb of the opposite sense is never touched, nor one
    whose slot the premise fills with another sense: the model then judges the claim's direction, not the author's
    choice of verb (which it reads as a contradiction otherwise). `across`: a verb of the other sense of the same
    direction too ("reduced" where the premise says "inhibited"), to tell whether a contradiction rests on the
    choice of verb alone; then a word beside premise verbs of both directions ("suppressed on wheel days and
    elevated on non-wheel days") marks no place. `tense`: a finite verb so placed is also written in the premise's
    tense ("impairs" -> "impaired"). `bare`: a bare verb after a plural subject counts too (`_bare`)."""

    def key(sense: str) -> str:
        return _DIRECTION[sense] if across else sense

    # (sense or direction, a neighbouring word) -> the premise's lemma and form
    slots: dict[tuple[str, str], tuple[str, str]] = {}
    beside: dict[str, set[str]] = {}  # a neighbouring word -> the directions of the premise verbs it stands beside
    found_in = list(TOKEN.finditer(premise))
    words = [m.group().lower() for m in found_in]
    for i, word in enumerate(words):
        verb = _WORDS.get(word) or (_bare(premise, found_in[i]) if bare else None)
        if verb:
            sense, form, lemma = verb
            for near in neighbours(words, i):
                slots.setdefault((key(sense), near), (lemma, form))
                beside.setdefault(near, set()).add(_DIRECTION[sense])
    places = {slot: lemma for slot, lemma in slots.items() if not across or len(beside[slot[1]]) == 1}
    tokens = list(TOKEN.finditer(hypothesis))
    said = [t.group().lower() for t in tokens]

    def written(k: int, m: re.Match[str]) -> str:
        verb = _WORDS.get(said[k]) if said[k] in _WORDS and _free(hypothesis, m) else None
        sense, form, lemma = verb or (_bare(hypothesis, m) if bare else None) or ("", "", "")
        if not sense:
            return m.group()
        around = neighbours(said, k)
        found, theirs = next((places[(key(sense), w)] for w in around if (key(sense), w) in places), (lemma, form))
        # A plural's bare present ("corticosteroids lower") takes a past, not a third person.
        finite = theirs in _FINITE and (form != "bare" or theirs == "past")
        if tense and form in (*_FINITE, "bare") and finite and not _PASSIVE.search(hypothesis[: m.start()]):
            form = theirs
        return _case_like(found if form == "bare" else inflections(found)[form], m.group())

    out, last = [], 0
    for k, m in enumerate(tokens):
        out += [hypothesis[last : m.start()], written(k, m)]
        last = m.end()
    return "".join(out) + hypothesis[last:]


def verb_direction(word: str) -> str | None:
    """ "up" or "down" for a direction verb in one of its inflected forms ("lowered", "boosts"), else None."""
    verb = _WORDS.get(word.lower())
    return _DIRECTION[verb[0]] if verb else None


# After an adverb, a participle is an adjective only after an article ("the visually impaired"); "imatinib
# significantly enhanced antitumor responses" is a finding's verb.
_ADJECTIVE_AFTER_ARTICLE = re.compile(r"\b(?:a|an|the)\s+\w+ly\s+$", re.I)


def acts(text: str, m: re.Match[str]) -> bool:
    """Whether the direction verb at `m` is a finding's verb (`_free`, or a participle after an adverb that no
    article precedes)."""
    before = text[: m.start()]
    return _free(text, m) or (bool(_ADJECTIVAL.search(before)) and not _ADJECTIVE_AFTER_ARTICLE.search(before))
