"""Questions answered while documents are added and removed: a real Chroma on disk and the real model.

Each question reads one snapshot of the index, so a write in the middle of a question never mixes two versions of
the index in it (which was an `IndexError` or `KeyError` under load).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from tests.conftest import IMIQUIMOD, SEEDS

SEED_QUESTIONS = [
    "how does imiquimod activate dendritic cells",
    "which transcription factors does imatinib inhibit in regulatory T cells",
]
ROUNDS = 6  # documents added; every other one is removed again
READERS = 3
MAX_QUESTIONS = 400  # per reader: bounded even if the writer hangs


def _note(i: int) -> str:
    return (
        f"Axolotl limb regeneration and the kinase FLORB-{i}\n\n"
        f"The kinase FLORB-{i} phosphorylates the protein regenerin-{i} in axolotl blastema cells. "
        f"Phosphorylated regenerin-{i} starts limb regrowth within {i + 2} days of amputation. "
        f"Blocking FLORB-{i} with the inhibitor zelmapitant-{i} stops regrowth completely.\n"
    )


def _question(i: int) -> str:
    return f"what does the kinase FLORB-{i} phosphorylate in axolotl blastema cells"


def test_questions_never_fail_while_documents_are_added_and_removed(fresh: Assistant, tmp_path: Path) -> None:
    fresh.ask(SEED_QUESTIONS[0])  # the first snapshot, so that readers start answering at once
    errors: list[BaseException] = []
    done = threading.Event()
    asked_during_writes = [0] * READERS
    versions: set[str | None] = set()

    def writer() -> None:
        try:
            for i in range(ROUNDS):
                path = tmp_path / f"florb-{i}.txt"
                path.write_text(_note(i), encoding="utf-8")
                fresh.index([path])
                if i % 2:
                    fresh.remove(str(path))
        except BaseException as exc:  # a failed write is reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            done.set()

    def reader(n: int) -> None:
        questions = [*SEED_QUESTIONS, *(_question(i) for i in range(ROUNDS))]
        for q in range(MAX_QUESTIONS):
            if done.is_set():
                return
            try:
                fresh.ask(questions[(n + q) % len(questions)])
                versions.add(fresh.retriever.snapshot().version)
            except BaseException as exc:
                errors.append(exc)
                return
            asked_during_writes[n] += 1

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    assert errors == [], errors
    assert all(n > 0 for n in asked_during_writes), asked_during_writes  # every reader overlapped the writes
    assert len(versions) > 1  # questions were answered from more than one version of the index
    # The index ends as written: the even documents stay, the odd ones are gone, and questions see exactly that.
    kept, removed = ({f"florb-{i}.txt" for i in range(start, ROUNDS, 2)} for start in (0, 1))
    sources = {r.source for r in fresh.documents()}
    assert kept <= sources and not removed & sources
    for i in range(ROUNDS):
        cited = {c.source for c in fresh.ask(_question(i)).citations}
        assert cited <= kept and (f"florb-{i}.txt" in cited) == (i % 2 == 0), (i, cited)
    assert time.monotonic() - started < 120


def test_a_passage_of_a_document_deleted_after_the_snapshot_still_answers(fresh: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "florb-0.txt"
    path.write_text(_note(0), encoding="utf-8")
    fresh.index([path])
    question = _question(0)
    taken = fresh.retriever.snapshot()  # the question starts here...
    fresh.remove(str(path))  # ...a writer removes the document meanwhile...
    assert fresh.retriever.snapshot() is not taken
    fresh.retriever.snapshot = lambda: taken  # type: ignore[method-assign]  # ...and the question reads on
    passages = fresh.retriever.retrieve(question)
    assert passages[0].document.source == "florb-0.txt"
    assert passages[0].sentence_vectors == {}  # deleted with the document: the answer step encodes them
    answer = fresh.ask(question)  # it was in the index when the question started: citing it is fine
    assert not answer.refused and {c.source for c in answer.citations} == {"florb-0.txt"}


def test_a_read_of_the_index_that_meets_a_delete_is_tried_again(
    fresh: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chroma refuses a read of chunk vectors that meets a delete ("Error finding id"; seen under load).
    from chromadb.errors import InternalError

    question = SEED_QUESTIONS[1]
    before = fresh.ask(question)
    real = fresh.store.ready_chunks
    failures = [1]  # the next read fails once

    def flaky(ready: set[str], vectors: bool = False) -> Iterator[tuple[Any, Any]]:
        if failures[0]:
            failures[0] -= 1
            raise InternalError("Error executing plan: Internal error: Error finding id")
        yield from real(ready, vectors)

    monkeypatch.setattr(fresh.store, "ready_chunks", flaky)
    gone = next(r for r in fresh.documents() if r.doc_id not in {c.doc_id for c in before.citations})
    fresh.remove(gone.doc_id)
    assert fresh.ask(question).text == before.text and not failures[0]  # read again, and the new index used
    assert gone.doc_id not in fresh.retriever.snapshot().records
    # A read that keeps failing: questions are answered from the last snapshot until one succeeds.
    failures[0] = 100
    taken = fresh.retriever.snapshot()
    fresh.index([SEEDS / IMIQUIMOD])  # puts a document back: the generation moves
    assert fresh.ask(question).text == before.text and fresh.retriever.snapshot() is taken
    failures[0] = 0
    assert fresh.retriever.snapshot() is not taken


def test_a_second_writer_says_that_it_waits(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two indexing runs on one index take turns; the second says it waits, instead of looking hung."""
    from assistant.ingest.indexing import writer_lock

    entered = threading.Event()
    with writer_lock(tmp_path):
        second = threading.Thread(target=lambda: _enter(tmp_path, entered))
        with caplog.at_level("WARNING", logger="assistant.ingest.indexing"):
            second.start()
            deadline = time.monotonic() + 10
            while "waiting for another indexing run" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not entered.is_set(), "the lock is held: the second writer must wait"
    second.join(10)
    assert entered.is_set() and "waiting for another indexing run" in caplog.text


def _enter(index_dir: Path, entered: threading.Event) -> None:
    from assistant.ingest.indexing import writer_lock

    with writer_lock(index_dir):
        entered.set()
