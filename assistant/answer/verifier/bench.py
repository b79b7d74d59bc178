"""The verification benchmark: the trained verifier beside today's cosine check (`CitationVerifier.support`).

Rows: SciFact dev (300 claims against their cited abstracts, 339 pairs), the PubMedQA perturbation test set
(caught per kind of change, paraphrases kept), the seed probe set (eval/verification/seed_probes.jsonl) and
latency. Nothing here is tuned: the verifier runs with the verifier.json that training chose. It reads each pair as
the runtime does, with the names the set's own passages define (`AliasMap.written_as`: the runtime's map is its
library's).
"""

from __future__ import annotations

import datetime
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer.verifier.card import update_benchmark
from assistant.answer.verifier.data import BENCH_DIR, SciFact, across_probes, claim_probes, split_text, test_probes
from assistant.answer.verifier.metrics import kept_caught, macro_f1, precision_recall, ranking_ceiling
from assistant.answer.verifier.model import DEFAULT_DIR, LABELS, ClaimVerifier
from assistant.answer.verifier.synthetic import Probe
from assistant.text.aliases import AliasMap, find_aliases

ROOT = Path(__file__).resolve().parents[3]
SEED_PROBES = ROOT / "eval" / "verification" / "seed_probes.jsonl"
Prediction = tuple[str, tuple[int, ...]]  # label, rationale sentence indices


class CosineCheck:
    """Today's check through a tiny adapter: a passage of sentences becomes a one-chunk `Passage`."""

    def __init__(self) -> None:
        import torch

        from assistant.answer.verification import CitationVerifier
        from assistant.settings import AnswerSettings, EmbeddingSettings
        from assistant.store.embeddings import SentenceTransformerEmbedder

        # The embedder sets torch's threads when it loads: keep the count the benchmark chose.
        embedder = SentenceTransformerEmbedder(EmbeddingSettings(threads=torch.get_num_threads()))
        self.checker = CitationVerifier(embedder, AnswerSettings().support_threshold)

    def predict(self, sentence: str, passage: Sequence[str]) -> Prediction:
        from assistant.models import Chunk, DocumentMetadata, DocumentRecord, Passage

        spans, text = [], ""
        for s in passage:
            text += " " if text else ""
            spans.append((len(text), len(text) + len(s)))
            text += s
        chunk = Chunk("bench", "bench", 0, text, 0, len(text), tuple(spans), 0)
        record = DocumentRecord("bench", "bench", DocumentMetadata(), 1, "")
        result = self.checker.support(sentence, Passage(chunk, record, 1.0, 1.0))
        rationale = tuple(spans.index(s) for s in result.spans if s in spans)
        return ("supported" if result.supported else "not_found"), rationale


def run_new(verifier: ClaimVerifier, items: Sequence[Probe]) -> tuple[list[Prediction], float]:
    """Predictions and ms per (sentence, passage) pair, all items in one batched call."""
    passages = dict.fromkeys(" ".join(p.passage) for p in items)
    aliases = AliasMap(pair for text in passages for pair in find_aliases(text))
    start = time.perf_counter()
    verdicts = verifier.verify_many([(p.hypothesis, list(p.passage)) for p in items], aliases.written_as)
    ms = (time.perf_counter() - start) * 1000 / max(1, len(items))
    return [(v.label, v.rationale) for v in verdicts], ms


def run_old(check: CosineCheck, items: Sequence[Probe]) -> tuple[list[Prediction], float]:
    start = time.perf_counter()
    predictions = [check.predict(p.hypothesis, p.passage) for p in items]
    return predictions, (time.perf_counter() - start) * 1000 / max(1, len(items))


def scifact_row(items: Sequence[Probe], predictions: Sequence[Prediction]) -> dict[str, float]:
    gold, pred = [p.label for p in items], [label for label, _ in predictions]
    precision, recall = precision_recall(gold, pred)
    found = total = 0
    for item, (_, rationale) in zip(items, predictions, strict=True):
        if item.rationale:
            total += len(item.rationale)
            found += len(set(item.rationale) & set(rationale))
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    return {"precision_supported": precision, "recall_supported": recall, "macro_f1": macro_f1(gold, pred),
            "rationale_recall": found / max(1, total), "accuracy": accuracy, "pairs": len(items)}  # fmt: skip


