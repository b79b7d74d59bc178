"""Full retrieval benchmarks: SciFact (300 dev claims, 5183 abstracts) and PubMedQA PQA-L (500 test questions,
1000 abstracts), every pipeline, on indexes cached under `index/.bench-cache/` (the first run embeds them).

    .venv/bin/python bench/retrieval.py [scifact|pubmedqa ...]      # or: make bench-retrieval

Prints each dataset's table and writes eval/reports/<date>-retrieval-<dataset>.{md,json}.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.evaluation.retrieval.cli import main
from assistant.evaluation.retrieval.datasets import DATASETS


def run(names: list[str]) -> int:
    status = 0
    for name in names or list(DATASETS):
        status = max(status, main(["--dataset", name]))
    return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
