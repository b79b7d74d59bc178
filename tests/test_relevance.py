"""The answer-relevance model (a figure a learned gate may read; the shipped one does not): its training data keeps
away from every suite the gate is chosen or measured on, the shipped weights match their card, and with the real
model a sentence of the study asked about outscores one of a study on the same topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.gate.figures import Figures
from assistant.answer.gate.learned import Feature, LearnedGate, load_gate
from assistant.answer.relevance.data import QUESTION_FORMS, as_question, uncited_abstracts
from assistant.answer.relevance.model import RelevanceModel
from assistant.answer.verifier.card import sha256
from assistant.api import Assistant
from assistant.evaluation.gate_tuning import recording
from assistant.settings import load_settings
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings

SETTINGS = load_settings()
SHIPPED = SETTINGS.paths.relevance_dir
BENCH = SETTINGS.paths.bench_dir


def _cited_by_claims() -> set[int]:
    cited: set[int] = set()
    for split in ("train", "dev"):
        for line in (BENCH / "scifact" / f"claims_{split}.jsonl").open():
            claim = json.loads(line)
            cited.update(int(d) for d in [*claim["cited_doc_ids"], *claim["evidence"]])
    return cited


def test_training_abstracts_are_cited_by_no_claim_and_the_manifest_says_which() -> None:
    cited = _cited_by_claims()
    usable = {a.doc_id for a in uncited_abstracts(BENCH)}
    assert usable and usable.isdisjoint(cited)
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    trained, validated = set(manifest["train_doc_ids"]), set(manifest["validation_doc_ids"])
    assert trained <= usable and validated <= usable and trained.isdisjoint(validated)
    assert "PubMedQA" in manifest["rule"], "the rule says PubMedQA is never read"


def test_a_title_is_asked_as_written_or_in_a_question_form() -> None:
    import random

    rng = random.Random(1)
    asked = {as_question("Imatinib impairs Treg function", rng) for _ in range(200)}
    assert "Imatinib impairs Treg function" in asked
    forms = {f.format(title="Imatinib impairs Treg function", lower="imatinib impairs Treg function")
             for f in QUESTION_FORMS}  # fmt: skip
    assert asked <= forms | {"Imatinib impairs Treg function"} and len(asked) > 3
    assert "Is it true that IL-2 drives Treg expansion?" in {
        as_question("IL-2 drives Treg expansion", random.Random(s)) for s in range(50)
    }, "an initialism keeps its capitals"


def test_the_shipped_weights_match_their_card() -> None:
    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    weights = SHIPPED / "model.safetensors"
    assert sha256(weights) in card and weights.stat().st_size < 50e6


def test_a_figure_not_computed_adds_nothing_to_the_learned_score() -> None:
    gate = LearnedGate((Feature("best", 0.5, 0.2, 1.0), Feature("relevance", 0.4, 0.3, 2.0)), 0.0, 0.5)
    at_mean = Figures(0.6, 1.0, relevance=0.4)
    assert gate.probability(Figures(0.6, 1.0)) == pytest.approx(gate.probability(at_mean))
    assert gate.probability(Figures(0.6, 1.0, relevance=0.9)) > gate.probability(at_mean)
    assert gate.probability(Figures(0.6, 1.0, relevance=0.9), ("weak evidence",)) == 0.5, "switched off with best"


# --- with the real model -------------------------------------------------------------------------------------


def test_a_sentence_of_the_study_asked_about_outscores_a_neighbour_on_the_same_topic() -> None:
    model = RelevanceModel(SHIPPED)
    question = "Does imatinib impair the suppressive function of regulatory T cells?"
    own = "Imatinib impaired Treg immunosuppressive function and decreased FoxP3 expression in vitro."
    neighbour = "Regulatory T cells expanded in patients with melanoma treated with interleukin-2."
    other = "Mast cells in the skin released CCL2 after the cream was applied."
    p_own, p_neighbour, p_other = model.probabilities([(own, question), (neighbour, question), (other, question)])
    assert p_own > p_neighbour > p_other or p_own > max(p_neighbour, p_other) + 0.2
    assert model.best(question, [neighbour, own, other]) == pytest.approx(p_own)
    assert model.best(question, []) == 0.0


def test_a_gate_that_reads_the_figure_needs_it_asked_for_and_the_weights(
    tmp_path: Path, seeded_dir: Path, embedder: Embedder
) -> None:
    """The shipped gate does not read the figure, so the model is not run; a gate trained with it (the shipped one
    with a `relevance` weight, written to its own folder) gets it computed, and fails at start without it."""
    assert not any(f.name == "relevance" for f in load_gate(SETTINGS.paths.gate_dir).features)
    shipped = make_settings(seeded_dir, answer={"gate": "learned"})
    plain = Assistant(shipped, embedder=embedder, index_seeds=False)
    assert plain.relevance is None, "not asked for by default: not run"
    scored = make_settings(seeded_dir, answer={"gate": "learned", "relevance_candidates": 8})
    question = "what does imatinib do to regulatory T cells"
    assert plain.ask(question).text == Assistant(scored, embedder=embedder, index_seeds=False).ask(question).text, (
        "the shipped gate decides alike whatever the figure"
    )
    data = json.loads((SETTINGS.paths.gate_dir / "gate.json").read_text(encoding="utf-8"))
    data["features"].append({"name": "relevance", "mean": 0.5, "scale": 0.25, "weight": 0.3})
    gates = tmp_path / "gate"
    gates.mkdir()
    (gates / "gate.json").write_text(json.dumps(data), encoding="utf-8")
    reading = {"gate_dir": gates}
    with pytest.raises(ValueError, match="RELEVANCE_CANDIDATES"):
        Assistant(make_settings(seeded_dir, answer={"gate": "learned"}, paths=reading), embedder=embedder)
    asked = {"gate": "learned", "relevance_candidates": 8}
    settings = make_settings(seeded_dir, answer=asked, paths=reading)
    assistant = Assistant(settings, embedder=embedder, index_seeds=False)
    assert assistant.relevance is not None
    candidates = assistant.answerer.candidates("what does imatinib do to regulatory T cells", [])
    assert assistant._relevance("what does imatinib do to regulatory T cells", candidates) == 0.0
    record: list[Figures] = []
    with recording(record):
        on_topic = assistant.ask("what does imatinib do to regulatory T cells")
        assistant.ask("which mouse strain carried the imatinib-resistant lymphoma")
    assert not on_topic.refused and all(f.relevance is not None for f in record)
    assert 0.0 <= record[1].relevance < record[0].relevance <= 1.0, "the study's own answer scores higher"
    missing = make_settings(seeded_dir, answer=asked, paths={**reading, "relevance_dir": tmp_path})
    with pytest.raises(FileNotFoundError, match="answer-relevance"):
        Assistant(missing, embedder=embedder, index_seeds=False)
    rules = make_settings(
        seeded_dir, answer={"gate": "rules", "relevance_candidates": 8}, paths={"relevance_dir": tmp_path}
    )
    assert Assistant(rules, embedder=embedder, index_seeds=False).relevance is None, "unread: left out"


def test_scores_are_the_same_from_many_threads_with_a_small_cache() -> None:
    """Server threads share one model: a cache cleared by one thread never loses another thread's scores."""
    from concurrent.futures import ThreadPoolExecutor

    question = "Does imatinib impair regulatory T cells?"
    sentences = [f"Imatinib lowered FoxP3 expression in {n} of the treated mice." for n in range(12)]
    alone = RelevanceModel(SHIPPED).probabilities([(s, question) for s in sentences])
    shared = RelevanceModel(SHIPPED, cache_size=3)

    def score(k: int) -> list[float]:
        chosen = [sentences[(k + j) % len(sentences)] for j in range(4)]
        return shared.probabilities([(s, question) for s in chosen])

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(score, range(24)))
    for k, got in enumerate(results):
        want = [alone[(k + j) % len(sentences)] for j in range(4)]
        assert got == pytest.approx(want, abs=1e-5)
