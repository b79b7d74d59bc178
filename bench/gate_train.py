"""Train the learned answer gate on tune data only, and report it beside the rule gate on tune and held-out data.

    .venv/bin/python bench/gate_train.py [--cases /tmp/gate-cases.pickle]     (make gate)

Asks the seven sets of `bench/gate_ablation.py` once each (every reason off, the gate's figures recorded; or reads
the pickled cases), trains the logistic regression and chooses its threshold on the four tune sets only
(`assistant.evaluation.gate_training`), writes models/gate/gate.json and models/gate/MODEL_CARD.md (sha256 of the
weights file, the data, this command, both gates on all seven sets), and prints the table. Deterministic: the same
cases give the same file. `make test` and CI never retrain; the answer step reads the shipped gate.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer.gate.learned import GATE_FILE, LearnedGate
from assistant.answer.verifier.card import sha256
from assistant.evaluation.gate_training import (
    HELD_OUT_SUITES,
    SEED_WEIGHTS,
    TUNE_SUITES,
    Trained,
    figure_sources,
    train,
)
from assistant.evaluation.gate_tuning import Case, Configured, Replay, cached_cases, mean_share, shares
from assistant.settings import Settings, load_settings
from bench.gate_ablation import ask_all

COMMAND = "`.venv/bin/python bench/gate_train.py` (`make gate`; `--cases PATH` pickles the asked cases for a rerun)"


def side_by_side(gates: list[tuple[str, Replay]], cases: list[Case]) -> str:
    """Per set (tune sets first), each gate's answered / refused shares; then each side's mean_share."""
    values = {label: shares(gate, cases) for label, gate in gates}
    head = "| set | side | " + " | ".join(f"{label} answered | {label} refused" for label, _ in gates) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(gates))]
    for suite in [*TUNE_SUITES, *HELD_OUT_SUITES]:
        side = "tune" if suite in TUNE_SUITES else "held-out"
        cells = " | ".join(f"{v[f'{suite} answered']:.3f} | {v[f'{suite} refused']:.3f}" for v in values.values())
        lines.append(f"| {suite} | {side} | {cells} |")
    for side, suites in (("tune", TUNE_SUITES), ("held-out", HELD_OUT_SUITES)):
        means = [
            mean_share({k: v for k, v in vals.items() if k.rsplit(" ", 1)[0] in suites}) for vals in values.values()
        ]
        lines.append(f"| mean_share | {side} | " + " | ".join(f"{m:.4f} | " for m in means) + "|")
    return "\n".join(lines)


def left_out(tune: list[Case], trained: Trained) -> str:
    """The tune objective with each feature left out (retrained and rethresholded on the tune suites alone): what
    each earns there. Held-out sets are not read."""
    names = [f.name for f in trained.model.features]
    rows = [f"| (none) | {trained.objective:.4f} |"]
    for name in names:
        try:
            objective = f"{train(tune, features=[n for n in names if n != name]).objective:.4f}"
        except ValueError:  # no threshold keeps the seed tune split at its CI gate without it
            objective = "none keeps the seed gate"
        rows.append(f"| {name} | {objective} |")
    return "| feature left out | tune objective |\n|---|---|\n" + "\n".join(rows)


def _relevance_line(model: LearnedGate, settings: Settings) -> str:
    if not any(f.name == "relevance" for f in model.features):
        return (
            "the `relevance` figure (the answer-relevance model, `models/relevance/`) is not read: backward "
            "elimination on the tune suites left it out, with `not combined` (`learned.FEATURES`), so the answer "
            "step no longer runs that model (`ASSISTANT_ANSWER__RELEVANCE_CANDIDATES` 0)"
        )
    return (
        f"the `relevance` figure is the best p of the answer-relevance model over the "
        f"{settings.answer.relevance_candidates} best-scored sentences: `models/relevance/` (weights sha256 "
        f"`{sha256(settings.paths.relevance_dir / 'model.safetensors')}`; its MODEL_CARD.md); retraining it means "
        "asking the cases again"
    )


def model_card(trained: Trained, sha: str, table: str, cases: list[Case]) -> str:
    model, meta = trained.model, dict(trained.model.meta)
    settings = load_settings()
    relevance = _relevance_line(model, settings)

    def sizes(suites: tuple[str, ...]) -> str:
        return "; ".join(
            f"{s}: {sum(c.answerable for c in cases if c.suite == s)} answerable, "
            f"{sum(not c.answerable for c in cases if c.suite == s)} unanswerable"
            for s in suites
        )

    tried = ", ".join(f"{w:g}: {'none kept the seed gate' if o is None else f'{o:.4f}'}" for w, o in trained.tried)
    weights = "\n".join(f"| {f.name} | {f.mean:.4f} | {f.scale:.4f} | {f.weight:+.4f} |" for f in model.features)
    return f"""# Learned answer gate (logistic regression over the gate's figures)

