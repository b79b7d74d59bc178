"""The server while a 50 MB upload is indexed: `/api/health` and a question answered meanwhile, then SIGTERM.

    .venv/bin/python bench/upload_health.py [--mb 48] [--probe-s 60]

A real `assistant serve` over the seeds; one JSONL of SciFact abstracts (repeated under new ids up to `--mb`)
is uploaded to `POST /api/documents`. Prints the upload's answer time (202: queued), `/api/health` and
`/api/ask` latency p50/p95/max before the upload (baseline) and while the worker parses and embeds it (as
ratios to the baseline), how many documents were committed, and how long SIGTERM took to end the server.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.big_file import SCIFACT, committed, write_scifact_jsonl  # noqa: E402
from bench.load import Server, percentile  # noqa: E402

QUESTION = "What does imatinib do to regulatory T cells?"
_BYTES_PER_RECORD = 1550  # SciFact abstracts as JSONL, on average


@dataclass
class Probes:
    health_ms: list[float] = field(default_factory=list)
    ask_ms: list[float] = field(default_factory=list)

    def line(self, name: str, base: Probes | None = None) -> str:
        parts = [f"{name:<9}"]
        for kind, ms in (("health", self.health_ms), ("ask", self.ask_ms)):
            ms = ms or [float("nan")]
            p50, p95 = statistics.median(ms), percentile(ms, 0.95)
            text = f"{kind} p50 {p50:6.0f} ms p95 {p95:6.0f} ms max {max(ms):6.0f} ms"
            ref = base and (base.health_ms if kind == "health" else base.ask_ms)
            if ref:
                text += f" (p50 x{p50 / statistics.median(ref):.1f})"
            parts.append(text)
        return "  ".join(parts)


@dataclass
class Figures:
    size_mb: float
    records: int
    upload_s: float
    idle: Probes
    busy: Probes
    states: list[str]
    committed: int
    stop_s: float
    exit_code: int | None


def probe(http: httpx.Client, probes: Probes, ask: bool) -> None:
    started = time.perf_counter()
    assert http.get("/api/health").status_code == 200
    probes.health_ms.append((time.perf_counter() - started) * 1000)
    if ask:
        started = time.perf_counter()
        # Worded anew each time (as bench/load.py does): the same words would be answered from the caches.
        question = f"{QUESTION} ({len(probes.ask_ms) + 1})"
        assert http.post("/api/ask", json={"question": question, "mode": "extractive"}).status_code == 200
        probes.ask_ms.append((time.perf_counter() - started) * 1000)


def measure(work: Path, index_dir: Path, mb: float, probe_s: float, min_committed: int = 0) -> Figures:
    """Upload a JSONL of about `mb` MB to a server on `index_dir`; probe for `probe_s` s once it is queued (and
    until `min_committed` of its documents are committed), then SIGTERM the server."""
    corpus = work / "big.jsonl"
    records = write_scifact_jsonl(corpus, round(mb * 1e6 / _BYTES_PER_RECORD))
    env = {"ASSISTANT_SERVER__MAX_UPLOAD_MB": "50", "ASSISTANT_INGEST__COMMIT_DOCUMENTS": "32"}
    server = Server(index_dir, env)
    try:
        server.wait()
        before = committed_now(server)
        idle, busy, states = Probes(), Probes(), []
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for i in range(20):
                probe(http, idle, ask=i % 2 == 0)
            started = time.perf_counter()
            with corpus.open("rb") as data:
                response = http.post("/api/documents", files={"file": ("big.jsonl", data, "application/json")})
            upload_s = time.perf_counter() - started
            assert response.status_code == 202, response.text
            job_url = response.headers["location"]
            deadline = time.monotonic() + probe_s
            for i in range(100_000):
                probe(http, busy, ask=i % 5 == 0)
                job = http.get(job_url).json()
                states.append(job["state"])
                if job["state"] not in ("queued", "running"):
                    raise RuntimeError(f"the upload ended early: {job}")
                if time.monotonic() > deadline and committed_now(server) - before >= min_committed:
                    break
                time.sleep(0.2)
        started = time.perf_counter()
        server.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = server.process.wait(timeout=30)
        except Exception:
            code = None
        stop_s = time.perf_counter() - started
    finally:
        server.stop()
    size = corpus.stat().st_size / 1e6
    return Figures(size, records, upload_s, idle, busy, states, committed(index_dir) - before, stop_s, code)


def committed_now(server: Server) -> int:
    return int(httpx.get(f"{server.url}/api/health", timeout=30).json()["documents"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=48.0, help="size of the upload (the limit is 50 MB)")
    parser.add_argument("--probe-s", type=float, default=60.0, help="seconds of probing while it is indexed")
    args = parser.parse_args()
    if not SCIFACT.exists():
        sys.exit(f"no SciFact corpus at {SCIFACT}")
    with tempfile.TemporaryDirectory() as tmp:
        f = measure(Path(tmp), Path(tmp) / "index", args.mb, args.probe_s)
    print(f"upload: {f.size_mb:.1f} MB, {f.records} records, answered 202 in {f.upload_s:.1f} s")
    print(f.idle.line("idle"))
    print(f.busy.line("indexing", f.idle))
    print(f"job states seen: {', '.join(sorted(set(f.states)))}; {f.committed} documents committed when stopped")
    print(f"SIGTERM to exit: {f.stop_s:.1f} s (exit code {f.exit_code})")


if __name__ == "__main__":
    main()
