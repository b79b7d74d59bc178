"""PubMedQA out of collection and answers that stay put as the library grows (`assistant.evaluation.collection`).

Prints one table and writes eval/reports/<date>-collection.{md,json}. Run: `.venv/bin/python bench/collection.py`
(the first run builds the PubMedQA index, about 10 minutes here; later runs reuse it, then embed 500 SciFact
abstracts twice, a few minutes each).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.app.ui import EXAMPLES
from assistant.evaluation.collection import run_pubmedqa, run_seed_examples
from assistant.evaluation.report import REPORTS_DIR
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder


def main() -> int:
    settings = load_settings()
    embedder = SentenceTransformerEmbedder(settings.embedding)
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    runs = run_pubmedqa(settings, embedder, say)
    examples = run_seed_examples(settings, embedder, EXAMPLES, say)
    names = list(runs[0].metrics())
    lines = ["| index | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    lines += [f"| {r.name} | " + " | ".join(f"{v:.3f}" for v in r.metrics().values()) + " |" for r in runs]
    same = sum(runs[0].texts[q] == runs[1].texts[q] for q in runs[0].texts) / len(runs[0].texts)
    lines += ["", f"PubMedQA answers unchanged with the SciFact abstracts added: {same:.3f}", ""]
    lines += [
        f"- seed example {q!r}: {'same' if ok else 'CHANGED'} with 500 SciFact abstracts beside the seeds"
        for q, ok in examples
    ]
    table = "\n".join(lines)
    print(table)
    stem = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-collection"
    stem.with_suffix(".md").write_text("# Answers against the collection\n\n" + table + "\n", encoding="utf-8")
    payload = {
        "runs": {r.name: r.metrics() for r in runs},
        "pubmedqa_unchanged": same,
        "seed_examples_same": dict(examples),
    }
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
