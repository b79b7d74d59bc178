"""Parts of sentences, on the verifier's train-side validation documents: kept when faithful, caught when changed.

    .venv/bin/python bench/verifier_parts.py [FOLDER ...]   (default: models/verifier)

A summary quotes part of a sentence: a relative clause as its own sentence, a main clause without its trailing or
concessive clause (`paraphrase.part`). Each such part is checked against the chunk-sized passage that holds its
source; so is the part with one fact flipped (negation, direction). The documents are the validation slice the
training held out (`validation_corpus_docs` of the folder's manifest), so the figures choose between stages
without reading any test set. Prints, per folder, the share of parts kept, of changed parts caught and the ms per
item, all measured in this run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.answer.verifier.data import SciFact
from assistant.answer.verifier.model import SUPPORTED, ClaimVerifier
from assistant.answer.verifier.paraphrase import part
from assistant.answer.verifier.perturb import flip_direction, flip_negation
from assistant.answer.verifier.synthetic import clean, passages, usable

ROOT = Path(__file__).resolve().parent.parent


def items(doc_ids: list[int], seed: int = 13) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(faithful parts, changed parts), each a (sentence, passage sentences) item."""
    rng = random.Random(seed)
    corpus = SciFact.load().corpus
    kept: list[tuple[str, list[str]]] = []
    changed: list[tuple[str, list[str]]] = []
    for doc_id in doc_ids:
        for _, run in passages(corpus[doc_id]):
            for sentence in run:
                piece = part(clean(sentence), rng) if usable(sentence) else None
                if piece is None:
                    continue
                kept.append((piece, run))
                flipped = flip_negation(piece, rng) if rng.random() < 0.5 else flip_direction(piece, rng)
                if flipped and flipped != piece:
                    changed.append((flipped, run))
    return kept, changed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="*", type=Path, default=[ROOT / "models" / "verifier"])
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    manifest = json.loads((args.folders[0] / "manifest.json").read_text())
    kept, changed = items([int(d) for d in manifest["validation_corpus_docs"]])
    print(f"{len(kept)} parts, {len(changed)} changed parts, from {len(manifest['validation_corpus_docs'])} documents")
    print("| verifier | parts kept | changed parts caught | ms per item |\n|---|---|---|---|")
    for folder in args.folders:
        verifier = ClaimVerifier(folder)
        verifier.verify_many(kept[:4])  # load the weights outside the timing
        started = time.perf_counter()
        good = verifier.verify_many(kept)
        bad = verifier.verify_many(changed)
        ms = (time.perf_counter() - started) * 1000 / (len(kept) + len(changed))
        share_kept = sum(v.label == SUPPORTED for v in good) / len(good)
        share_caught = sum(v.label != SUPPORTED for v in bad) / len(bad)
        print(f"| {folder} | {share_kept:.3f} | {share_caught:.3f} | {ms:.1f} |")


if __name__ == "__main__":
    main()
