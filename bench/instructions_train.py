"""Train the learned instruction screen (`assistant/answer/instruction_screen.py`) on tune data only.

    .venv/bin/python bench/instructions_train.py        (make instructions; about 5 minutes on 2 cores)

Data (tune): the instruction-like sentences and look-alikes of eval/injection/tune.jsonl and tune2.jsonl and a
seeded sample of SciFact corpus sentences (benign). Features: the packaged MiniLM vector of each sentence, as the index
stores it.
Model: logistic regression, the two classes weighing alike. Threshold: from 5-fold out-of-fold probabilities on the
tune data, the lowest at which no benign tune sentence (look-alike or SciFact) is flagged. Reported, never chosen on:
eval/injection/heldout.jsonl, heldout2.jsonl, heldout3.jsonl and PubMedQA's contexts. Writes models/instructions/
(instructions.json, manifest.json, MODEL_CARD.md). Seed 13.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer.instruction_screen import SCREEN_FILE, InstructionScreen
from assistant.answer.instructions import is_instruction
from assistant.answer.verifier.data import SciFact, pubmedqa_docs
from assistant.evaluation.gate_training import fit_logistic
from assistant.evaluation.injection import labelled
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder

SEED = 13
HELD_OUT = ("heldout", "heldout2", "heldout3")
SCIFACT_SAMPLE = 8000
FOLDS = 5
C = 1.0
ROOT = Path(__file__).resolve().parents[1]


def scifact_sample() -> list[tuple[str, str, bool]]:
    sentences = [(f"scifact:{d.doc_id}:{i}", s, False) for d in SciFact.load().corpus.values() for i, s in
                 enumerate(d.sentences) if s.strip()]  # fmt: skip
    return random.Random(SEED).sample(sentences, SCIFACT_SAMPLE)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    weights = np.where(y == 1, 0.5 / y.sum(), 0.5 / (1 - y).sum()) * len(y)  # the classes weigh alike
    return fit_logistic(x, y, weights, C)


def out_of_fold(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    folds = np.zeros(len(y), dtype=int)
    rng = random.Random(SEED)
    for label in (0, 1):
        group = [i for i in range(len(y)) if y[i] == label]
        rng.shuffle(group)
        for j, i in enumerate(group):
            folds[i] = j % FOLDS
    p = np.zeros(len(y))
    for k in range(FOLDS):
        w, b = fit(x[folds != k], y[folds != k])
        p[folds == k] = 1 / (1 + np.exp(-(x[folds == k] @ w + b)))
    return p


def main() -> int:
    argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0]).parse_args()  # --help, not the job
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(load_settings().embedding)
    tune = labelled("tune") + labelled("tune2") + scifact_sample()
    x = embedder.embed([s for _, s, _ in tune]).astype(np.float64)
    y = np.array([1.0 if label else 0.0 for _, _, label in tune])
    p = out_of_fold(x, y)
    threshold = float(np.ceil(p[y == 0].max() * 1000 + 1e-9) / 1000)  # lowest flagging no benign tune sentence
    w, b = fit(x, y)
    screen = InstructionScreen(w.astype(np.float32), float(b), threshold)
    figures = {"tune, out of fold": {"instructions caught": round(float((p[y == 1] >= threshold).mean()), 3),
                                     "benign flagged": int((p[y == 0] >= threshold).sum())}}  # fmt: skip
    for split in HELD_OUT:
        rows = labelled(split)
        flags = screen.flags(embedder.embed([s for _, s, _ in rows]))
        patterns = np.array([is_instruction(s) for _, s, _ in rows])
        truth = np.array([label for _, _, label in rows])
        figures[split] = {
            "instructions caught (screen / patterns / either)": [round(float(f[truth].mean()), 3) for f in
                                                                   (flags, patterns, flags | patterns)],
            "look-alikes flagged (screen / patterns / either)": [int(f[~truth].sum()) for f in
                                                                  (flags, patterns, flags | patterns)],
        }  # fmt: skip
    pubmed = [s for d in pubmedqa_docs() for s in d.sentences]
    figures["PubMedQA contexts"] = {"sentences": len(pubmed), "flagged by the screen": int(
        screen.flags(embedder.embed(pubmed)).sum())}  # fmt: skip
    out = ROOT / "models" / "instructions"
    out.mkdir(parents=True, exist_ok=True)
    chosen = ("tune only: eval/injection/tune.jsonl, tune2.jsonl and a seeded sample of SciFact corpus sentences; "
              "threshold: the lowest flagging no benign tune sentence out of fold")  # fmt: skip
    saved = {"weights": [round(float(v), 6) for v in w], "intercept": round(float(b), 6), "threshold": threshold,
             "c": C, "seed": SEED, "chosen_on": chosen, "figures": figures}  # fmt: skip
    (out / SCREEN_FILE).write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({"tune": [i for i, _, _ in tune]}) + "\n", encoding="utf-8")
    sha = hashlib.sha256((out / SCREEN_FILE).read_bytes()).hexdigest()
    minutes = (time.perf_counter() - started) / 60
    (out / "MODEL_CARD.md").write_text(card(sha, figures, len(tune), int(y.sum()), minutes), encoding="utf-8")
    print(json.dumps(figures, indent=1))
    return 0


def card(sha: str, figures: dict[str, object], n: int, positives: int, minutes: float) -> str:
    lines = [
        "# Instruction screen (logistic regression over MiniLM sentence vectors)",
        "",
        "Flags a passage sentence addressed to the machine reading it (a prompt injection), beside the patterns of "
        "`assistant/answer/instructions.py`; a flagged sentence is never evidence. Runtime: "
        "`assistant/answer/instruction_screen.py`, on the sentence vectors the index stores.",
        "",
        f"- weights: `instructions.json` (384 weights, intercept, threshold), sha256 `{sha}`",
        f"- command: `.venv/bin/python bench/instructions_train.py` (`make instructions`; seed {SEED}; "
        f"{minutes:.1f} min on 2 cores, embedding included)",
        f"- data (`manifest.json` lists every id): {n} tune sentences, {positives} instruction-like "
        f"(eval/injection/tune.jsonl, tune2.jsonl) and {n - positives} benign (its look-alikes and {SCIFACT_SAMPLE} "
        "SciFact corpus sentences sampled with the seed); the two classes weigh alike; L2 strength 1/C, C = 1",
        "- threshold: the lowest at which, out of fold (5 folds), no benign tune sentence is flagged",
        "",
        "## Figures",
        "",
        "```",
        json.dumps(figures, indent=1),
        "```",
        "",
        "heldout: written by the detector's authors before any detector ran on it; heldout2 and heldout3: written by "
        "someone who never saw the detector or the other sets (eval/injection/README.md). None of them, nor "
        "PubMedQA, chose anything.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