p(answerable) from the figures the answer gate computes for every question (`assistant/answer/gate/figures.py`);
a question is refused when p < {model.threshold:.4f}. Runtime: `assistant.answer.gate.learned`, with
`ASSISTANT_ANSWER__GATE=learned`. Written by `bench/gate_train.py` on {datetime.now(UTC).date().isoformat()}.

- weights: `{GATE_FILE}`, sha256 `{sha}`
- command: {COMMAND}; deterministic (Newton's method from zero weights, no random step)
- trained and thresholded on tune data only: {sizes(TUNE_SUITES)}
- reported only, never fitted on: {sizes(HELD_OUT_SUITES)}
- weighting: each suite's answerable and unanswerable questions one unit each (answerable ones in proportion to
  their answer score; forced refusals, where no sentence verified, weigh 0), so that PubMedQA's and SciFact's
  questions do not drown the seed questions; the two seed tune suites' units times the seed weight
- the seed tune split at its CI gate (eval/thresholds.toml [gate.extractive]): key facts >= 0.97, every
  unanswerable question refused, refusal precision >= 0.98 (no answerable seed question refused)
- seed weight {meta["seed_weight"]:g}, L2 C {meta["c"]:g}; tune objective (mean_share, with the seed gate kept) per
  seed weight tried ({", ".join(f"{w:g}" for w in SEED_WEIGHTS)}): {tried}
- chosen: tune objective {trained.objective:.4f}, threshold {model.threshold:.4f}
- {relevance}
- asked with the name lexicons {list(settings.answer.name_lexicons)} (`ASSISTANT_ANSWER__NAME_LEXICONS`, the
  `missing names` figure) and {list(settings.retrieval.lexicons)} (`ASSISTANT_RETRIEVAL__LEXICONS`), and with
  `ASSISTANT_ANSWER__SPELL_ABBREVIATIONS` {settings.answer.spell_abbreviations} and
  `ASSISTANT_ANSWER__LEXICON_SYNONYMS` {settings.answer.lexicon_synonyms}; other values mean asking the cases again

| feature | mean | scale | weight |
|---|---|---|---|
{weights}
| (intercept) | | | {model.intercept:+.4f} |

Each feature left out in turn (tune suites only). The `retrieved` and `similarity` figures were added on 2026-12-07
by a rule written before they were measured: kept if the tune objective with them beats the one without by at
least 0.003.

{left_out([c for c in cases if c.suite in TUNE_SUITES], trained)}

## Both gates, tune and held-out (answered: answer score over answerable questions; refused: share of unanswerable)

{table}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, help="a pickle of the asked cases: read if it exists, else written")
    parser.add_argument("--out", type=Path, default=load_settings().paths.gate_dir, help="folder to write")
    args = parser.parse_args()
    cases = cached_cases(args.cases, ask_all)
    trained = train([c for c in cases if c.suite in TUNE_SUITES])  # the held-out sets never reach training
    # The models the figures come from (a --cases pickle must have been asked with these).
    features = [f.name for f in trained.model.features]
    sources = (("figures_from", figure_sources(load_settings(), features)),)
    trained = replace(trained, model=replace(trained.model, meta=trained.model.meta + sources))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / GATE_FILE
    path.write_text(json.dumps(trained.model.to_json(), indent=1) + "\n", encoding="utf-8")
    model = LearnedGate.from_json(json.loads(path.read_text(encoding="utf-8")))  # reported as shipped
    answer = load_settings().answer
    rules = answer.model_copy(update={"gate": "rules"})
    learned = answer.model_copy(update={"gate": "learned"})
    table = side_by_side([("rules", Configured(rules)), ("learned", Configured(learned, model))], cases)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (args.out / "MODEL_CARD.md").write_text(model_card(trained, sha, table, cases), encoding="utf-8")
    print(table)
    print(f"wrote {path} and its MODEL_CARD.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
