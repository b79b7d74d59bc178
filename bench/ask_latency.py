"""Question latency: a cold `assistant ask` process, and warm in-process answers (p50/p95 over 20 questions).

Figures are printed next to a baseline measured in the same run: one bare `SentenceTransformer.encode`
of the question (the least any dense answer must cost), so the ratios travel between machines.

    .venv/bin/python bench/ask_latency.py
"""

from __future__ import annotations

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

QUESTION = "how does imiquimod activate dendritic cells"


def _questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/gold/seeds.jsonl").read_text().splitlines() if line]
    return [r["question"] for r in rows[:n]]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    index_dir = Path(tempfile.mkdtemp()) / "index"
    settings = load_settings(paths={"index_dir": index_dir})
    started = time.perf_counter()
    a = Assistant(settings)
    print(f"index seeds (model load included): {time.perf_counter() - started:.2f} s")

    a.ask(QUESTION)  # warm-up
    encode = []
    for _ in range(20):
        t = time.perf_counter()
        a.embedder.model.encode([QUESTION], normalize_embeddings=True)
        encode.append((time.perf_counter() - t) * 1000)
    base = statistics.median(encode)
    warm = []
    for q in _questions(20):
        a.embedder._cache.clear()
        t = time.perf_counter()
        a.ask(q)
        warm.append((time.perf_counter() - t) * 1000)
    p50, p95 = statistics.median(warm), _percentile(warm, 0.95)
    print(f"baseline: bare encode of one question p50 {base:.1f} ms")
    print(f"warm ask, 20 questions: p50 {p50:.1f} ms ({p50 / base:.1f}x baseline), p95 {p95:.1f} ms")

    env = os.environ | {"ASSISTANT_PATHS__INDEX_DIR": str(index_dir)}
    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/assistant"), "ask", QUESTION, "--json"], env=env, check=True, capture_output=True
        )
        cold.append(time.perf_counter() - t)
    print(
        f"cold `assistant ask` process: median {statistics.median(cold):.2f} s over 3 "
        f"({statistics.median(cold) * 1000 / p50:.0f}x a warm ask)"
    )


if __name__ == "__main__":
    main()
