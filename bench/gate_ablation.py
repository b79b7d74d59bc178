"""The answer gate's ablation: each refusal reason switched off by name, on tune and held-out data alike.

    .venv/bin/python bench/gate_ablation.py [--cases /tmp/ablation-cases.pickle]

Asks every question once (`assistant.evaluation.gate_tuning`: with every reason off, recording what the gate sees)
and replays the rule gate, then the rule gate with each reason off, then without paraphrase forgiveness
(`answer.paraphrase_cosine`), then the learned gate (models/gate/gate.json) and the learned gate with each reason's
features removed (`answer.gate_off`), on seven sets: the seed tune splits (`tune`, `tune_paraphrase`) and the
held-out split, PubMedQA and SciFact out of collection on their tune parts and on their test parts. Per set,
`answered` is the answer score over answerable questions (seed key facts found; PubMedQA/SciFact: cites its own
abstract; 0 when refused) and `refused` the share of unanswerable questions refused. Writes
eval/reports/<date>-gate-ablation.md. A reason whose removal does not hurt the held-out sets does not earn its keep;
choices are made on the tune sets only (`bench/gate_tune.py`, `bench/gate_train.py`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer.gate.learned import load_gate
from assistant.evaluation.gate_tuning import Case, Configured, Gate, Replay, cached_cases, shares
from assistant.evaluation.report import REPORTS_DIR
from assistant.models import RULE_REASONS
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder
from bench.gate_tune import collection_cases, seed_cases


def ask_all() -> list[Case]:
    embedder = SentenceTransformerEmbedder(load_settings().embedding)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = ("seeds", "tune_paraphrase", "heldout")
        cases = [case for suite in seeds for case in seed_cases(embedder, Path(tmp), suite)]
    for name in ("pubmedqa", "scifact"):
        cases += collection_cases(embedder, name, "tune") + collection_cases(embedder, name, "test")
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, help="a pickle of the asked cases: read if it exists, else written")
    args = parser.parse_args()
    cases = cached_cases(args.cases, ask_all)
    settings = load_settings()
    current = Gate.of(settings.answer)
    rows: list[tuple[str, Replay]] = [("rule gate", current)]
    rows += [(f"{r} off", replace(current, off=current.off | {r})) for r in RULE_REASONS]
    rows += [("no paraphrase forgiveness", replace(current, paraphrase_cosine=1.01))]
    learned, model = settings.answer.model_copy(update={"gate": "learned"}), load_gate(settings.paths.gate_dir)
    learned_gate = Configured(learned, model)
    rows += [("learned gate", learned_gate)]
    rows += [
        (f"learned, {r} off", Configured(learned.model_copy(update={"gate_off": (r,)}), model)) for r in RULE_REASONS
    ]
    names = list(shares(current, cases))
    lines = ["| gate | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for label, gate in rows:
        values = shares(gate, cases)
        lines.append(f"| {label} | " + " | ".join(f"{values[n]:.3f}" for n in names) + " |")
    counts: dict[str, list[int]] = {}
    for c in cases:
        counts.setdefault(c.suite, [0, 0])[0 if c.answerable else 1] += 1
    table = "\n".join(lines)
    sizes = "; ".join(f"{s}: {a} answerable, {u} unanswerable" for s, (a, u) in counts.items())
    print(table + "\n\n" + sizes)
    path = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-gate-ablation.md"
    path.write_text(
        "# Answer gate ablation (extractive mode, `bench/gate_ablation.py`)\n\n"
        f"Rule gate: {current.describe()}. Learned gate: {learned_gate.describe()} "
        "(`bench/gate_train.py`).\n\n"
        f"{table}\n\n{sizes}\n",
        encoding="utf-8",
    )
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
