"""The gold evaluation set: its schema, and that every piece of evidence is in the cleaned seed documents."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
SEEDS = ROOT / "seeds"

REQUIRED_KEYS = {"id", "question", "answer", "answerable", "kind", "key_facts", "evidence"}
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
MIN_RECORDS = 40
MIN_UNANSWERABLE = 10
MAX_METADATA_ONLY = 4


def _load_gold() -> list[dict[str, Any]]:
    records = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        assert isinstance(record, dict), f"line {n} is not a JSON object"
        records.append(record)
    return records


RECORDS = _load_gold()
ANSWERABLE = [r for r in RECORDS if r.get("answerable") is True]


@cache
def _document(source: str) -> Any:
    from assistant.ingest.documents import load_document

    return load_document(SEEDS / source)


def _metadata_text(source: str, name: str) -> str:
    value = getattr(_document(source).metadata, name)
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _matches(fact: list[str], text: str) -> bool:
    return any(phrase.lower() in text.lower() for phrase in fact)


def test_file_has_enough_records() -> None:
    assert len(RECORDS) >= MIN_RECORDS
    assert sum(1 for r in RECORDS if r.get("answerable") is False) >= MIN_UNANSWERABLE


def test_ids_are_unique() -> None:
    ids = [str(r.get("id")) for r in RECORDS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_required_questions_present() -> None:
    questions = {r.get("question") for r in RECORDS}
    assert questions >= REQUIRED_QUESTIONS, REQUIRED_QUESTIONS - questions


def test_every_kind_is_used() -> None:
    assert {r.get("kind") for r in RECORDS} == KINDS


def test_metadata_only_evidence_is_rare() -> None:
    metadata_only = [r["id"] for r in ANSWERABLE if all("metadata" in e for e in r["evidence"])]
    assert len(metadata_only) <= MAX_METADATA_ONLY, metadata_only


@pytest.mark.parametrize("record", RECORDS, ids=[str(r.get("id")) for r in RECORDS])
def test_record_schema(record: dict[str, Any]) -> None:
    assert set(record) >= REQUIRED_KEYS, REQUIRED_KEYS - set(record)
    assert isinstance(record["id"], str) and record["id"]
    assert isinstance(record["question"], str) and record["question"].strip()
    assert isinstance(record["answer"], str) and record["answer"].strip()
    assert isinstance(record["answerable"], bool)
    assert record["kind"] in KINDS
    assert isinstance(record["key_facts"], list)
    assert isinstance(record["evidence"], list)
    if not record["answerable"]:
        assert record["kind"] == "unanswerable"
        assert record["key_facts"] == []
        assert record["evidence"] == []
        return
    assert record["kind"] != "unanswerable"
    assert 1 <= len(record["key_facts"]) <= 3
    for fact in record["key_facts"]:
        assert isinstance(fact, list) and fact, fact
        assert all(isinstance(p, str) and p.strip() for p in fact), fact
        assert _matches(fact, record["answer"]), f"reference answer lacks key fact {fact}"
    assert record["evidence"]
    for item in record["evidence"]:
        assert isinstance(item, dict)
        assert (SEEDS / item.get("source", "")).is_file(), item
        assert ("sentence" in item) != ("metadata" in item), item
        if "sentence" in item:
            assert isinstance(item["sentence"], str) and item["sentence"].strip()
        else:
            assert item["metadata"] in METADATA_FIELDS, item
    if record["kind"] == "both_documents":
        assert len({e["source"] for e in record["evidence"]}) >= 2


@pytest.mark.parametrize("record", ANSWERABLE, ids=[str(r.get("id")) for r in ANSWERABLE])
def test_evidence_is_in_the_cleaned_documents(record: dict[str, Any]) -> None:
    found = []
    for item in record["evidence"]:
        source = item["source"]
        if "sentence" in item:
            text = _document(source).text
            assert item["sentence"] in text, f"not verbatim in cleaned {source}: {item['sentence']!r}"
            found.append(item["sentence"])
        else:
            value = _metadata_text(source, item["metadata"])
            assert value.strip(), f"metadata field {item['metadata']!r} of {source} is empty"
            found.append(value)
    evidence_text = "\n".join(found)
    for fact in record["key_facts"]:
        assert _matches(fact, evidence_text), f"no phrasing of {fact} occurs in the evidence"
