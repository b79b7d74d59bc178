"""Questions under load, with and without writes: a real `assistant serve` on loopback, 20 clients x 50 questions
(httpx, one keep-alive connection per client), once alone and once while one more client uploads 20 small documents
and deletes 7 of them. Prints errors (must be 0), p50/p95/max latency and the throughput with writes as a ratio to
the run without them, both measured here in the same run.

    .venv/bin/python bench/load.py                       # idle machine
    .venv/bin/python bench/load.py --busy                # two CPU-bound processes running beside it
    .venv/bin/python bench/load.py --query-threads 0     # question encoding on every core (the old behaviour)

Questions are the seed gold questions, each asked in a different wording (see `unique_question`), so that no
question is answered from the server's cache of question embeddings. Everything is bounded: request timeouts, a
deadline per phase, and CPU hogs that stop on their own.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOG = "import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
PHASE_DEADLINE_S = 600.0


@contextmanager
def busy(n: int = 2, seconds: float = 1200) -> Iterator[None]:
    """`n` CPU-bound processes running beside the block (each also stops by itself after `seconds`)."""
    hogs = [subprocess.Popen([sys.executable, "-c", HOG.format(seconds=seconds)]) for _ in range(n)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def gold_questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/gold/tune.jsonl").read_text().splitlines() if line]
    return [str(r["question"]) for r in rows]


def unique_question(questions: list[str], k: int) -> str:
    """The k-th of up to 72 x len(questions) distinct wordings: a gold question with a stop word before it, other
    end punctuation or lower case. A server caches question embeddings, and users rarely ask twice alike; these
    wordings refuse about as often as the originals (13-18 against 17 of the 72)."""
    q, n = questions[k % len(questions)].rstrip("?"), k // len(questions)
    prefix = ("", "so ", "and ", "then ", "now ", "also ")[n % 6]
    suffix = ("?", "", " ?", "!", ".", "??")[n // 6 % 6]
    return prefix + (q.lower() if n // 36 % 2 else q) + suffix


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        ms = self.latencies_ms or [float("nan")]
        p50, p95, top = statistics.median(ms), percentile(ms, 0.95), max(ms)
        return (
            f"{self.name:<12} {len(ms):>5} answered  {len(self.errors):>3} errors  p50 {p50:7.0f} ms  "
            f"p95 {p95:7.0f} ms  max {top:7.0f} ms  {self.throughput:6.2f} q/s  ({self.wall_s:.1f} s)"
        )


@dataclass
class Writes:
    done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    during_reads: int = 0  # writes that finished while questions were still being asked
    wall_s: float = 0.0


class Server:
    """`assistant serve` in a subprocess on a free loopback port, over a fresh index of the seeds."""

    def __init__(self, index_dir: Path, env: dict[str, str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = index_dir.parent / "server.log"
        environ = os.environ | env | {"ASSISTANT_PATHS__INDEX_DIR": str(index_dir)}
        command = [str(ROOT / ".venv/bin/assistant"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, env=environ, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 300) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=5).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the server did not answer /api/health in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")


def ask_all(url: str, phase: Phase, clients: int, per_client: int, first: int, stop: threading.Event) -> None:
    """`clients` threads, each with its own keep-alive connection, asking `per_client` questions, all worded
    differently (from the `first`-th wording on)."""
    questions = gold_questions()
    deadline = time.monotonic() + PHASE_DEADLINE_S

    def client(c: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            for i in range(per_client):
                if time.monotonic() > deadline:
                    with phase.lock:
                        phase.errors.append("phase deadline passed")
                    return
                q = unique_question(questions, first + c * per_client + i)
                t = time.perf_counter()
                try:
                    r = http.post("/api/ask", json={"question": q, "mode": "extractive"})
                    ok = r.status_code == 200 and "answer" in r.json()
                    error = "" if ok else f"HTTP {r.status_code}: {r.text[:200]}"
                except (httpx.HTTPError, ValueError) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                with phase.lock:
                    if error:
                        phase.errors.append(error)
                    else:
                        phase.latencies_ms.append((time.perf_counter() - t) * 1000)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.wall_s = time.monotonic() - started
    stop.set()


def _note(i: int) -> bytes:
    return (
        f"Axolotl limb regeneration and the kinase FLORB-{i}\n\n"
        f"The kinase FLORB-{i} phosphorylates the protein regenerin-{i} in axolotl blastema cells. "
        f"Phosphorylated regenerin-{i} starts limb regrowth within {i + 2} days of amputation. "
        f"Blocking FLORB-{i} with the inhibitor zelmapitant-{i} stops regrowth completely.\n"
    ).encode()


def write_all(url: str, writes: Writes, uploads: int, deletes: int, pace_s: float, reads_over: threading.Event) -> None:
    """Upload `uploads` documents, starting one every `pace_s` (or when the last is done); after the 2nd, 5th,
    8th... delete the one before it."""
    started = time.monotonic()
    uploaded: list[str] = []
    deleted = 0
    with httpx.Client(base_url=url, timeout=300) as http:
        for i in range(uploads):
            time.sleep(max(0.0, started + i * pace_s - time.monotonic()))
            try:
                r = http.post("/api/documents?wait=true", files={"file": (f"florb-{i}.txt", _note(i), "text/plain")})
                _check(r, writes, f"upload florb-{i}.txt", reads_over)
                uploaded += [d["doc_id"] for d in r.json().get("documents", [])]
                if i % 3 == 1 and deleted < deletes and len(uploaded) >= 2:
                    deleted += 1
                    _check(http.delete(f"/api/documents/{uploaded[-2]}"), writes, "delete", reads_over)
            except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
                writes.errors.append(f"write {i}: {type(exc).__name__}: {exc}")
    writes.wall_s = time.monotonic() - started


def _check(r: httpx.Response, writes: Writes, op: str, reads_over: threading.Event) -> None:
    if r.status_code >= 300:
        raise RuntimeError(f"{op}: HTTP {r.status_code}: {r.text[:200]}")
    writes.done.append(op)
    writes.during_reads += not reads_over.is_set()


def run(args: argparse.Namespace) -> int:
    env = {"ASSISTANT_EMBEDDING__QUERY_THREADS": str(args.query_threads)} if args.query_threads is not None else {}
    index_dir = Path(tempfile.mkdtemp(prefix="load-")) / "index"
    server = Server(index_dir, env)
    try:
        print(f"server up in {server.wait():.1f} s (seeds indexed, model loaded) at {server.url}", flush=True)
        alone = Phase("alone")
        n = args.clients * args.questions
        ask_all(server.url, alone, args.clients, args.questions, 0, threading.Event())
        print(alone.line(), *(f"  error: {e}" for e in sorted(set(alone.errors))[:3]), sep="\n", flush=True)
        loaded, writes, reads_over = Phase("with-writes"), Writes(), threading.Event()
        # Writes spread over the time the questions took alone, so that questions meet them all along.
        pace = 0.9 * alone.wall_s / args.uploads
        writer = threading.Thread(
            target=write_all, args=(server.url, writes, args.uploads, args.deletes, pace, reads_over)
        )
        writer.start()
        ask_all(server.url, loaded, args.clients, args.questions, n, reads_over)
        writer.join(timeout=PHASE_DEADLINE_S)
        print(loaded.line())
        deleted = sum(op.startswith("delete") for op in writes.done)
        print(
            f"writes: {len(writes.done) - deleted} uploads and {deleted} deletes in {writes.wall_s:.1f} s, "
            f"{writes.during_reads} of them while questions were asked; {len(writes.errors)} write errors"
        )
        errors = alone.errors + loaded.errors + writes.errors
        for e in sorted(set(errors))[:10]:
            print(f"  error: {e}")
        print(
            f"errors: {len(errors)}  (tracebacks in the server log: {server.tracebacks()})\n"
            f"throughput with writes / alone: {loaded.throughput / alone.throughput:.2f}  "
            f"p50 {statistics.median(loaded.latencies_ms) / statistics.median(alone.latencies_ms):.2f}x  "
            f"p95 {percentile(loaded.latencies_ms, 0.95) / percentile(alone.latencies_ms, 0.95):.2f}x"
        )
        return 1 if errors else 0
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=50, help="questions per client")
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--deletes", type=int, default=7)
    parser.add_argument("--busy", action="store_true", help="two CPU-bound processes run beside the benchmark")
    parser.add_argument("--query-threads", type=int, default=None, help="ASSISTANT_EMBEDDING__QUERY_THREADS")
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"{'busy: 2 CPU-bound processes beside' if args.busy else 'idle'}; query threads "
        f"{args.query_threads if args.query_threads is not None else 'default'}",
        flush=True,
    )
    if args.busy:
        with busy():
            sys.exit(run(args))
    sys.exit(run(args))


if __name__ == "__main__":
    main()
