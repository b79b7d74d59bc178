"""Indexing against a real Chroma on disk: incremental, replacing, removing, settings-checked, crash-safe."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.embeddings import Embedder
from assistant.errors import DocumentError, IndexMismatchError
from assistant.store import Store
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
    assert all(n.metadata["n_tokens"] <= 96 for n in rebuilt.store.iter_nodes())
    with pytest.raises(IndexMismatchError):
        Store(fresh.settings)


_WRITER = """
import sys
from pathlib import Path
from assistant.api import Assistant
from tests.conftest import make_settings
a = Assistant(make_settings(Path(sys.argv[1])), index_seeds=False)
a.index([Path(sys.argv[2])], progress=lambda m: print(m, flush=True))
"""


def _corpus(folder: Path, n: int) -> None:
    base = [(SEEDS / name).read_text(encoding="utf-8") for name in (IMIQUIMOD, IMATINIB)]
    folder.mkdir()
    for i in range(n):
        (folder / f"doc{i:03d}.txt").write_text(f"Study {i} of compound K{i}.\n\n{base[i % 2]}", encoding="utf-8")


def test_kill_during_indexing_never_shows_half_a_document(tmp_path: Path, embedder: Embedder) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    _corpus(corpus, 24)
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(index_dir), str(corpus)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # let it write a few documents, then kill it mid-stream
        if line.startswith("[6/"):
            time.sleep(0.3)
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assistant = Assistant(make_settings(index_dir), embedder=embedder, index_seeds=False)
    committed = assistant.documents()
    assert 0 < len(committed) < 24
    for doc in committed:  # every visible document is whole
        nodes = [n for n in assistant.store.iter_nodes() if n.metadata["doc_id"] == doc.doc_id]
        assert len(nodes) == doc.n_chunks
    report = assistant.index([corpus])
    assert len(report.added) == 24 - len(committed) and report.chunks_embedded > 0
    total = sum(d.n_chunks for d in assistant.documents())
    assert len(assistant.documents()) == 24 and assistant.store.chunk_count() == total
    shutil.rmtree(corpus)
