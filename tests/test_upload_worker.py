"""The indexing worker: uploads queue behind one another and are indexed off the request path; a server busy
with a 50 MB upload still answers `/api/health` within a second, and SIGTERM ends it within 10 s with the
index consistent. `bench/upload_health.py` prints the same figures at full length."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.app.jobs import IndexJobs
from assistant.app.uploads import MB, UploadError, UploadResult, Uploads
from assistant.models import DocumentMetadata, DocumentRecord
from assistant.store.embeddings import Embedder
from bench.big_file import SCIFACT
from bench.upload_health import measure
from tests.conftest import make_settings

NOTES = [
    f"Note {i} on the kinase GLIMP-{i}\n\nThe kinase GLIMP-{i} phosphorylates the protein spindlin-{i} in frog eggs.\n"
    for i in range(3)
]


def test_jobs_run_in_order_and_stop_on_close(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> None:
    shutil.copytree(seeded_dir, tmp_path / "index")
    assistant = Assistant(make_settings(tmp_path / "index"), embedder=embedder)
    jobs = IndexJobs(Uploads(assistant, tmp_path / "index" / "uploads", 1 * MB), tmp_path / "spool")
    queued = [jobs.submit(f"note-{i}.txt", io.BytesIO(text.encode()), len(text)) for i, text in enumerate(NOTES)]
    for job in queued:
        assert job.finished.wait(120), job.to_json()
    assert [job.state for job in queued] == ["done"] * 3
    assert [job.id for job in jobs.recent()] == [job.id for job in reversed(queued)], "newest first"
    titles = {r.metadata.title for r in assistant.documents()}
    assert {f"Note {i} on the kinase GLIMP-{i}" for i in range(3)} <= titles
    with pytest.raises(UploadError, match="over the 1 MB upload limit") as too_big:
        jobs.submit("big.txt", io.BytesIO(b""), 2 * MB)
    assert too_big.value.status == 413
    assert jobs.close(timeout=5)
    with pytest.raises(UploadError, match="stopping") as stopping:
        jobs.submit("late.txt", io.BytesIO(b"Late note."), 10)
    assert stopping.value.status == 503
    assert list((tmp_path / "spool").rglob("upload-*")) == [], "no queued copies left behind"


@pytest.mark.slow
@pytest.mark.skipif(not SCIFACT.exists(), reason="needs ../shared/bench/scifact")
def test_health_answers_during_a_50_mb_upload_and_sigterm_stops_it(tmp_path: Path, seeded_dir: Path) -> None:
    shutil.copytree(seeded_dir, tmp_path / "index")
    figures = measure(tmp_path, tmp_path / "index", mb=48, probe_s=5, min_committed=32)
    assert figures.size_mb > 45 and figures.upload_s < 30
    assert "running" in figures.states, "probed while the worker read and embedded the file"
    assert max(figures.busy.health_ms) < 1000, figures.busy.line("indexing")
    assert figures.stop_s < 10, f"SIGTERM took {figures.stop_s:.1f} s"
    assert figures.exit_code is not None, "it ended by itself (uvicorn re-raises the signal: -15)"
    # Consistent: what the worker committed is whole (every document with its chunks) and the rest is absent.
    reopened = Assistant(make_settings(tmp_path / "index"), index_seeds=False)
    assert reopened.store.recover() == [], "no half-written document to repair"
    added = [r for r in reopened.documents() if r.source.startswith("big.jsonl#")]
    assert 32 <= len(added) == figures.committed < figures.records
    assert all(r.n_chunks > 0 for r in added)


def test_an_uploads_message_names_a_few_titles_not_a_collections_all() -> None:
    records = tuple(
        DocumentRecord(f"d{i}", f"big.jsonl#{i}", DocumentMetadata(title=f"Record {i} " + "x" * 200), 1, "2026-12-07")
        for i in range(1200)
    )
    message = UploadResult("big.jsonl", "added", records).message()
    assert "indexed 1200 documents" in message and "Record 4 " in message and "Record 5 " not in message
    assert message.endswith("and 1195 more") and len(message) < 2000
    assert len(UploadResult("big.jsonl", "added", records).to_json()["documents"]) == 1200, "the result lists all"
