"""Slices of the verifier's train-side validation documents that the benchmark does not isolate, per verifier.

    .venv/bin/python bench/verifier_slices.py [FOLDER ...] [--as-written] [--no-reread] [--bfloat16] [--validation]
        [--no-contrast] [--contrast-docs N] [--no-tense] [--no-aims] [--no-bare] [--plural-docs N] [--veto]
        [--headings-contradict] [--named] [--no-opposite] [--no-roles]
    (default: models/verifier)

- parts: a summary quotes part of a sentence (a relative clause as its own sentence, a main clause without its
  trailing or concessive clause: `paraphrase.part`), kept when faithful, caught when one fact is flipped
  (negation, direction);
- rewordings: an answer says a direction verb with another verb of its sense ("increased" -> "elevated":
  `rewording.reword`), kept; or with one of the opposite sense ("inhibited" -> "boosted"), caught;
- across-sense rewordings: a direction verb said with one of the other sense of its direction ("inhibited" ->
  "reduced": `rewording.reword_across`), never a contradiction: the shares called supported and contradicted;
- contrasts: a finding stated with its exception ("improved survival in wild-type but not in ST2(-/-) mice"), its
  finding alone kept, its exception asserted ("improved in ST2(-/-) mice") caught (`contrast`); `--contrast-docs N`
  adds the same slice of N train-side documents, and `--no-contrast` each folder again without reading the
  exception apart (`ClaimVerifier(contrast=False)`);
- findings against their aim: each sentence of a document against its own statement of aim alone (`aims`), never a
  contradiction: the shares called supported and contradicted; `--no-aims` each folder again with aims read as any
  other sentence (`ClaimVerifier(aims=False)`);
- tenses: a direction verb a sentence reports in the past put in the present, as a claim states it ("reduced" ->
  "reduces": `rewording.present`), kept; with a verb of the opposite sense ("increases"), caught; `--no-tense` each
  folder again with aligned verbs left in the sentence's own tense (`ClaimVerifier(tense=False)`);
- plural presents: a plural subject's past-tense direction verb said in the bare present with another verb of its
  sense ("corticosteroids decreased" -> "corticosteroids lower": `rewording.plural_present`), kept; with one of the
  opposite sense ("increase"), caught; `--no-bare` each folder again without aligning such verbs
  (`ClaimVerifier(bare=False)`); `--plural-docs N` adds the same slice of N train-side documents.

Each item is a sentence against the chunk-sized passage that holds its source. The documents are the validation
slice the training held out (`validation_corpus_docs` of the first folder's manifest), so the figures choose between
stages without reading any test set. `--validation` adds the rest of that slice as the runtime reads it (the
synthetic probes: paraphrases kept, changes caught; the held-out SciFact train claims: precision and recall of
`supported`; rebuilt with the training's seed, a few minutes), `--as-written` each folder again with its sentences'
verbs as written (`ClaimVerifier(align_verbs=False)`), `--no-reread` again without rereading contradictions
(`ClaimVerifier(reread=False)`), `--bfloat16` again in bfloat16 (`ClaimVerifier(dtype="bfloat16")`). Prints, per
folder and reading, the share kept or caught of each slice and the ms per item, all measured in this run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: F401  (offline environment first)
from assistant.answer.verifier.aims import states_aim
from assistant.answer.verifier.data import SciFact, build
from assistant.answer.verifier.metrics import kept_caught, precision_recall
from assistant.answer.verifier.model import CONTRADICTED, SUPPORTED, ClaimVerifier
from assistant.answer.verifier.paraphrase import part
from assistant.answer.verifier.perturb import flip_direction, flip_negation
from assistant.answer.verifier.rewording import plural_present, present, reword, reword_across, reword_opposite
from assistant.answer.verifier.synthetic import Probe, clean, passages, usable
from assistant.answer.verifier.training import first_pairs

ROOT = Path(__file__).resolve().parent.parent
Item = tuple[str, list[str]]
Slice = tuple[list[Item], list[Item]]  # (faithful items, changed items)
Rule = Callable[[str, random.Random], str | None]
Change = Callable[[str, str, random.Random], str | None]  # (source sentence, faithful item, rng) -> a changed item


def _part_flipped(source: str, piece: str, rng: random.Random) -> str | None:
    """The part with its negation or direction flipped."""
    return flip_negation(piece, rng) if rng.random() < 0.5 else flip_direction(piece, rng)


def _opposite(source: str, reworded: str, rng: random.Random) -> str | None:
    """The source with a direction verb of the opposite sense."""
    return reword_opposite(source, rng)


# "<... a past-tense verb> <x>[,] but not <y>": the finding and its exception (`contrast`).
_EXCEPTION = re.compile(r"^(?P<pre>.*?\b\w+ed\b)(?P<x>[^,;]{3,}?)\s*,?\s+but not (?P<y>[^,;.]{3,})")


def _finding(source: str, rng: random.Random) -> str | None:
    """The finding without its exception ("IL-33 improved survival ... in wild-type"), faithful."""
    m = _EXCEPTION.match(source)
    return f"{m['pre']}{m['x']}." if m else None


def _exception_asserted(source: str, finding: str, rng: random.Random) -> str | None:
    """The exception asserted ("IL-33 improved in ST2(-/-) mice"): the passage says the opposite."""
    m = _EXCEPTION.match(source)
    return f"{m['pre']} {m['y'].strip()}." if m else None


def items(doc_ids: list[int], faithful: Rule, changed: Change, seed: int = 13) -> tuple[list[Item], list[Item]]:
    """(faithful, changed) items: `faithful` applied to each usable sentence, `changed` to that sentence and what
    `faithful` made of it."""
    rng = random.Random(seed)
    corpus = SciFact.load().corpus
    kept: list[Item] = []
    flipped: list[Item] = []
    for doc_id in doc_ids:
        for _, run in passages(corpus[doc_id]):
            for sentence in run:
                source = clean(sentence) if usable(sentence) else None
                made = faithful(source, rng) if source else None
                if source is None or made is None:
                    continue
                kept.append((made, run))
                other = changed(source, made, rng)
                if other and other != made:
                    flipped.append((other, run))
    return kept, flipped


def aim_items(doc_ids: list[int]) -> list[Item]:
    """Each finding of a document against that document's statement of aim alone (`aims.states_aim`): an abstract
    does not contradict itself, so none of these is a contradiction."""
    corpus = SciFact.load().corpus
    found: list[Item] = []
    for doc_id in doc_ids:
        sentences = [s for _, run in passages(corpus[doc_id]) for s in run]
        aims = [s for s in dict.fromkeys(sentences) if states_aim(s)]
        findings = [clean(s) for s in dict.fromkeys(sentences) if usable(s) and not states_aim(s)]
        found += [(f, [a]) for a in aims for f in findings]
    return found


def _present_opposite(source: str, faithful: str, rng: random.Random) -> str | None:
    return present(source, rng, "opposite")


def _plural_opposite(source: str, faithful: str, rng: random.Random) -> str | None:
    return plural_present(source, rng, "opposite")


SLICES: dict[str, tuple[Rule, Change]] = {
    "parts": (part, _part_flipped),
    "rewordings": (reword, _opposite),
    "tenses": (present, _present_opposite),
    "plural presents": (plural_present, _plural_opposite),
    "contrasts": (_finding, _exception_asserted),
}


def validation_rows(verifier: ClaimVerifier, seed: int, probes: list[Probe], claims: list[Probe]) -> list[str]:
    """The validation slice's synthetic probes and claims, as the runtime decides them."""
    got = verifier.verify_many([(p.hypothesis, list(p.passage)) for p in probes])
    kept, caught = kept_caught([p.label for p in probes], [v.label for v in got])
    contradictions = [v.label for p, v in zip(probes, got, strict=True) if p.label == CONTRADICTED]
    said = verifier.verify_many([(c.hypothesis, list(c.passage)) for c in claims])
    precision, recall = precision_recall([c.label for c in claims], [v.label for v in said], SUPPORTED)
    return [
        f"validation probes (seed {seed}): paraphrases kept, changes caught | {kept:.3f} | {caught:.3f}",
        f"validation probes: contradictions called contradicted (of {len(contradictions)}) | "
        f"{contradictions.count(CONTRADICTED) / max(1, len(contradictions)):.3f} |",
        f"validation claims: precision, recall of supported | {precision:.3f} | {recall:.3f}",
    ]


