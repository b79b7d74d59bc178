"""Prompt templates live as files in `prompts/`; each is checked for exactly its placeholders."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.errors import AssistantError

# The fixed opening of every refusal; tests and clients may match on it.
REFUSAL_PHRASE = "The indexed documents do not contain an answer to this question."

# template name -> the placeholders it must use, no more and no fewer.
TEMPLATES: dict[str, frozenset[str]] = {
    "refusal": frozenset({"refusal_phrase", "nearest"}),
    "answer": frozenset({"question", "passages", "refusal_phrase"}),
    "condense": frozenset({"history", "question"}),
}


@dataclass(frozen=True)
class Prompt:
    name: str
    template: str

    def render(self, **values: str) -> str:
        return self.template.format(**values)


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@lru_cache(maxsize=32)
def load_prompt(folder: Path, name: str) -> Prompt:
    path = folder / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8").strip("\n")
    except OSError as exc:
        raise AssistantError(f"prompt template {path} cannot be read: {exc.strerror}") from exc
    expected = TEMPLATES[name]
    try:
        found = placeholders(text)
    except ValueError as exc:
        raise AssistantError(f"prompt template {path} is malformed: {exc}") from exc
    if found != expected:
        raise AssistantError(f"prompt template {path} must use placeholders {sorted(expected)}, found {sorted(found)}")
    return Prompt(name, text)


def check_prompts(folder: Path) -> None:
    """Load every known template once, so a broken file fails at start-up, not mid-answer."""
    for name in TEMPLATES:
        load_prompt(folder, name)
