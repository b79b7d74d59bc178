"""Indexing against a real Chroma on disk: incremental, replacing, removing, settings-checked, crash-safe."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.errors import DocumentError, IndexMismatchError, InputError
from assistant.store import chroma as store_module
from assistant.store.chroma import Store
from assistant.store.embeddings import Embedder
from tests.conftest import IMATINIB, IMIQUIMOD, SEEDS, make_settings, run_cli


def test_seeds_are_indexed_with_metadata(seeded: Assistant) -> None:
    docs = {d.source: d for d in seeded.documents()}
    assert set(docs) == {IMIQUIMOD, IMATINIB}
    assert docs[IMATINIB].metadata.journal == "Journal of Immunology"
    assert all(d.n_chunks >= 1 for d in docs.values())
    assert seeded.store.chunk_count() == sum(d.n_chunks for d in docs.values())


def test_reindexing_unchanged_files_embeds_nothing(fresh: Assistant) -> None:
    before = fresh.embedder.encoded
    report = fresh.index([SEEDS])
    assert report.chunks_embedded == 0
    assert sorted(report.unchanged) == [IMIQUIMOD, IMATINIB]
    assert fresh.embedder.encoded == before


def test_changed_file_replaces_its_chunks_and_removed_file_leaves(fresh: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "note.txt"
    note.write_text("Zebrafish larvae treated with compound Q7 regenerate their fins within four days.\n")
    fresh.index([folder])
    assert "Q7" in fresh.ask("what does compound Q7 do in zebrafish").text

    note.write_text("Axolotls treated with compound Q7 regrow their limbs within nine weeks.\n")
    report = fresh.index([folder])
    assert report.replaced == ["note.txt"]
    ans = fresh.ask("what does compound Q7 do")
    assert "Axolotls" in ans.text and "Zebrafish" not in ans.text
    assert len([d for d in fresh.documents() if d.source == "note.txt"]) == 1

    note.unlink()
    report = fresh.index([folder])
    assert report.removed == ["note.txt"]
    assert fresh.ask("what does compound Q7 do to axolotls").refused
    assert {d.source for d in fresh.documents()} == {IMIQUIMOD, IMATINIB}


def test_a_document_another_file_still_holds_stays_through_a_sync(fresh: Assistant, tmp_path: Path) -> None:
    """Two exports overlapping by one record, and a copy of a file: removing or editing one file leaves the shared
    document in the index, in one sync (an audit found it removed, and back only on the sync after)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    record = '{{"id": "{0}", "title": "Record {0}", "text": "Compound {0} slowed fin regrowth in zebrafish larvae."}}\n'
    (folder / "jan.jsonl").write_text(record.format("K1") + record.format("K2"))
    (folder / "feb.jsonl").write_text(record.format("K2") + record.format("K3"))
    copy = "Axolotls treated with compound Q9 regrow their limbs within nine weeks.\n"
    (folder / "a.txt").write_text(copy)
    (folder / "b.txt").write_text(copy)
    fresh.index([folder])
    before = len(fresh.documents())
    (folder / "feb.jsonl").unlink()
    (folder / "b.txt").unlink()
    report = fresh.index([folder])
    assert len(fresh.documents()) == before - 1, "only K3 goes: K2 is in jan.jsonl, Q9's text in a.txt"
    assert "K2" in fresh.ask("what does compound K2 do in zebrafish").text
    assert "Q9" in fresh.ask("what does compound Q9 do to axolotls").text
    (folder / "a.txt").write_text("Axolotls treated with compound Q9 regrow their tails within three weeks.\n")
    fresh.index([folder])
    assert "tails" in fresh.ask("what does compound Q9 do to axolotls").text
    assert report.removed == ["feb.jsonl"]


def test_remove_by_id_path_or_name(fresh: Assistant) -> None:
    doc = next(d for d in fresh.documents() if d.source == IMIQUIMOD)
    assert fresh.remove(doc.doc_id) == IMIQUIMOD
    ans = fresh.ask("how does imiquimod activate dendritic cells")
    assert all(c.source != IMIQUIMOD for c in ans.citations + ans.nearest)
    assert fresh.remove(str(SEEDS / IMATINIB)) == IMATINIB
    assert fresh.documents() == []
    with pytest.raises(DocumentError, match="no indexed document"):
        fresh.remove("nothing-like-this")


def test_settings_mismatch_is_refused_until_rebuild(fresh: Assistant, embedder: Embedder) -> None:
    index_dir = fresh.settings.paths.index_dir
    other = make_settings(index_dir, chunking={"chunk_tokens": 96, "overlap_tokens": 16})
    with pytest.raises(IndexMismatchError, match=r"assistant index --rebuild"):
        Store(other)
    proc = run_cli("ask", "what is imatinib", index_dir=index_dir, ASSISTANT_CHUNKING__CHUNK_TOKENS="96")
    assert proc.returncode != 0 and "--rebuild" in proc.stderr and "Traceback" not in proc.stderr
    rebuilt = Assistant(other, embedder=embedder, rebuild=True)
    assert len(rebuilt.documents()) == 2
    assert all(n.metadata["n_tokens"] <= 96 for n, _ in rebuilt.store.ready_chunks(rebuilt.store.ready_ids()))
    with pytest.raises(IndexMismatchError):
        Store(fresh.settings)


def test_catalog_reads_are_paged(fresh: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tens of thousands of catalog rows in one read overflow SQLite's variable limit inside Chroma; pages do not.
    whole = (fresh.store.records(), fresh.store.ready_ids(), fresh.store.paths(), fresh.store.learned_aliases())
    monkeypatch.setattr(store_module, "_PAGE", 1)
    assert len(whole[0]) == 2
    assert (fresh.store.records(), fresh.store.ready_ids(), fresh.store.paths(), fresh.store.learned_aliases()) == whole


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_closed_assistant_gives_back_its_descriptors_and_refuses_further_use(
    tmp_path: Path, seeded_dir: Path, embedder: Embedder
) -> None:
    """Each assistant held about twenty descriptors (Chroma's segment files, database, runtime) until the process
    ended: a notebook or a test suite that made assistants ran out of them."""
    index_dir = tmp_path / "index"
    shutil.copytree(seeded_dir, index_dir)
    settings = make_settings(index_dir)
    question = "what does imatinib do to regulatory T cells"
    with Assistant(settings, embedder=embedder) as first:  # the models load once, on the first
        first.ask(question)
    before = _descriptors()
    for _ in range(3):
        with Assistant(settings, embedder=embedder) as assistant:
            assert not assistant.ask(question).refused
    # Three unclosed assistants keep about 60 more; a few may come from parts started lazily on the way.
    assert _descriptors() < before + 5, "each closed assistant gave its descriptors back"
    with pytest.raises(InputError, match="closed"):
        assistant.ask(question)
    with pytest.raises(InputError, match="closed"):
        assistant.documents()
    assistant.close()  # twice: harmless
    other = make_settings(index_dir, chunking={"chunk_tokens": 96, "overlap_tokens": 16})
    for _ in range(3):
        with pytest.raises(IndexMismatchError):
            Assistant(other, embedder=embedder, index_seeds=False)
    assert _descriptors() < before + 5, "a start that fails keeps nothing open"
