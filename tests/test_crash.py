"""Crash safety: kill -9 at a random moment while indexing 500 real abstracts (three commits), then re-run.

The resumed index must equal an uninterrupted build: the same documents and chunk ids, no duplicates,
no chunks of uncommitted documents.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.settings import PROJECT_ROOT
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings

CORPUS = PROJECT_ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"
N_DOCS = 500

_WRITER = """
import sys
from pathlib import Path
from assistant.api import Assistant
from tests.conftest import make_settings
a = Assistant(make_settings(Path(sys.argv[1])), index_seeds=False)
a.index([Path(sys.argv[2])], progress=lambda event: print(event.done, flush=True))
"""


def _write_corpus(folder: Path) -> None:
    """500 short real abstracts (title and first two sentences), one file each: one chunk per document."""
    if not CORPUS.is_file():
        pytest.fail(f"benchmark data missing: {CORPUS} (../shared/bench must sit beside the project)")
    folder.mkdir()
    with CORPUS.open(encoding="utf-8") as lines:
        for _, line in zip(range(N_DOCS), lines, strict=False):
            record = json.loads(line)
            text = record["title"] + "\n\n" + " ".join(record["abstract"][:2])
            (folder / f"scifact-{record['doc_id']}.txt").write_text(text + "\n", encoding="utf-8")


def _snapshot(assistant: Assistant) -> tuple[list[tuple[str, int]], list[str]]:
    docs = sorted((d.doc_id, d.n_chunks) for d in assistant.documents())
    got = assistant.store.chunks.get(include=[])
    return docs, sorted(got["ids"])


def _kill_midway(index_dir: Path, corpus: Path, at_file: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(index_dir), str(corpus)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line) >= at_file:
            time.sleep(random.uniform(0.0, 0.3))  # land anywhere inside a document's write
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_kill_9_mid_indexing_then_rerun_equals_an_uninterrupted_build(tmp_path: Path, embedder: Embedder) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    at_file = random.randint(250, N_DOCS - 50)  # after the first commit (200 documents) is in
    print(f"killing after file {at_file}")

    crashed_dir = tmp_path / "crashed"
    _kill_midway(crashed_dir, corpus, at_file)
    crashed = Assistant(make_settings(crashed_dir), embedder=embedder, index_seeds=False)
    visible, _ = _snapshot(crashed)
    assert 0 < len(visible) < N_DOCS
    ready = {doc_id for doc_id, _ in visible}
    for node, _ in crashed.store.ready_chunks(
        crashed.store.ready_ids()
    ):  # readers see no chunk of an unfinished document
        assert node.metadata["doc_id"] in ready
    crashed.index([corpus])

    clean = Assistant(make_settings(tmp_path / "clean"), embedder=embedder, index_seeds=False)
    clean.index([corpus])
    resumed_docs, resumed_chunks = _snapshot(crashed)
    clean_docs, clean_chunks = _snapshot(clean)
    assert len(resumed_docs) == N_DOCS
    assert resumed_docs == clean_docs
    assert resumed_chunks == clean_chunks  # same ids, so no duplicates and no orphans
    assert len(set(resumed_chunks)) == len(resumed_chunks) == sum(n for _, n in clean_docs)
    # One record of sentence vectors per document, whatever the kill left behind.
    for index in (crashed, clean):
        assert sorted(index.store.sentences.get(include=[])["ids"]) == sorted(doc_id for doc_id, _ in clean_docs)
