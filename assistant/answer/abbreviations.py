"""Abbreviations a question uses that its passages spell out but never define: "DCs" where the passages say
"dendritic cells", "TKI" where they say "tyrosine kinase inhibitor".

The corpus's aliases (`assistant.text.aliases`) hold the short forms a document defines in a parenthesis; a reader
also abbreviates what the paper never did. Such a short form is looked for, written out, in the passages retrieved
for the question, as Schwartz and Hearst (2003) match a definition but without the parenthesis: a run of words each
starting with the next letter of the short form, the letters that start no word found in order inside the word
before ("GIST": gastrointestinal stromal tumors), every letter used. A run in which every letter starts a word is
preferred to one that reads a letter inside a word; then the run found most often. The answer step reads the pair as
an alias of the question (the term overlap, the gate's term checks); retrieval does not.

A reader also names a drug otherwise than the paper: "Glivec" where it says "imatinib mesylate". A name of the
question that the answer's name lexicons know (`assistant.text.lexicons`, not a class of things) and that no
passage writes is read the same way, as the name under the same key that the passages write most.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from assistant.answer.lexicon import FUNCTION_WORDS
from assistant.text.aliases import AliasMap, named_runs
from assistant.text.lexicons import NameLexicon

_ABBREVIATION = re.compile(r"[A-Z][A-Za-z]{1,7}")  # letters only: "IL-2" and "TLR7" are names, not abbreviations
_ROMAN = re.compile(r"[IVX]+")  # phase II, type I, complex IV
_QUESTION_WORD = re.compile(r"(?<![\w\-+/])[A-Za-z]+(?![\w\-+/])")
_PASSAGE_WORD = re.compile(r"[A-Za-z]+")
_JOIN = re.compile(r"[ \t\-‐‑–]+")  # what may stand between the words of a long form


def letters_of(word: str) -> str | None:
    """The letters an abbreviation spells, lower-cased, its plural "s" left out ("DCs" -> "dc"), or None when the
    word is no abbreviation (fewer than two capitals, a digit or a sign in it, more than eight letters, a Roman
    numeral)."""
    core = word[:-1] if len(word) > 2 and word.endswith("s") and word[-2].isupper() else word
    if not _ABBREVIATION.fullmatch(core) or _ROMAN.fullmatch(core) or sum(c.isupper() for c in core) < 2:
        return None
    return core.lower()


def _in_order(letters: str, word: str) -> bool:
    found = iter(word)
    return all(c in found for c in letters)


def _spells(letters: str, run: Sequence[str]) -> bool:
    """Whether the words of `run`, each starting with the next letter, spell `letters` with every letter used."""
    if not run or not letters:
        return not run and not letters
    word = run[0].lower()
    if word[0] != letters[0]:
        return False
    for inner in range(len(letters)):  # how many of the following letters this word holds inside
        if inner and not _in_order(letters[1 : 1 + inner], word[1:]):
            return False
        if _spells(letters[1 + inner :], run[1:]):
            return True
    return False


def _long_forms(letters: str, text: str) -> list[tuple[int, str]]:
    """(words, the run as written) for each run of `text` that spells `letters`: every letter starting a word, or
    one letter inside a word when the run has three words or more ("GIST"; two words spelling three letters, as
    "tumour killers" spells "TKI", are too loose a match without a definition's parenthesis)."""
    found = []
    matches = list(_PASSAGE_WORD.finditer(text))
    for i, first in enumerate(matches):
        if first.group()[0].lower() != letters[0] or first.group().lower() in FUNCTION_WORDS:
            continue
        for n in (len(letters) - 1, len(letters)) if len(letters) > 3 else (len(letters),):
            run = matches[i : i + n]
            if len(run) < n or not all(_JOIN.fullmatch(text[a.end() : b.start()]) for a, b in pairwise(run)):
                break
            words = [m.group() for m in run]
            if words[-1].lower() not in FUNCTION_WORDS and _spells(letters, words):
                found.append((n, text[first.start() : run[-1].end()]))
    return found


@dataclass(frozen=True)
class SpelledOut:
    """The question's abbreviations and the long forms its passages spell for them; its names that the passages
    write under another name of the same thing."""

    pairs: tuple[tuple[str, str], ...] = ()  # (short form as the question writes it, long form as a passage does)
    names: tuple[tuple[str, str], ...] = ()  # (name as the question writes it, the passages' name, lower-cased)

    @classmethod
    def find(
        cls,
        question: str,
        texts: Sequence[str],
        aliases: AliasMap,
        lexicons: Sequence[NameLexicon] = (),
        *,
        abbreviations: bool = True,
    ) -> SpelledOut:
        """With `abbreviations`, those of the question's abbreviations that the corpus's aliases do not know and no
        text writes; the question's names in `lexicons` that no text writes (`_renamed`)."""
        spelled = _spelled(question, texts, aliases) if abbreviations else ()
        return cls(spelled, _renamed(question, texts, lexicons))

    def expand(self, base: Callable[[str], str]) -> Callable[[str], str]:
        """`base` (the corpus's aliases), then each pair's other form beside the one a text holds."""
        if not self.pairs and not self.names:
            return base

        def expand(text: str) -> str:
            out = base(text)
            lowered, said = out.lower(), text.lower()
            extra = [
                other
                for short, long in self.pairs
                for held, other in ((_writes(text, short), long), (long in said, short))
                if held and other.lower() not in lowered
            ]
            extra += [
                other
                for ours, theirs in self.names
                for held, other in ((_says(said, ours.lower()), theirs), (_says(said, theirs), ours))
                if held and other.lower() not in lowered and other not in extra
            ]
            return f"{out} ({'; '.join(extra)})" if extra else out

        return expand

    def written_out(self, question: str) -> str:
        """The question with each abbreviation written as its long form and each name as its passages write it
        (the term overlap and the question's vector: a form its document never writes would weigh as a term that
        no sentence holds)."""
        for short, long in self.pairs:
            question = re.sub(rf"(?<![\w\-+/]){re.escape(short)}(?![\w\-+/])", _literal(long), question)
        for ours, theirs in self.names:
            question = re.sub(rf"(?<![\w\-+]){re.escape(ours)}(?![\w\-+])", _literal(theirs), question, flags=re.I)
        return question


def named_as_in(
    sentence: str, text: str, aliases: AliasMap, lexicons: Sequence[NameLexicon], *, abbreviations: bool
) -> str:
    """`sentence` as `text` would write it: with `abbreviations`, each of its abbreviations that `text` spells out
    written out ("TLRs" against "toll-like receptors"), and each of its lexicon names that `text` writes under another
    name written as `text` does (a claim checked against one passage: "Glivec impaired ..." read against a passage on
    imatinib mesylate)."""
    return SpelledOut.find(sentence, [text], aliases, lexicons, abbreviations=abbreviations).written_out(sentence)


def _spelled(question: str, texts: Sequence[str], aliases: AliasMap) -> tuple[tuple[str, str], ...]:
    """(short form, long form) for the question's abbreviations that the corpus's aliases do not know and no text
    writes (none in a question written in capitals throughout, whose every word would look like one)."""
    pairs: list[tuple[str, str]] = []
    if question.isupper():
        return ()
    for word in dict.fromkeys(m.group() for m in _QUESTION_WORD.finditer(question)):
        letters = letters_of(word)
        if letters is None or aliases.names(word) or any(_writes(t, word) for t in texts):
            continue
        counts: Counter[tuple[int, str]] = Counter()
        for text in texts:
            counts.update((n, run.lower()) for n, run in _long_forms(letters, text))
        if counts:
            best = max(counts, key=lambda k: (k[0], counts[k]))  # first found among equals (Counter keeps order)
            pairs.append((word, best[1]))
    return tuple(pairs)


def _renamed(question: str, texts: Sequence[str], lexicons: Sequence[NameLexicon]) -> tuple[tuple[str, str], ...]:
    """(name as the question writes it, the name under its key that the texts write most, lower-cased) for each name
    of one thing in the question (`named_runs`: not a class, "tyrosine kinase inhibitors", which a passage names by a
    member) that no text writes."""
    if not lexicons:
        return ()
    said = [t.lower() for t in texts]
    asked = {run: key for run, key in named_runs(question, lexicons) if not any(_says(t, run.lower()) for t in said)}
    if not asked:
        return ()
    written = Counter((key, run.lower()) for text in texts for run, key in named_runs(text, lexicons))
    pairs = []
    for run, key in asked.items():
        theirs = [(n, name) for (k, name), n in written.items() if k == key]
        if theirs:
            pairs.append((run, max(theirs, key=lambda t: t[0])[1]))  # first written among equals
    return tuple(pairs)


def _literal(replacement: str) -> str:
    """`replacement` for `re.sub`, its backslashes written as themselves."""
    return replacement.replace("\\", "\\\\")


def _says(lowered: str, name: str) -> bool:
    """Whether a lower-cased text says a lower-cased name as whole words (a name ends at a slash: "Gleevec/Treg")."""
    return re.search(rf"(?<![\w\-+]){re.escape(name)}(?![\w\-+])", lowered) is not None


def _writes(text: str, short: str) -> bool:
    """Whether `text` writes the short form: with its case, as a word or a part of one ("TCR-induced"), or as the
    whole text in any case (the gate looks up one lower-cased term at a time)."""
    if text.strip().lower() == short.lower():
        return True
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(short)}(?![A-Za-z0-9])", text) is not None  # "TCR-induced"
