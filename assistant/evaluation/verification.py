"""`assistant eval verification` (and `bench/verification.py`): the trained claim verifier beside the old cosine
check, in one run. Rows: SciFact dev (300 claims against their cited abstracts), the PubMedQA perturbation test set,
the seed probe set (eval/verification/seed_probes.jsonl) and latency. Prints the table, writes
eval/reports/<date>-verification.{md,json} and, when the weights are the ones the model card describes, puts the
table in models/verifier/MODEL_CARD.md."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="assistant eval verification", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--per-kind", type=int, default=150, help="perturbation test items per kind of change")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the 2-core machine is shared)")
    args = p.parse_args(argv)
    import torch

    from assistant.answer.verifier.bench import benchmark, table, write_report

    torch.set_num_threads(args.threads)
    report = benchmark(per_kind=args.per_kind)
    report["threads"] = args.threads
    print(table(report))
    out, card = write_report(report)
    print(f"wrote {out}.md/.json; model card {'updated' if card else 'not updated (weights differ from the card)'}")
    return 0
