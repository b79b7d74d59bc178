"""Big-file benchmark: one JSONL of 6,000+ SciFact abstracts through `assistant index`, killed with SIGKILL at
about 60% of the file and run again.

    .venv/bin/python bench/big_file.py [--records 6000] [--kill-at 0.6] [--sentences 0]

Prints the documents/s of both runs (wall clock, model load included, and the pace the progress line
reported), how many documents the kill left committed, and the kill-and-resume share: the part of the
file the second run embedded (about 1 - kill-at, not all of it). The corpus has 5,183 abstracts; records
past that repeat them under new ids, which makes them new documents to the index.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCIFACT = ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"
# The CLI's progress line when stderr is not a terminal (`IndexProgress.__str__`).
_RECORDS = re.compile(r"(?P<done>\d+)/(?P<total>\d+) records")
_RATE = re.compile(r"(?P<rate>[\d.]+) docs/s")
_ADDED = re.compile(r"(?P<added>\d+) added, \d+ replaced, (?P<unchanged>\d+) unchanged")


def write_scifact_jsonl(path: Path, records: int, sentences: int = 0) -> int:
    """`records` SciFact abstracts as JSONL (the first `sentences` of each, or all); returns their number.
    Records past the corpus's 5,183 repeat it under new ids."""
    from assistant.ingest.documents import clean_text

    corpus = [json.loads(line) for line in SCIFACT.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for i in range(records):
            record, copy = corpus[i % len(corpus)], i // len(corpus)
            key = f"{record['doc_id']}" + (f"-{copy}" if copy else "")
            text = " ".join(_first_sentences(record["abstract"], sentences, clean_text))
            out.write(json.dumps({"id": key, "title": record["title"], "text": text}) + "\n")
    return records


def _first_sentences(abstract: list[str], n: int, clean: Callable[[str], str]) -> list[str]:
    """The first `n` sentences that cleaning keeps ("All rights reserved." it drops), or all when `n` is 0."""
    if not n:
        return abstract
    kept: list[str] = []
    for sentence in abstract:
        if len(kept) < n and clean(sentence):
            kept.append(sentence)
    return kept


@dataclass
class IndexRun:
    """One `assistant index` process: its progress lines, how it ended, and what it printed."""

    seconds: float
    killed: bool
    progress: list[str]
    summary: str

    @property
    def added(self) -> int:
        match = _ADDED.search(self.summary)
        return int(match["added"]) if match else 0

    @property
    def unchanged(self) -> int:
        match = _ADDED.search(self.summary)
        return int(match["unchanged"]) if match else 0

    @property
    def reported_rate(self) -> float | None:
        """The last documents/s the progress line gave (embedding and writing only)."""
        rates = [float(m["rate"]) for line in self.progress if (m := _RATE.search(line))]
        return rates[-1] if rates else None


def run_index(
    path: Path, index_dir: Path, kill_at: int | None = None, echo: int = 0, env: Mapping[str, str] | None = None
) -> IndexRun:
    """`assistant index path` in a new process (settings from `env` too); SIGKILL once its progress line shows
    `kill_at` records done. Every `echo`-th progress line is printed (none when 0)."""
    environ = os.environ | {"ASSISTANT_PATHS__INDEX_DIR": str(index_dir)} | dict(env or {})
    command = [sys.executable, "-m", "assistant.app.cli", "index", str(path)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=environ)
    assert proc.stdout is not None and proc.stderr is not None
    progress, killed = [], False
    for line in proc.stderr:
        match = _RECORDS.search(line)
        if match:
            progress.append(line.strip())
            if echo and len(progress) % echo == 1:
                print(f"  {progress[-1]}", flush=True)
        if kill_at is not None and match and int(match["done"]) >= kill_at:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    summary = proc.stdout.read()
    proc.wait()
    if not killed and proc.returncode != 0:
        raise RuntimeError(f"assistant index failed ({proc.returncode}): {proc.stderr.read()[-2000:]}")
    return IndexRun(time.perf_counter() - started, killed, progress, summary)


def committed(index_dir: Path) -> int:
    """Documents the index holds, read by a fresh client as the next run would."""
    from assistant.settings import load_settings
    from assistant.store.chroma import Store

    return len(Store(load_settings(paths={"index_dir": index_dir})).ready_ids())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--kill-at", type=float, default=0.6, help="share of the records done at the kill")
    parser.add_argument("--sentences", type=int, default=0, help="first sentences of each abstract (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index_dir = Path(tmp) / "scifact.jsonl", Path(tmp) / "index"
        n = write_scifact_jsonl(corpus, args.records, args.sentences)
        print(f"{n} records, {corpus.stat().st_size / 1e6:.1f} MB; killing at {args.kill_at:.0%}", flush=True)
        first = run_index(corpus, index_dir, kill_at=round(args.kill_at * n), echo=20)
        kept = committed(index_dir)
        print(f"killed: {first.killed} after {first.seconds:.0f} s; {kept} documents committed ({kept / n:.0%})")
        print(f"  first run: {kept / first.seconds:.2f} docs/s wall, {first.reported_rate} docs/s reported")
        second = run_index(corpus, index_dir, echo=20)
        print(f"resumed: {second.summary.strip()}")
        print(f"  second run: {second.added / second.seconds:.2f} docs/s wall, {second.reported_rate} docs/s reported")
        print(f"kill-and-resume share: the second run embedded {second.added}/{n} = {second.added / n:.0%}")
        total = committed(index_dir)
        print(f"index holds {total}/{n} documents; resumed + kept = {second.added + second.unchanged}")


if __name__ == "__main__":
    main()
