"""Aliases learned from the documents: "Imiquimod (Imi)", "imatinib mesylate (Gleevec, STI571)".

Two rules, both on a parenthesis after a phrase:
- a definition (Schwartz-Hearst style): one short form whose letters all occur in the preceding
  words and whose first letter starts one of them; the long form is the fewest words that fit;
- a synonym list: two or more comma-separated names, each a synonym of the two words before.
A question that uses either form is expanded with the other, so both retrieve the same passages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_PAREN = re.compile(r"((?:[\w+\-]+[ \t]+){0,6}[\w+\-]+)[ \t]*\(([^()\n]{1,60})\)")
_NAME = re.compile(r"^[A-Za-z][\w\-+]{1,24}$")


def _is_short_form(text: str) -> bool:
    return bool(_NAME.match(text)) and (any(c.isupper() or c.isdigit() for c in text) or len(text) <= 5)


def _long_form(words: list[str], short: str) -> str | None:
    letters = set(short.lower().replace("-", ""))
    for n in range(1, min(len(words), len(short) + 2) + 1):
        candidate = words[-n:]
        text = " ".join(candidate).lower()
        if letters <= set(text) and any(w.lower().startswith(short[0].lower()) for w in candidate):
            return " ".join(candidate) if candidate[0].lower() != short.lower() else None
    return None


def find_aliases(text: str) -> list[tuple[str, str]]:
    """(long form, short form) pairs defined in `text`."""
    pairs: list[tuple[str, str]] = []
    for match in _PAREN.finditer(text):
        words, inside = match.group(1).split(), match.group(2)
        names = [n.strip() for n in re.split(r"[,;]", inside) if n.strip()]
        if len(names) >= 2 and all(_is_short_form(n) for n in names):
            pairs += [(" ".join(words[-2:]), n) for n in names]
        elif len(names) == 1 and _is_short_form(names[0]):
            long = _long_form(words, names[0])
            if long:
                pairs.append((long, names[0]))
    return pairs


class AliasMap:
    """Groups of names for the same thing; `expand` adds the other names found in a question."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._groups: dict[str, set[str]] = defaultdict(set)
        for long, short in pairs:
            group = self._groups[long.lower()] | self._groups[short.lower()] | {long, short}
            for name in group:
                self._groups[name.lower()] = group

    def __len__(self) -> int:
        return len({id(g) for g in self._groups.values()})

    def names(self, name: str) -> set[str]:
        return set(self._groups.get(name.lower(), ()))

    def expand(self, question: str) -> str:
        """The question plus every alias of a name it mentions (whole-word, case-insensitive)."""
        extra: list[str] = []
        lowered = question.lower()
        for key, group in self._groups.items():
            if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", lowered):
                extra += [n for n in sorted(group) if n.lower() not in lowered and n not in extra]
        return f"{question} ({'; '.join(extra)})" if extra else question
