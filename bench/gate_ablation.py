"""The answer gate's ablation: each refusal reason switched off by name, on the tune and held-out seed splits.

Prints a markdown table (and writes it to eval/reports/<date>-gate-ablation.md): key-fact recall, refusal
precision and recall per split, with every reason on, then with each one off. A reason whose removal does not
hurt held-out figures does not earn its keep. Run: `.venv/bin/python bench/gate_ablation.py` (a few minutes).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluation.metrics import compute
from assistant.evaluation.report import REPORTS_DIR
from assistant.evaluation.seeds import run_eval
from assistant.models import REFUSAL_REASONS
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder

SPLITS = ("seeds", "heldout")  # seeds.jsonl is the tune split
COLUMNS = ("key_fact_recall", "refusal_precision", "refusal_recall")


def main() -> int:
    base = load_settings()
    embedder = SentenceTransformerEmbedder(base.embedding)
    head = ["gate", *(f"{s} {c}" for s in SPLITS for c in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for off in [(), *((r,) for r in REFUSAL_REASONS)]:
        settings = base.model_copy(update={"answer": base.answer.model_copy(update={"gate_off": off})})
        cells = []
        for split in SPLITS:
            metrics = compute(run_eval(split, base=settings, embedder=embedder).outcomes)
            cells += [f"{metrics[c]:.3f}" if isinstance(metrics[c], float) else str(metrics[c]) for c in COLUMNS]
        lines.append(f"| {'all reasons on' if not off else off[0] + ' off'} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    path = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-gate-ablation.md"
    path.write_text("# Answer gate ablation (extractive mode)\n\n" + table + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
