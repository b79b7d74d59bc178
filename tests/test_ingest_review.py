"""Ingest defects a second review found: a rebuild that lost the index to a typo, removals and rebuilds cut short,
exports removed by file name, values and file names Python cannot take, unbounded titles, links named directly,
old Mac line endings, and a read-only command that indexed. Real files, a real index, the real command."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from assistant.errors import DocumentError
from assistant.ingest.documents import load_documents
from assistant.ingest.documents.cleaning import MAX_TITLE_CHARS
from assistant.store.chroma import Store
from tests.conftest import run_cli

RECORDS = [
    {"id": "r1", "title": "Axolotl note one", "text": "Compound A1 lengthened tail regrowth in axolotls."},
    {"id": "r2", "title": "Axolotl note two", "text": "Compound B2 shortened limb regrowth in axolotls."},
    {"id": "r3", "title": "Axolotl note three", "text": "Compound C3 slowed gill regrowth in axolotls."},
]


def _export(folder: Path, name: str = "recs.jsonl", records: list[dict[str, Any]] = RECORDS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _documents(index: Path) -> list[str]:
    done = run_cli("documents", index_dir=index)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_rebuild_with_a_mistyped_path_or_a_bad_file_keeps_the_index(tmp_path: Path, seeded_dir: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seeded_dir, index)
    before = _documents(index)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Compound D4 binds.", "year": true}\n', encoding="utf-8")
    for named in (tmp_path / "typo.jsonl", bad):
        done = run_cli("index", "--rebuild", str(named), index_dir=index)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and str(named) in done.stderr
        assert _documents(index) == before, "nothing was dropped"


def test_a_rebuild_cut_short_lists_no_document_without_its_chunks(fresh: Assistant) -> None:
    store = fresh.store
    deleted: list[str] = []
    real = store.client.delete_collection

    def first_only(name: str) -> None:
        if deleted:
            raise KeyboardInterrupt  # killed after the first collection went
        deleted.append(name)
        real(name)

    store.client.delete_collection = first_only  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        store._drop()
    store.client.delete_collection = real  # type: ignore[method-assign]
    assert deleted == [f"{fresh.settings.store.collection}-catalog"]
    assert Store(fresh.settings).records() == [], "no document is listed whose chunks may be gone"


def test_a_removal_cut_short_is_finished_by_the_next_run_and_leaves_no_orphan(fresh: Assistant) -> None:
    store = fresh.store
    (record, *_) = store.records()
    real = store._drop_contents

    def killed(doc_ids: Any) -> None:
        raise KeyboardInterrupt

    store._drop_contents = killed  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        store.delete_many([record.doc_id])
    store._drop_contents = real  # type: ignore[method-assign]
    assert record.doc_id not in {r.doc_id for r in store.records()}, "hidden at once"
    assert store.chunks.get(where={"doc_id": record.doc_id})["ids"], "its chunks are still there"
    assert store.recover() == [record.doc_id]
    assert not store.chunks.get(where={"doc_id": record.doc_id})["ids"], "and gone after recovery"


def test_an_export_is_removed_by_its_file_name(fresh: Assistant, tmp_path: Path) -> None:
    export = _export(tmp_path / "docs")
    fresh.index([export])
    removed = fresh.remove("recs.jsonl")
    assert removed == "recs.jsonl#r1, recs.jsonl#r2, recs.jsonl#r3"
    assert not [r for r in fresh.documents() if r.source.startswith("recs.jsonl")]


@pytest.mark.parametrize("line", ['{"text": "Compound E5 binds.", "id": 1%s}' % ("0" * 5000),
                                  '{"text": "Compound E5 binds \\ud800 here."}'])  # fmt: skip
def test_a_value_python_cannot_take_is_that_files_error_and_the_folder_goes_on(
    fresh: Assistant, tmp_path: Path, line: str
) -> None:
    folder = tmp_path / "docs"
    _export(folder)
    (folder / "odd.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"odd\.jsonl line 1"):
        load_documents(folder / "odd.jsonl")
    report = fresh.index([folder])
    assert len(report.added) == 3 and any("odd.jsonl" in note for note in report.skipped)


def test_a_file_name_that_is_not_utf8_is_a_note(fresh: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _export(folder)
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as file:  # a Latin-1 name, as an old archive gives
        file.write(b"Compound F6 lengthened fin regrowth in zebrafish.\n")
    report = fresh.index([folder])
    assert len(report.added) == 3 and any("not UTF-8" in note for note in report.skipped)


def test_a_title_is_bounded_and_the_text_opens_with_it(tmp_path: Path) -> None:
    export = _export(tmp_path, records=[{"title": "Axolotl " * 40_000, "text": "Compound G7 binds the receptor."}])
    (doc,) = load_documents(export)
    assert len(doc.metadata.title) == MAX_TITLE_CHARS and doc.metadata.title.endswith("…")
    assert doc.text.startswith(doc.metadata.title + "\n\n")


def test_a_link_named_directly_keeps_its_name(fresh: Assistant, tmp_path: Path) -> None:
    target = _export(tmp_path / "store", "target.jsonl", RECORDS[:1])
    link = tmp_path / "cited-as.jsonl"
    link.symlink_to(target)
    fresh.index([link])
    assert "cited-as.jsonl#r1" in {r.source for r in fresh.documents()}


def test_a_medline_export_with_old_mac_line_endings_is_read(tmp_path: Path) -> None:
    lines = ["PMID- 111", "TI  - Axolotl regrowth.", "AB  - Compound H8 lengthened tail regrowth.", "",
             "PMID- 222", "TI  - Newt regrowth.", "AB  - Compound J9 slowed limb regrowth."]  # fmt: skip
    path = tmp_path / "export.nbib"
    path.write_bytes("\r".join(lines).encode())
    assert [d.source for d in load_documents(path)] == ["export.nbib#111", "export.nbib#222"]


def test_listing_an_empty_index_indexes_nothing(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert _documents(index) == []
    assert _documents(index) == [], "still empty: the seeds were not indexed by a read"


def test_a_plain_text_header_gives_title_authors_journal_and_year(tmp_path: Path) -> None:
    # An outside tester's header, as papers are often saved: each line was left in the text and the year was lost.
    path = tmp_path / "trial.txt"
    path.write_text(
        "Maintenance olaparib in advanced ovarian cancer with a BRCA1/2 mutation\n"
        "Authors: K. Moreau, L. Castellanos, H. Nakamura\nJournal: Journal of Gynecologic Oncology Research\n"
        "Year: 2019\n\nOlaparib lowered the risk of disease progression or death by 70% compared with placebo.\n"
    )
    doc = load_documents(path)[0]
    meta = doc.metadata
    assert meta.title.startswith("Maintenance olaparib") and meta.year == 2019
    assert meta.authors == ("K. Moreau", "L. Castellanos", "H. Nakamura")
    assert meta.journal == "Journal of Gynecologic Oncology Research"
    assert "Authors:" not in doc.text and "Year:" not in doc.text and "Olaparib lowered the risk" in doc.text


def test_year_and_authors_lines_in_a_body_stay_text(tmp_path: Path) -> None:
    # A code review's lines: a results table's "Year 5:" rows and a competing-interests "Authors:" line are text.
    path = tmp_path / "survival.txt"
    path.write_text(
        "Long-term survival after lobectomy\n\nWe followed 400 patients after lobectomy for stage I lung cancer.\n\n"
        "Survival by year\nYear 1: 94% (95% CI 91-96)\nYear 5: 71% (95% CI 66-75)\n\nCompeting interests\n"
        "Authors: none declared.\n"
    )
    doc = load_documents(path)[0]
    assert doc.metadata.year is None and doc.metadata.authors == ()
    assert "Year 5: 71%" in doc.text and "Authors: none declared." in doc.text