def _slices(manifest: dict[str, Any], contrast_docs: int, plural_docs: int = 0) -> tuple[dict[str, Slice], list[Item]]:
    """The slices of the validation documents (and the contrasts of `contrast_docs` train-side documents: sentences
    the training read as premises, never with their exception asserted), and the across-sense rewordings."""
    docs = [int(d) for d in manifest["validation_corpus_docs"]]
    built = {name: items(docs, *rules) for name, rules in SLICES.items()}
    sci = SciFact.load()
    train_side = sorted(set(sci.corpus) - sci.dev_docs() - set(docs))
    if contrast_docs:
        built["contrasts (train-side)"] = items(train_side[:contrast_docs], *SLICES["contrasts"])
    if plural_docs:
        built["plural presents (train-side)"] = items(train_side[:plural_docs], *SLICES["plural presents"])
    across = items(docs, reword_across, lambda *_: None)[0]
    sizes = ", ".join(f"{name}: {len(k)} kept, {len(c)} changed" for name, (k, c) in built.items())
    print(f"{len(docs)} documents; {sizes}; across-sense rewordings: {len(across)}")
    return built, across


# Each other reading of the runtime a flag adds: flag -> (label suffix, `ClaimVerifier` options, what it does).
READINGS: dict[str, tuple[str, dict[str, Any], str]] = {
    "--as-written": (", verbs as written", {"align_verbs": False}, "without aligning verbs"),
    "--no-reread": (", no reread", {"reread": False}, "without rereading contradictions"),
    "--bfloat16": (", bfloat16", {"dtype": "bfloat16"}, "in bfloat16 (`ClaimVerifier(dtype=)`)"),
    "--no-contrast": (", no contrast", {"contrast": False}, "without reading 'but not' apart"),
    "--no-tense": (", own tense", {"tense": False}, "with verbs aligned in their own tense"),
    "--no-aims": (", aims as others", {"aims": False}, "with statements of aim read as others"),
    "--no-bare": (", bare verbs as written", {"bare": False}, "without plural bare verbs aligned"),
    "--veto": (", window veto", {"veto": True}, "with the window veto (a sentence's contradiction stands)"),
    "--headings-contradict": (", headings contradict", {"headings": False}, "with titles and headings contradicting"),
    "--named": (", named", {"named": True}, "with contradictions only from units holding the sentence's names"),
    "--no-opposite": (", opposite as read", {"opposite": False}, "without reading the opposite said in place"),
    "--no-roles": (", roles as read", {"roles": False}, "without reading groups or values exchanged"),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="*", type=Path, default=[ROOT / "models" / "verifier"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--validation", action="store_true", help="add the validation slice's probes and claims")
    p.add_argument("--contrast-docs", type=int, default=0, help="add the contrasts of N train-side documents")
    p.add_argument("--plural-docs", type=int, default=0, help="add the plural presents of N train-side documents")
    for flag, (_, _, what) in READINGS.items():
        p.add_argument(flag, action="store_true", help=f"each folder again {what}")
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    manifest = json.loads((args.folders[0] / "manifest.json").read_text())
    built, across = _slices(manifest, args.contrast_docs, args.plural_docs)
    held = build(manifest["seed"], first_pairs(manifest), stage=2, stage_pairs=1) if args.validation else None
    print("| verifier | slice | faithful kept | changed caught | ms per item |\n|---|---|---|---|---|")
    readings: dict[str, dict[str, Any]] = {"": {}} | {
        label: options
        for flag, (label, options, _) in READINGS.items()
        if getattr(args, flag.removeprefix("--").replace("-", "_"))
    }
    against_aims = aim_items([int(d) for d in manifest["validation_corpus_docs"]])
    for folder in args.folders:
        for reading, options in readings.items():
            verifier = ClaimVerifier(folder, **options)
            label = f"{folder}{reading}"
            verifier.verify_many(built["parts"][0][:4])  # load the weights outside the timing
            for name, (kept, changed) in built.items():
                started = time.perf_counter()
                good, bad = verifier.verify_many(kept), verifier.verify_many(changed)
                ms = (time.perf_counter() - started) * 1000 / (len(kept) + len(changed))
                share_kept = sum(v.label == SUPPORTED for v in good) / len(good)
                share_caught = sum(v.label != SUPPORTED for v in bad) / len(bad)
                print(f"| {label} | {name} | {share_kept:.3f} | {share_caught:.3f} | {ms:.1f} |", flush=True)
            said = [v.label for v in verifier.verify_many(across)]
            shares = [f"{said.count(label) / max(1, len(said)):.3f}" for label in (SUPPORTED, CONTRADICTED)]
            print(f"| {label} | across-sense rewordings: supported, contradicted | {' | '.join(shares)} | |")
            said = [v.label for v in verifier.verify_many(against_aims)]
            shares = [f"{said.count(label) / max(1, len(said)):.3f}" for label in (SUPPORTED, CONTRADICTED)]
            row = f"{len(said)} findings against their aim: supported, contradicted"
            print(f"| {label} | {row} | {' | '.join(shares)} | |")
            if held is not None:
                for row in validation_rows(verifier, manifest["seed"], held.val_probes, held.val_claims):
                    print(f"| {label} | {row} | |", flush=True)


if __name__ == "__main__":
    main()
