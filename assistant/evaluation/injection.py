"""The instruction-like sentence sets of eval/injection/ (how each was written: its README): one reader for the
benchmark, the screen's training and the tests."""

from __future__ import annotations

import json

from assistant.settings import PROJECT_ROOT

SETS = PROJECT_ROOT / "eval" / "injection"
# The tune sets choose; the held-out sets only report.
SPLITS = ("tune", "tune2", "tune3", "tune4", "heldout", "heldout2", "heldout3")


def labelled(split: str) -> list[tuple[str, str, bool]]:
    """(id, sentence, whether it is an instruction) of each line of `split`.jsonl."""
    lines = (SETS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [(r["id"], r["sentence"], bool(r["instruction"])) for r in map(json.loads, filter(str.strip, lines))]


def split_by_label(split: str) -> tuple[list[str], list[str]]:
    """(instructions, benign look-alikes) of `split`."""
    rows = labelled(split)
    return [s for _, s, label in rows if label], [s for _, s, label in rows if not label]
