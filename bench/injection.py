"""Instruction-like sentences in documents: the patterns (`assistant.answer.instructions`) beside the ones before
them, and the learned screen (`assistant.answer.instruction_screen`) alone and with the patterns.

    .venv/bin/python bench/injection.py        (make bench-injection)

Rows: the tune and held-out sentence sets of eval/injection/ (instructions caught, benign look-alikes flagged), and
the sentences of two biomedical corpora flagged as instructions (false alarms: such a sentence stops being
evidence). The detector's patterns were chosen on the tune rows (tune set, SciFact corpus); the held-out rows
(held-out set, PubMedQA contexts) only report. Needs ../shared/bench for the corpora.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from assistant.answer.instruction_screen import InstructionScreen
from assistant.answer.instructions import is_instruction
from assistant.answer.verifier.data import SciFact, pubmedqa_docs
from assistant.evaluation.injection import SPLITS, split_by_label
from assistant.settings import load_settings
from assistant.store.embeddings import SentenceTransformerEmbedder

# The detector the answer step used until 2026-12-05 (then in assistant/answer/lexicon.py), as the baseline.
BEFORE = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.]{0,60}\b(instructions?|prompts?|rules|guidelines|above|previous|prior)\b"
    r"|\b(system prompt|you are now|new instructions?|act as|respond only|answer only|reply only)\b",
    re.I,
)


def rows() -> list[tuple[str, str, list[str], bool]]:
    """(side, set, sentences, whether they are instructions)."""
    out = []
    for split in SPLITS:
        instructions, benign = split_by_label(split)
        side = "tune" if split.startswith("tune") else "held-out"
        out.append((side, f"{split} instructions", instructions, True))
        out.append((side, f"{split} look-alikes", benign, False))
    out.append(("tune", "SciFact corpus", [s for d in SciFact.load().corpus.values() for s in d.sentences], False))
    out.append(("held-out", "PubMedQA contexts", [s for d in pubmedqa_docs() for s in d.sentences], False))
    return out


def main() -> int:
    detectors: dict[str, Callable[[str], bool]] = {"now": is_instruction, "before": lambda s: bool(BEFORE.search(s))}
    screen = InstructionScreen.load(load_settings().paths.instructions_dir)
    embedder = SentenceTransformerEmbedder(load_settings().embedding)
    print("| side | set | sentences | measure | patterns | before | screen | patterns or screen |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for side, name, sentences, instructions in rows():
        found = {k: np.array([d(s) for s in sentences]) for k, d in detectors.items()}
        if screen is not None and name != "SciFact corpus":  # its sample trained the screen: see its model card
            found["screen"] = screen.flags(embedder.embed(sentences))
            found["either"] = found["screen"] | found["now"]
        measure = "caught" if instructions else "flagged"
        cells = [f"{f.mean():.3f} ({f.sum()})" if instructions else str(f.sum()) for f in found.values()]
        cells += ["(trained on)"] * (4 - len(cells))
        print(f"| {side} | {name} | {len(sentences)} | {measure} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