def ranking_row(verifier: ClaimVerifier, items: Sequence[Probe], recall: float = 0.6) -> dict[str, float]:
    """How well p(supported) ranks the pairs, whatever the threshold: each pair's best p over the units the runtime
    scores (its `max_units` passage sentences and their window, read as calibration reads them). Its best precision
    at the target's recall says whether a threshold could reach the target or only a better model."""
    from assistant.answer.verifier.training import unit_tables  # the heavy training module only when asked

    cap = verifier.config.max_units
    tables = unit_tables(verifier, items, (cap,))[cap]
    scores = [max(float(p[0]) for p in table.values()) for table in tables]
    average, best = ranking_ceiling([item.label == "supported" for item in items], scores, recall)
    return {"average_precision_supported": average, f"best_precision_at_recall_{recall:.2f}": best}


def perturbation_row(items: Sequence[Probe], predictions: Sequence[Prediction]) -> dict[str, float]:
    """Share caught per kind (entity also per entity kind), and the share of paraphrases kept."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item, (label, _) in zip(items, predictions, strict=True):
        groups[item.kind].append(label)
        if item.kind == "entity":
            groups[f"entity:{item.detail}"].append(label)
    faithful = {item.kind for item in items if item.label == "supported"}  # kept, not caught: the last figure
    row = {f"caught:{k}": sum(p != "supported" for p in v) / len(v) for k, v in sorted(groups.items())}
    row = {k: v for k, v in row.items() if k.removeprefix("caught:") not in faithful}
    kept, caught = kept_caught([p.label for p in items], [label for label, _ in predictions])
    return row | {"caught:all": caught, "paraphrase_kept": kept, "items": len(items)}


def called_row(items: Sequence[Probe], predictions: Sequence[Prediction]) -> dict[str, float]:
    """The share of each verdict, for a set whose items have no one right verdict (the across-sense rewordings:
    never a contradiction, not always the same claim)."""
    said = [label for label, _ in predictions]
    return {f"called:{label}": said.count(label) / max(1, len(said)) for label in LABELS} | {"items": len(items)}


def seed_items(path: Path = SEED_PROBES) -> list[Probe]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Probe(r["sentence"], tuple(split_text(r["passage"])), r["expected"], r["kind"], r["id"]) for r in rows]


def seed_row(items: Sequence[Probe], predictions: Sequence[Prediction]) -> dict[str, float]:
    by: dict[str, list[bool]] = defaultdict(list)
    for item, (label, _) in zip(items, predictions, strict=True):
        by[f"accuracy:{item.label}"].append(label == item.label)
        if item.label != "supported":
            by["caught:fabricated"].append(label != "supported")
    return {k: sum(v) / len(v) for k, v in sorted(by.items())} | {"items": len(items)}


def answer_latency(verifier: ClaimVerifier, repeats: int = 5) -> dict[str, float]:
    """A four-sentence faithful answer, each sentence against the seed passage it cites (warm model)."""
    items = [p for p in seed_items() if p.label == "supported"][::5][:4]
    pairs = [(p.hypothesis, list(p.passage)) for p in items]
    verifier.verify_many(pairs)
    times, units = [], 0
    for _ in range(repeats):
        before = verifier.units_scored
        start = time.perf_counter()
        verifier.verify_many(pairs)
        times.append((time.perf_counter() - start) * 1000)
        units = verifier.units_scored - before
    return {"answer_4_sentences_ms": sorted(times)[len(times) // 2], "units_scored": units}


def guarded(new: Prediction, old: Prediction) -> Prediction:
    """What guards an LLM answer sentence (`CitationVerifier`): supported only when the verifier supports it and it
    passes the cosine prefilter too; the verifier alone says contradicted."""
    return ("not_found", ()) if new[0] == "supported" and old[0] != "supported" else new


def benchmark(per_kind: int = 150, seed: int = 13, bench_dir: Path = BENCH_DIR) -> dict[str, Any]:
    verifier, old = ClaimVerifier(), CosineCheck()
    sci = SciFact.load(bench_dir)
    sets = {"scifact_dev": claim_probes(sci.dev, sci.corpus), "perturbation": test_probes(seed, per_kind, bench_dir),
            "rewording": test_probes(seed, per_kind, bench_dir, rewordings=True),
            "rewording_across": across_probes(seed, per_kind, bench_dir), "seeds": seed_items()}  # fmt: skip
    rows = {"scifact_dev": scifact_row, "perturbation": perturbation_row, "rewording": perturbation_row,
            "rewording_across": called_row, "seeds": seed_row}  # fmt: skip
    report: dict[str, Any] = {"config": {k: v for k, v in vars(verifier.config).items()}, "rows": {}}
    for name, items in sets.items():
        before = verifier.units_scored
        new, new_ms = run_new(verifier, items)
        units = verifier.units_scored - before
        old_pred, old_ms = run_old(old, items)
        both = [guarded(n, o) for n, o in zip(new, old_pred, strict=True)]
        report["rows"][name] = {"new": rows[name](items, new), "old": rows[name](items, old_pred),
                                "guard": rows[name](items, both),
                                "ms_per_pair": {"new": new_ms, "old": old_ms}}  # fmt: skip
        report["rows"][name]["units_per_pair"] = units / max(1, len(items))
        report[f"predictions:{name}"] = [
            {"sentence": i.hypothesis, "gold": i.label, "kind": i.kind, "new": n[0], "new_rationale": list(n[1]),
             "old": o[0], "origin": i.origin or i.detail}
            for i, n, o in zip(items, new, old_pred, strict=True)
        ]  # fmt: skip
    report["rows"]["scifact_dev"]["new"] |= ranking_row(verifier, sets["scifact_dev"])  # after the timed runs
    report["latency"] = answer_latency(verifier)
    return report


_TARGETS = {
    "scifact_dev": "precision of supported >= 0.90 at recall >= 0.60 (best_precision_at_recall_0.60: the most any "
    "threshold on this model's p(supported) gives)",
    "perturbation": ">= 95% caught, >= 85% of paraphrases kept",
    "rewording": "none (a verb of the same sense kept, of the opposite sense caught; beside the perturbations)",
    "rewording_across": "none (a verb of the other sense of its direction is never a contradiction)",
    "latency": "<= 15 ms per (sentence, passage) pair; a 4-sentence answer < 100 ms; 50 sentences checked < 10 s",
}


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def table(report: dict[str, Any]) -> str:
    lines = [
        "| set | metric | verifier (new) | cosine check (old) | answer guard (both) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, row in report["rows"].items():
        guard = row.get("guard", {})
        for metric, value in row["new"].items():
            cells = [_fmt(value), _fmt(row["old"].get(metric, "")), _fmt(guard.get(metric, ""))]
            lines.append(f"| {name} | {metric} | " + " | ".join(cells) + " |")
        ms = row["ms_per_pair"]
        lines.append(f"| {name} | ms per pair (batched) | {ms['new']:.1f} | {ms['old']:.1f} | |")
        lines.append(f"| {name} | model units per pair | {row['units_per_pair']:.2f} | | |")
    latency = report["latency"]
    lines.append(f"| latency | 4-sentence answer, ms | {latency['answer_4_sentences_ms']:.1f} | | |")
    if "check_50_sentences_s" in latency:
        lines.append(
            f"| latency | claim check of 50 sentences (retrieval included), s | {latency['check_50_sentences_s']} | | |"
        )
    targets = "\n".join(f"- {k}: {v}" for k, v in _TARGETS.items())
    return "\n".join(lines) + f"\n\nTargets (issue 13):\n{targets}\n"


def write_report(report: dict[str, Any]) -> tuple[Path, bool]:
    """eval/reports/<date>-verification.{md,json}; the table goes in the model card when the weights match."""
    day = datetime.date.today().isoformat()
    out = ROOT / "eval" / "reports" / f"{day}-verification"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Verification benchmark ({day}, {report.get('threads', '?')} torch thread)\n\n"
    out.with_suffix(".md").write_text(header + table(report))
    out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    return out, update_benchmark(DEFAULT_DIR, header.replace("# ", "### ") + table(report))
