"""The gold set (`eval/gold/*.jsonl`, schema in `eval/gold/README.md`) as typed, immutable records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.settings import PROJECT_ROOT

GOLD_DIR = PROJECT_ROOT / "eval" / "gold"


@dataclass(frozen=True)
class Evidence:
    """Where a gold answer rests: an exact sentence of a source, or one of its metadata fields."""

    source: str  # seed file name, as `Passage.document.source` and `Citation.source` give it
    sentence: str | None = None
    metadata: str | None = None  # field of DocumentMetadata, when the fact is not in the body text


@dataclass(frozen=True)
class GoldRecord:
    """One gold question. `key_facts` holds, per fact, its accepted phrasings (any one counts)."""

    id: str
    question: str
    answer: str
    answerable: bool
    kind: str
    key_facts: tuple[tuple[str, ...], ...] = ()
    evidence: tuple[Evidence, ...] = ()


def load_gold(path: Path) -> list[GoldRecord]:
    """Records of a JSONL gold file, in file order; a malformed line is an InputError naming it."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(_record(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{n}: not a gold record ({exc})") from exc
    return records


# The seed eval's suite name for the tune split (`assistant eval seeds`, `make eval`, the reports).
SUITE_FILES = {"seeds": "tune"}


def suite_path(suite: str) -> Path:
    """The gold file of a suite: `eval/gold/<name>.jsonl`, "seeds" being the tune split."""
    path = GOLD_DIR / f"{SUITE_FILES.get(suite, suite)}.jsonl"
    if not path.is_file():
        known = sorted(p.stem for p in GOLD_DIR.glob("*.jsonl"))
        raise InputError(f"no gold set named {suite!r}; known: {', '.join(known)}")
    return path


def _record(raw: dict[str, Any]) -> GoldRecord:
    return GoldRecord(
        id=str(raw["id"]),
        question=str(raw["question"]),
        answer=str(raw["answer"]),
        answerable=bool(raw["answerable"]),
        kind=str(raw["kind"]),
        key_facts=tuple(tuple(str(p) for p in fact) for fact in raw["key_facts"]),
        evidence=tuple(Evidence(str(e["source"]), e.get("sentence"), e.get("metadata")) for e in raw["evidence"]),
    )
