"""Aliases learned from the documents: "Imiquimod (Imi)", "imatinib mesylate (Gleevec, STI571)".

Two rules, both on a parenthesis after a phrase:
- a definition: one short form. Its long form is found as Schwartz and Hearst (2003) do: the short form's
  letters matched right to left in the preceding words, its first letter starting a word; failing that
  (reordered forms such as "regulatory T cells (Treg)"), the fewest words holding all its letters whose
  initials give at least two of them;
- a synonym list: two or more comma-separated names, none of them an abbreviation of the words before,
  each a synonym of the two words before ("imatinib mesylate (Gleevec, STI571)").
A question that uses either form is expanded with the other, so both retrieve the same passages.
The pairs are extracted when a document is indexed and stored with it (`Store.learned_aliases`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from assistant.text.lexicons import NameLexicon, names_a_class

# Bumped when the rules below change: aliases stored with an index under older rules are re-extracted.
ALIAS_RULES = 2

# Words of at most 40 characters, starting at a word's start: an unbounded word made each of a 30,000-letter run's
# start positions scan to its end (quadratic; a minute to index such a document, the server stalled meanwhile).
_PAREN = re.compile(r"(?<![\w+\-])((?:[\w+\-]{1,40}[ \t]+){0,8}[\w+\-]{1,40})[ \t]*\(([^()\n]{1,60})\)")
_NAME = re.compile(r"^[A-Za-z][\w\-+]{1,24}$")


def _is_short_form(text: str) -> bool:
    return bool(_NAME.match(text)) and (any(c.isupper() or c.isdigit() for c in text) or len(text) <= 5)


def _schwartz_hearst(words: list[str], short: str) -> str | None:
    """The long form ending the words whose letters spell `short` right to left (Schwartz & Hearst's algorithm)."""
    candidate = " ".join(words[-min(len(short) + 5, 2 * len(short)) :])
    low, chars = candidate.lower(), [c for c in short.lower() if c.isalnum()]
    i = len(low) - 1
    for n, c in enumerate(reversed(chars)):
        first = n == len(chars) - 1
        while i >= 0 and (low[i] != c or (first and i > 0 and low[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
    start = low.rfind(" ", 0, i + 2) + 1
    long = candidate[start:]
    return long if len(long) > len(short) and short.lower() not in long.lower().split() else None


def _by_letters(words: list[str], short: str) -> str | None:
    letters = set(short.lower().replace("-", ""))
    for n in range(2, min(len(words), len(short) + 2) + 1):
        candidate = words[-n:]
        initials = {w[0].lower() for w in candidate}
        spelled = short[0].lower() in initials and len(initials & letters) >= 2
        if spelled and letters <= set(" ".join(candidate).lower()):
            return " ".join(candidate)
    return None


def find_aliases(text: str) -> list[tuple[str, str]]:
    """(long form, short form) pairs defined in `text`."""
    pairs: list[tuple[str, str]] = []
    for match in _PAREN.finditer(text):
        words, inside = match.group(1).split(), match.group(2)
        names = [n.strip() for n in inside.split(",") if n.strip()]
        if len(names) >= 2 and all(_is_short_form(n) for n in names):
            if not any(_schwartz_hearst(words, n) for n in names):  # a list of abbreviations, not synonyms
                pairs += [(" ".join(words[-2:]), n) for n in names]
        elif len(names) == 1 and _is_short_form(names[0]):
            long = _schwartz_hearst(words, names[0]) or _by_letters(words, names[0])
            if long:
                pairs.append((long, names[0]))
    return pairs


class AliasMap:
    """Short forms and the long forms the corpus defines for them; `expand` adds the other names to a text.

    Built for a corpus of thousands of abstracts: names are looked up by the word n-grams of the text
    (not one regex per name), short forms match with their case ("OR" is not "or"), and a short form
    defined several ways expands only to its usual meanings, not to every one of them.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = (), lexicons: Sequence[NameLexicon] = ()) -> None:
        """`lexicons`: general name lexicons (`lexicons.LEXICONS`) whose key names `expand` adds beside the
        corpus's aliases (a text naming "Glivec" gains "imatinib"); `written_as` reads the corpus's only."""
        self.lexicons = tuple(lexicons)
        self._long: dict[str, Counter[str]] = defaultdict(Counter)  # short form -> long forms (as written)
        self._short: dict[str, Counter[str]] = defaultdict(Counter)  # long form, lower-cased -> short forms
        for long, short in pairs:
            self._long[short][long] += 1
            self._short[long.lower()][short] += 1
        # For each word that starts a name (lower-cased), the most words a name starting with it has.
        self._starts: dict[str, int] = {}
        for name in (*self._long, *self._short):
            parts = name.split()
            first = parts[0].lower()
            self._starts[first] = max(len(parts), self._starts.get(first, 0))
        # The answer step expands each candidate sentence several times (selection, answerability, linking).
        self._expanded: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._long)

    def names(self, name: str) -> set[str]:
        """The other names of `name`: its long forms and theirs short forms, or its short forms."""
        found = set(self._short.get(name.lower(), ()))
        for long in self._meanings(name):
            found |= {long, *self._short[long.lower()]}
        return found - {name}

    def _meanings(self, short: str) -> list[str]:
        """The long forms of a short form that at least a third of its definitions use, most used first."""
        counts = self._long.get(short)
        if not counts:
            return []
        total = sum(counts.values())
        return [long for long, n in counts.most_common(_MAX_MEANINGS) if n * 3 >= total]

    def forget(self) -> None:
        """Drop the remembered expansions (benchmarks time questions from cold)."""
        self._expanded.clear()

    def expand(self, text: str) -> str:
        """The text plus every alias of a name it mentions (whole words; long forms in any case), and the key name
        of each name a lexicon knows."""
        found = self._expanded.get(text)
        if found is None:
            if len(self._expanded) >= _MEMO:
                self._expanded.clear()
            found = self._expanded[text] = self._expand(text)
        return found

    def written_as(self, text: str, premise: str) -> str:
        """The text with each name the premise says only by another of its names written as the premise writes it
        ("Treg" where the premise says "Treg" and the text "regulatory T cells"): the claim verifier then reads one
        name in both, where aliases appended to both would give it words the sentences do not say. A text that names
        a thing two ways keeps both."""
        words, lowered, own, out = _WORD.findall(text), premise.lower(), text.lower(), text
        for n, i in reversed(self._runs(words)):  # the longest names first
            run = " ".join(words[i : i + n])
            if _said(run, premise, lowered) or run not in out:
                continue
            others = {name for name in self.names(run) if name.lower() != run.lower()}
            found = sorted(name for name in others if _said(name, premise, lowered))
            # A text naming a thing two ways is about its names ("Imi is short for imiquimod"): left as written.
            if found and not any(_said(name, text, own) for name in others):
                theirs = _as_written(found[0], premise).replace("\\", r"\\")
                out = re.sub(rf"(?<![\w+\-]){re.escape(run)}(?![\w+\-])", theirs, out)
        return out

    def _runs(self, words: list[str]) -> list[tuple[int, int]]:
        """(length, start) of the word runs that start like a name (a text has few: only those are looked up), by
        length, then position."""
        return sorted(
            (n, i)
            for i, word in enumerate(words)
            for n in range(1, min(self._starts.get(word.lower(), 0), len(words) - i) + 1)
        )

    def _expand(self, text: str) -> str:
        words = _WORD.findall(text)
        lowered = text.lower()
        extra: list[str] = []
        for n, i in self._runs(words):
            for name in sorted(self.names(" ".join(words[i : i + n]))):
                if name.lower() not in lowered and name not in extra:
                    extra.append(name)
        extra += [k for k in _keys(words, self.lexicons) if k not in lowered and k not in extra]
        return f"{text} ({'; '.join(extra)})" if extra else text


def _said(name: str, text: str, lowered: str) -> bool:
    """Whether `text` says `name` as a whole word: a short form with its case ("OR" is not "or"), a long one in any."""
    short = _is_short_form(name) and name != name.lower()
    where, what = (text, name) if short else (lowered, name.lower())
    return re.search(rf"(?<![\w+\-]){re.escape(what)}(?![\w+\-])", where) is not None


def _as_written(name: str, text: str) -> str:
    """`name` as `text` writes it (its case there), `name` itself where the text writes it only in another case."""
    m = re.search(rf"(?<![\w+\-]){re.escape(name)}(?![\w+\-])", text, re.I)
    return m.group() if m else name


def lexicon_names(text: str, lexicons: Sequence[NameLexicon]) -> list[str]:
    """The names of one thing in `text` that a lexicon knows, as written ("dasatinib", "imatinib mesylate"; not a
    class, "tyrosine kinase inhibitor"): names that no capital or digit marks as names."""
    return [run for run, _ in named_runs(text, lexicons)]


def named_runs(text: str, lexicons: Sequence[NameLexicon]) -> list[tuple[str, str]]:
    """(name as written, key name) for each name of one thing in `text` that a lexicon knows, in text order
    ("Glivec", "imatinib"; not a class, as `lexicon_names`)."""
    return [(run, key) for run, key in _named_runs(_WORD.findall(text), lexicons) if not names_a_class(key)]


def _keys(words: list[str], lexicons: Sequence[NameLexicon]) -> list[str]:
    """The key names of the word runs of `words` that a lexicon knows, in text order, each once."""
    return list(dict.fromkeys(key for _, key in _named_runs(words, lexicons)))


def _named_runs(words: list[str], lexicons: Sequence[NameLexicon]) -> list[tuple[str, str]]:
    """(run as written, key name) for each word run of `words` that a lexicon knows, in text order; the longest run
    wins, so the "mesylate" of "imatinib mesylate" names no drug of its own."""
    found = []
    for lexicon in lexicons:
        i = 0
        while i < len(words):
            step = 1
            for n in range(min(lexicon.longest, len(words) - i), 0, -1):
                run = " ".join(words[i : i + n])
                key = lexicon.key(run)
                if key is not None:
                    found.append((run, key))
                    step = n
                    break
            i += step
    return found


_WORD = re.compile(r"[\w+\-]+")
_MAX_MEANINGS = 2
_MEMO = 4096  # expansions remembered per map
