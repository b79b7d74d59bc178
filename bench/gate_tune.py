"""Choose the answer gate on tune data only (`assistant.evaluation.gate_tuning`), and print the choice.

    .venv/bin/python bench/gate_tune.py [--cases /tmp/gate-cases.pickle]

Asks the 72 seed tune questions, 500 PubMedQA questions from outside its test split (250 with their abstract held
apart) and 300 SciFact train claims (150 with their abstracts held apart) once each, replays every gate of the grid
on the recorded figures, and prints the current gate, the chosen one (the best that keeps the seed split at its CI
gate) and the ten best, with each tune share. Writes eval/reports/<date>-gate-choice.md. Set the chosen values in
`AnswerSettings` by hand (with the report named in the comment): this script changes nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluation.collection import pubmedqa_without, scifact_without
from assistant.evaluation.gate_tuning import (
    Case,
    Gate,
    all_off,
    cached_cases,
    choose,
    collect,
    keeps_seed_gate,
    mean_share,
    shares,
)
from assistant.evaluation.gold import load_gold, suite_path
from assistant.evaluation.metrics import Outcome, missing_facts
from assistant.evaluation.report import REPORTS_DIR
from assistant.evaluation.seeds import eval_settings
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder


def seed_cases(embedder: SentenceTransformerEmbedder, tmp: Path, suite: str = "seeds") -> list[Case]:
    from assistant.api import Assistant

    assistant = Assistant(all_off(eval_settings(load_settings(), "extractive", tmp / suite)), embedder=embedder)
    questions = [
        (r.question, r.answerable, lambda a, r=r: 1 - len(missing_facts(Outcome(r, a))) / max(len(r.key_facts), 1))
        for r in load_gold(suite_path(suite))
    ]
    return collect(assistant, suite, questions)


def collection_cases(embedder: SentenceTransformerEmbedder, name: str, split: str = "tune") -> list[Case]:
    """PubMedQA or SciFact out of collection: right when refused without its abstract, or citing it."""
    from assistant.api import Assistant

    build = pubmedqa_without if name == "pubmedqa" else scifact_without
    settings, absent, present = build(load_settings(), embedder, split, lambda m: print(m, file=sys.stderr))
    assistant = Assistant(all_off(settings), index_seeds=False, embedder=embedder)
    questions = [
        (q.text, q in present, lambda a, q=q: float(any(c.doc_id in q.relevant for c in a.citations)))
        for q in [*absent, *present]
    ]
    return collect(assistant, f"{name}-{split}", questions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, help="a pickle of the asked cases: read if it exists, else written")
    args = parser.parse_args()
    settings = load_settings()

    def ask() -> list[Case]:
        embedder = SentenceTransformerEmbedder(settings.embedding)
        with tempfile.TemporaryDirectory() as tmp:
            cases = seed_cases(embedder, Path(tmp))
        return cases + collection_cases(embedder, "pubmedqa") + collection_cases(embedder, "scifact")

    cases = cached_cases(args.cases, ask)
    current = Gate.of(settings.answer)
    ranked = choose(cases, current, keeps_seed_gate)
    if not ranked:
        raise SystemExit(
            "no gate of the grid keeps the seed tune split at its CI gate (eval/thresholds.toml): none chosen"
        )
    rows = [("current", current), ("chosen", ranked[0][1])] + [(f"#{i + 1}", g) for i, (_, g) in enumerate(ranked[:10])]
    names = list(shares(current, cases))
    lines = ["| gate | " + " | ".join(names) + " | mean | settings |", "|" + "---|" * (len(names) + 3)]
    for label, gate in rows:
        values = shares(gate, cases)
        lines.append(
            f"| {label} | "
            + " | ".join(f"{values[n]:.3f}" for n in names)
            + f" | {mean_share(values):.3f} | {gate.describe()} |"
        )
    table = "\n".join(lines)
    print(table)
    path = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-gate-choice.md"
    path.write_text("# The answer gate, chosen on tune data (bench/gate_tune.py)\n\n" + table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
