"""The gold sets (`eval/gold/*.jsonl`), read through `load_gold`: schema rules, and that every piece of evidence is
in the cleaned seed documents."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from assistant.evaluation.gold import GOLD_DIR, GoldRecord, load_gold
from assistant.ingest.documents import load_document
from assistant.models import Document
from tests.conftest import SEEDS

KINDS = {
    "mechanism",
    "factual",
    "date_venue",
    "both_documents",
    "paraphrase",
    "abbreviation",
    "negation",
    "unanswerable",
}
METADATA_FIELDS = {"title", "authors", "journal", "year", "pages", "published"}
REQUIRED_QUESTIONS = {
    "how does imiquimod activate dendritic cells",
    "what does imatinib do to regulatory T cells",
}
SPLITS = sorted(p.stem for p in GOLD_DIR.glob("*.jsonl"))
MIN_RECORDS = {"tune": 40, "heldout": 60, "tune_paraphrase": 60}
MIN_UNANSWERABLE = {"tune": 10, "heldout": 15, "tune_paraphrase": 18}
# Id prefix of the paraphrase tune split (`eval/gold/README.md`, Splits).
ID_PREFIXES = {"tune_paraphrase": "tp-"}
MAX_METADATA_ONLY = 4


@cache
def _records(split: str) -> tuple[GoldRecord, ...]:
    return tuple(load_gold(GOLD_DIR / f"{split}.jsonl"))


def _all() -> list[tuple[str, GoldRecord]]:
    return [(split, r) for split in SPLITS for r in _records(split)]


@cache
def _document(source: str) -> Document:
    return load_document(SEEDS / source)


def _metadata_text(source: str, name: str) -> str:
    value = getattr(_document(source).metadata, name)
    if value is None:
        return ""
    return ", ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _matches(fact: tuple[str, ...], text: str) -> bool:
    return any(phrase.lower() in text.lower() for phrase in fact)


def test_all_splits_exist() -> None:
    assert {"tune", "heldout", "tune_paraphrase"} <= set(SPLITS)


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_is_big_enough_and_uses_every_kind(split: str) -> None:
    records = _records(split)
    assert len(records) >= MIN_RECORDS.get(split, 1)
    assert sum(not r.answerable for r in records) >= MIN_UNANSWERABLE.get(split, 0)
    assert {r.kind for r in records} == KINDS
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    metadata_only = [r.id for r in records if r.answerable and all(e.metadata for e in r.evidence)]
    assert len(metadata_only) <= MAX_METADATA_ONLY, metadata_only


def test_ids_are_unique_across_splits() -> None:
    ids = [r.id for _, r in _all()]
    assert len(ids) == len(set(ids))


def test_the_example_questions_are_in_the_tune_split() -> None:
    assert {r.question for r in _records("tune")} >= REQUIRED_QUESTIONS


def test_a_malformed_line_names_its_file_and_line(tmp_path: Path) -> None:
    from assistant.errors import InputError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        load_gold(bad)


@pytest.mark.parametrize(("split", "record"), _all(), ids=[f"{s}:{r.id}" for s, r in _all()])
def test_record_schema(split: str, record: GoldRecord) -> None:
    assert record.id and record.question.strip() and record.answer.strip()
    assert record.id.startswith(ID_PREFIXES.get(split, "")), record.id
    assert record.kind in KINDS
    if not record.answerable:
        assert record.kind == "unanswerable" and record.key_facts == () and record.evidence == ()
        return
    assert record.kind != "unanswerable"
    assert 1 <= len(record.key_facts) <= 3
    for fact in record.key_facts:
        assert fact and all(p.strip() for p in fact), fact
        assert _matches(fact, record.answer), f"reference answer lacks key fact {fact}"
    assert record.evidence
    for item in record.evidence:
        assert (SEEDS / item.source).is_file(), item
        assert (item.sentence is None) != (item.metadata is None), item
        assert item.metadata is None or item.metadata in METADATA_FIELDS, item
    if record.kind == "both_documents":
        assert len({e.source for e in record.evidence}) >= 2


@pytest.mark.parametrize(("split", "record"), _all(), ids=[f"{s}:{r.id}" for s, r in _all()])
def test_evidence_is_in_the_cleaned_documents(split: str, record: GoldRecord) -> None:
    found = []
    for item in record.evidence:
        if item.sentence is not None:
            text = _document(item.source).text
            assert item.sentence in text, f"not verbatim in cleaned {item.source}: {item.sentence!r}"
            found.append(item.sentence)
        else:
            assert item.metadata is not None
            value = _metadata_text(item.source, item.metadata)
            assert value.strip(), f"metadata field {item.metadata!r} of {item.source} is empty"
            found.append(value)
    for fact in record.key_facts:
        assert _matches(fact, "\n".join(found)), f"no phrasing of {fact} occurs in the evidence"
