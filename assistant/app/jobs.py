"""Uploads indexed off the request path: a request stores the file and queues a job; one worker thread reads,
embeds and writes the jobs in turn, so the server keeps answering questions and `/api/health` meanwhile.

One worker, because the index has one writer anyway (`writer_lock`) and embedding uses every core. A job's
progress is the indexer's own (`IndexProgress`: records, chunks, rate, ETA). `close()` stops the worker at its
next progress step (every few dozen documents): what was committed stays, the batch in flight is dropped, and
uploading the file again resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from assistant.app.uploads import UploadError, UploadResult, Uploads
from assistant.errors import AssistantError
from assistant.ingest.indexing import IndexProgress

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
_COPY_CHUNK = 1024 * 1024


class Cancelled(Exception):
    """Raised from the worker's progress callback when the server stops."""


@dataclass
class Job:
    """One queued upload; `to_json()` is what `GET /api/jobs/{id}` shows."""

    id: str
    name: str
    spooled: Path  # the uploaded bytes, until the worker has read them
    state: JobState = "queued"
    fraction: float = 0.0
    message: str = "waiting for the indexer"
    result: UploadResult | None = None
    error: AssistantError | None = None  # a user error (refused file); the server maps it to its status
    created: float = field(default_factory=time.time)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"/api/jobs/{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "progress": round(self.fraction, 4),
            "message": self.message,
            "result": self.result.to_json() if self.result else None,
            "error": str(self.error) if self.error else self.message if self.state == "failed" else None,
            "url": self.url,
        }


class IndexJobs:
    """The upload queue of one server: `submit` stores and queues, one worker thread indexes."""

    def __init__(self, uploads: Uploads, spool_root: Path, max_pending: int = 16, keep: int = 200) -> None:
        self.uploads = uploads
        self.spool = spool_root / str(os.getpid())  # one folder per server process on this index
        _drop_dead_spools(spool_root)
        self.spool.mkdir(parents=True, exist_ok=True)
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="index-jobs", daemon=True)
        self._worker.start()

    def submit(self, filename: str, data: BinaryIO, size: int) -> Job:
        """Check the name and size (415, 413, 422 at once), copy the bytes into the spool and queue the job;
        503 while the queue is full or the server is stopping."""
        name = self.uploads.check(filename, size)
        if self._stop.is_set():
            raise UploadError("the server is stopping; upload again once it is back", status=503)
        job = Job(secrets.token_hex(8), name, self._copy(data))
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            job.spooled.unlink(missing_ok=True)
            raise UploadError(
                f"{name}: {self._queue.maxsize} uploads are already waiting to be indexed; try again later", status=503
            ) from None
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        """Jobs newest first, finished ones included (the last `keep`)."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def stop(self) -> None:
        """Stop taking jobs, cancel the waiting ones and stop the running one at its next progress step."""
        self._stop.set()
        with contextlib.suppress(queue.Full):  # a full queue wakes the worker anyway
            self._queue.put_nowait(None)  # wakes an idle worker

    def close(self, timeout: float = 5.0) -> bool:
        """`stop()`, then wait for the worker; True when it ended within `timeout` s."""
        self.stop()
        self._worker.join(timeout)
        if self._worker.is_alive():
            log.warning("the indexer did not stop within %.0f s; the batch in flight is dropped", timeout)
        return not self._worker.is_alive()

    def _copy(self, data: BinaryIO) -> Path:
        with tempfile.NamedTemporaryFile(dir=self.spool, prefix="upload-", delete=False) as handle:
            if data.seekable():
                data.seek(0)
            shutil.copyfileobj(data, handle, _COPY_CHUNK)
        return Path(handle.name)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                break
            if self._stop.is_set():
                self._end(job, "cancelled", "the server stopped before this upload was indexed")
                continue
            self._work(job)
        while not self._queue.empty():  # cancel what is still waiting
            if (job := self._queue.get_nowait()) is not None:
                self._end(job, "cancelled", "the server stopped before this upload was indexed")

    def _work(self, job: Job) -> None:
        job.state, job.message = "running", f"reading {job.name}"

        def progress(event: IndexProgress) -> None:
            if self._stop.is_set():
                raise Cancelled
            job.fraction, job.message = event.fraction, str(event)

        try:
            job.result = self.uploads.ingest_file(job.spooled, job.name, progress)
            self._end(job, "done", job.result.message(), fraction=1.0)
        except Cancelled:
            self._end(job, "cancelled", "the server stopped; what was committed stays, upload again to finish")
        except AssistantError as exc:
            job.error = exc
            self._end(job, "failed", str(exc))
        except Exception:
            log.exception("indexing the upload %s failed", job.name)
            self._end(job, "failed", f"{job.name}: internal error; the server log has details")

    def _end(self, job: Job, state: JobState, message: str, fraction: float | None = None) -> None:
        job.spooled.unlink(missing_ok=True)
        job.state, job.message = state, message
        if fraction is not None:
            job.fraction = fraction
        job.finished.set()


def _drop_dead_spools(root: Path) -> None:
    """Delete the spool folders of server processes that are gone: files they had queued were never indexed."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if not folder.name.isdigit() or not _alive(int(folder.name)) or int(folder.name) == os.getpid():
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
