"""`assistant eval verification` (and `bench/verification.py`): the trained claim verifier beside the old cosine
check, in one run. Rows: SciFact dev (300 claims against their cited abstracts), the PubMedQA perturbation test set,
the seed probe set (eval/verification/seed_probes.jsonl) and latency, with the claim check of 50 sentences on the
seed index (`Assistant.check`, retrieval included). Prints the table, writes
eval/reports/<date>-verification.{md,json} and, when the weights are the ones the model card describes, puts the
table in models/verifier/MODEL_CARD.md."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

CHECK_SENTENCES = 50  # the claim-check figure: 50 sentences in under 10 s on this CPU
PER_KIND = 150  # perturbation test items per kind of change: the benchmark's size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="assistant eval verification", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--per-kind", type=int, default=PER_KIND, help="perturbation test items per kind of change")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the 2-core machine is shared)")
    args = p.parse_args(argv)
    import torch

    from assistant.answer.verifier.bench import benchmark, table, write_report

    torch.set_num_threads(args.threads)
    report = benchmark(per_kind=args.per_kind)
    report["threads"] = args.threads
    report["latency"]["check_50_sentences_s"] = check_latency()
    print(table(report))
    if args.per_kind != PER_KIND:  # a smaller run would replace the day's report and the card's figures
        print(f"--per-kind {args.per_kind} is not the benchmark's {PER_KIND}: no report or model card written")
        return 0
    out, card = write_report(report)
    print(f"wrote {out}.md/.json; model card {'updated' if card else 'not updated (weights differ from the card)'}")
    return 0


def check_latency(n: int = CHECK_SENTENCES) -> float:
    """Seconds for `Assistant.check` on a text of `n` distinct sentences about the seeds (`check_sentences`), on a
    fresh seed index with a warm model: retrieval and verification, as a user waits for them."""
    from assistant.api import Assistant
    from assistant.evaluation.seeds import eval_settings
    from assistant.settings import load_settings

    sentences = check_sentences(n)
    text = " ".join(sentences)
    with tempfile.TemporaryDirectory(prefix="assistant-check-") as tmp:
        assistant = Assistant(eval_settings(load_settings(), "extractive", Path(tmp)))
        assistant.check(sentences[0])  # loads the verifier and the retriever's indexes
        start = time.perf_counter()
        report = assistant.check(text)
        seconds = time.perf_counter() - start
    assert len(report.sentences) == n, f"checked {len(report.sentences)} of {n} sentences"
    return round(seconds, 2)


def check_sentences(n: int) -> list[str]:
    """`n` distinct sentences about the seeds: the seed probes' (faithful and changed), then the first sentence of
    each reference answer of the seed tune split. None repeats, so the verifier scores every one of them."""
    from assistant.answer.verifier.bench import seed_items
    from assistant.evaluation.gold import load_gold, suite_path
    from assistant.text.sentences import split_sentences

    answers = [r.answer for r in load_gold(suite_path("seeds")) if r.answerable]
    firsts = [a[s:e] for a in answers for s, e in split_sentences(a)[:1]]
    sentences = list(dict.fromkeys([p.hypothesis for p in seed_items()] + firsts))
    if len(sentences) < n:
        raise ValueError(f"only {len(sentences)} distinct seed sentences for a check of {n}")
    return sentences[:n]
