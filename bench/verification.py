"""Verification benchmark: the trained claim verifier beside today's cosine check, in one run.

    .venv/bin/python bench/verification.py [--per-kind 150] [--threads 1]

Rows: SciFact dev (300 claims against their cited abstracts), the PubMedQA perturbation test set, the seed
probe set (eval/verification/seed_probes.jsonl) and latency. Prints the table, writes
eval/reports/<date>-verification.{md,json} and, when the weights are the ones the model card describes,
puts the table in models/verifier/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.answer.verifier.bench import benchmark, table, write_report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-kind", type=int, default=150, help="perturbation test items per kind of change")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the 2-core machine is shared)")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    report = benchmark(per_kind=args.per_kind)
    report["threads"] = args.threads
    print(table(report))
    out, card = write_report(report)
    print(f"wrote {out}.md/.json; model card {'updated' if card else 'not updated (weights differ from the card)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
