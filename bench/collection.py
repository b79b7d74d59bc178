"""PubMedQA out of collection and answers that stay put as the library grows (`assistant.evaluation.collection`).

Prints one table and writes eval/reports/<date>-collection.{md,json}. Run: `.venv/bin/python bench/collection.py`
(the first run builds the PubMedQA index, about 10 minutes here; later runs reuse it, then embed 500 SciFact
abstracts twice, a few minutes each). `--split tune` asks the questions outside the test split instead (where
choices may be studied), writes <date>-collection-tune.{md,json} and skips the seed examples.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.app.ui import EXAMPLES
from assistant.evaluation.collection import run_pubmedqa, run_seed_examples, unchanged
from assistant.evaluation.report import REPORTS_DIR
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "tune"), default="test", help="which PubMedQA questions to ask")
    split = parser.parse_args().split
    settings = load_settings()
    embedder = SentenceTransformerEmbedder(settings.embedding)
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    runs = run_pubmedqa(settings, embedder, say, split)
    examples = run_seed_examples(settings, embedder, EXAMPLES, say) if split == "test" else []
    names = list(runs[0].metrics())
    lines = ["| index | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    lines += [f"| {r.name} | " + " | ".join(f"{v:.3f}" for v in r.metrics().values()) + " |" for r in runs]
    same = unchanged(runs[0], runs[1])
    lines += [
        "",
        f"PubMedQA answers unchanged with the SciFact abstracts added: {same['same_text']:.3f} in their text (a "
        f"refusal's nearest passages included), {same['same_decision']:.3f} in their decision (refused or not, "
        "citing the same documents)",
        "",
    ]
    lines += [
        f"- seed example {q!r}: {'same' if ok else 'CHANGED'} with 500 SciFact abstracts beside the seeds"
        for q, ok in examples
    ]
    table = "\n".join(lines)
    print(table)
    stem = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-collection{'' if split == 'test' else '-tune'}"
    stem.with_suffix(".md").write_text("# Answers against the collection\n\n" + table + "\n", encoding="utf-8")
    payload = {
        "runs": {r.name: r.metrics() for r in runs},
        "pubmedqa_unchanged": same["same_text"],
        "pubmedqa_same_decision": same["same_decision"],
        "seed_examples_same": dict(examples),
    }
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
