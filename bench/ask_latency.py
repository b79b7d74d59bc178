"""Question latency: a cold `assistant ask` process, and warm in-process answers (p50/p95 over 20 questions).

Figures are printed next to a baseline measured in the same run: one bare `SentenceTransformer.encode`
of the question with the threads a question is encoded with (the least any dense answer must cost), so the
ratios travel between machines. With `--busy` the warm figures are measured again with two CPU-bound processes
running beside (a laptop where other programs use the cores) and printed next to the idle ones.

    .venv/bin/python bench/ask_latency.py
    .venv/bin/python bench/ask_latency.py --busy
    .venv/bin/python bench/ask_latency.py --busy --query-threads 0   # questions encoded on every core
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant  # noqa: E402,F401  (offline environment first)
from assistant.api import Assistant  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from assistant.store.embeddings import SentenceTransformerEmbedder, torch_threads  # noqa: E402
from bench.load import busy, percentile  # noqa: E402

QUESTION = "how does imiquimod activate dendritic cells"


def _questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/gold/tune.jsonl").read_text().splitlines() if line]
    return [r["question"] for r in rows[:n]]


def warm(a: Assistant) -> tuple[list[float], list[float]]:
    """(bare encodes of one question, warm asks of 20 questions) in ms; every question encoded afresh."""
    embedder = a.embedder
    assert isinstance(embedder, SentenceTransformerEmbedder)
    encode = []
    with torch_threads(embedder.threads_for(1), embedder.settings.threads):
        for _ in range(20):
            t = time.perf_counter()
            embedder.model.encode([QUESTION], normalize_embeddings=True)
            encode.append((time.perf_counter() - t) * 1000)
    asks = []
    for q in _questions(20):
        embedder.forget()
        t = time.perf_counter()
        a.ask(q)
        asks.append((time.perf_counter() - t) * 1000)
    return encode, asks


def cold(index_dir: Path, env: dict[str, str]) -> list[float]:
    environ = os.environ | env | {"ASSISTANT_PATHS__INDEX_DIR": str(index_dir)}
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/assistant"), "ask", QUESTION, "--json"], env=environ, check=True, capture_output=True
        )
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="also measure with two CPU-bound processes beside")
    parser.add_argument("--query-threads", type=int, default=None, help="ASSISTANT_EMBEDDING__QUERY_THREADS")
    args = parser.parse_args()
    embedding = {} if args.query_threads is None else {"query_threads": args.query_threads}
    env = {} if args.query_threads is None else {"ASSISTANT_EMBEDDING__QUERY_THREADS": str(args.query_threads)}
    index_dir = Path(tempfile.mkdtemp()) / "index"
    settings = load_settings(paths={"index_dir": index_dir}, embedding=embedding)
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; torch threads: {settings.embedding.threads} "
        f"for batches, {settings.embedding.query_threads} for questions (0: one per core)"
    )
    started = time.perf_counter()
    a = Assistant(settings)
    print(f"index seeds (model load included): {time.perf_counter() - started:.2f} s")
    a.ask(QUESTION)  # warm-up
    runs = {"idle": warm(a)}
    if args.busy:
        with busy():
            runs["busy"] = warm(a)
    print(f"{'':<38}" + "".join(f"{name:>18}" for name in runs))
    rows = {
        "bare encode of one question, p50": [statistics.median(e) for e, _ in runs.values()],
        "warm ask, 20 questions, p50": [statistics.median(w) for _, w in runs.values()],
        "warm ask, 20 questions, p95": [percentile(w, 0.95) for _, w in runs.values()],
    }
    for label, values in rows.items():
        print(f"{label:<38}" + "".join(f"{v:>15.1f} ms" for v in values))
    ratios = [statistics.median(w) / statistics.median(e) for e, w in runs.values()]
    print(f"{'warm ask p50 / bare encode p50':<38}" + "".join(f"{r:>17.1f}x" for r in ratios))

    p50 = statistics.median(runs["idle"][1])
    times = cold(index_dir, env)
    print(
        f"cold `assistant ask` process (idle): median {statistics.median(times):.2f} s over 3 "
        f"({statistics.median(times) * 1000 / p50:.0f}x a warm ask)"
    )


if __name__ == "__main__":
    main()
