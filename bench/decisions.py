"""PubMedQA yes/no/maybe accuracy of what the answer's supported sentences decide
(`assistant.evaluation.decisions`), tune part and test split side by side.

    .venv/bin/python bench/decisions.py

Prints the table and writes eval/reports/<date>-decisions.md. Uses the cached out-of-collection PubMedQA indexes of
`bench/collection.py` (built on the first run).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluation.decisions import LABELS, run_decisions
from assistant.evaluation.report import REPORTS_DIR
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder


def main() -> int:
    argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0]).parse_args()  # --help, not the job
    settings = load_settings()
    embedder = SentenceTransformerEmbedder(settings.embedding)
    runs = [run_decisions(settings, embedder, split) for split in ("tune", "test")]
    names = list(runs[0].metrics())
    lines = ["| split | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    lines += [
        f"| {r.split} | " + " | ".join(f"{v:g}" if v == int(v) else f"{v:.3f}" for v in r.metrics().values()) + " |"
        for r in runs
    ]
    for run in runs:
        lines += ["", f"{run.split}: rows gold, columns predicted", "", "| gold | " + " | ".join(LABELS) + " |"]
        lines += ["|" + "---|" * (len(LABELS) + 1)]
        lines += [f"| {g} | " + " | ".join(str(n) for n in row.values()) + " |" for g, row in run.confusion().items()]
    table = "\n".join(lines)
    print(table)
    path = REPORTS_DIR / f"{datetime.now(UTC).date().isoformat()}-decisions.md"
    head = "# PubMedQA yes/no/maybe from what the answer's sentences decide (bench/decisions.py)\n\n"
    path.write_text(head + (__doc__ or "").split("\n\n")[0] + "\n\n" + table + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
