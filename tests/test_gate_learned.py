"""The learned answer gate (`answer.gate = "learned"`): the shipped weights load and match their model card, the
score decides with the reasons switched off by name, a refusal says why, and training reads tune data only."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answer.gate.answerability import decide, subject_term
from assistant.answer.gate.figures import Figures, question_form
from assistant.answer.gate.learned import FEATURES, GATE_FILE, SCORE_REASON, Feature, LearnedGate, load_gate
from assistant.api import Assistant
from assistant.evaluation.gate_training import HELD_OUT_SUITES, TUNE_SUITES, figure_sources, fit_logistic, train
from assistant.evaluation.gate_tuning import Case, Configured, all_off, recording
from assistant.models import REFUSAL_REASONS
from assistant.settings import AnswerSettings, load_settings
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings

SHIPPED = load_settings().paths.gate_dir
LEARNED = AnswerSettings(gate="learned")


def tiny(threshold: float = 0.5) -> LearnedGate:
    """p = sigmoid(4 * (best - 0.5) - 3 * missing names): weak evidence or a missing name refuses."""
    features = [Feature("best", 0.5, 0.25, 1.0), Feature("missing names", 0.0, 1.0, -3.0)]
    return LearnedGate(tuple(features), 0.0, threshold)


def test_the_score_decides_and_names_the_reasons_that_fired() -> None:
    model = tiny()
    assert decide(Figures(0.8, 1.0), LEARNED, model) == ((), pytest.approx(1 / (1 + math.exp(-1.2))))
    reasons, score = decide(Figures(0.45, 1.0), LEARNED, model)
    assert reasons == (SCORE_REASON,) and score is not None and score < 0.5, "no rule fired: the score says why"
    reasons, _ = decide(Figures(0.8, 1.0, fired=frozenset({"missing names"})), LEARNED, model)
    assert reasons == ("missing names",)
    forgiving = replace(model, threshold=0.01)
    assert decide(Figures(0.2, 0.1), LEARNED, forgiving)[0] == (), "rules fire, but the score answers"


def test_switching_a_reason_off_removes_its_features_and_the_score_can_be_switched_off() -> None:
    model = tiny()
    named = Figures(0.8, 1.0, fired=frozenset({"missing names"}))
    off = LEARNED.model_copy(update={"gate_off": ("missing names",)})
    assert decide(named, off, model)[0] == ()
    assert model.probability(Figures(0.2, 1.0), ("weak evidence",)) == 0.5, "its feature at the training mean"
    silent = LEARNED.model_copy(update={"gate_off": (SCORE_REASON,)})
    assert decide(Figures(0.0, 0.0), silent, model)[0] == ()
    every = AnswerSettings(gate="learned", gate_off=tuple(REFUSAL_REASONS))
    assert decide(Figures(0.0, 0.0, 0.0, 0.1, frozenset({"no date"})), every, model)[0] == ()


def test_the_learned_gate_needs_its_weights() -> None:
    with pytest.raises(ValueError, match="learned gate"):
        decide(Figures(0.5, 0.5), LEARNED, None)
    with pytest.raises(FileNotFoundError, match="make gate"):
        load_gate(Path("/nonexistent/gate"))
    with pytest.raises(ValueError, match="features"):
        LearnedGate.from_json(
            {"features": [{"name": "x", "mean": 0, "scale": 1, "weight": 1}], "intercept": 0, "threshold": 0.5}
        )


def test_the_shipped_weights_load_and_match_their_model_card() -> None:
    path = SHIPPED / GATE_FILE
    model = load_gate(SHIPPED)
    assert [f.name for f in model.features] == list(FEATURES)
    assert 0.0 < model.threshold < 1.0 and all(f.scale > 0 for f in model.features)
    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() in card, "MODEL_CARD.md names another file: `make gate`"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["trained_on"]) == set(TUNE_SUITES), "trained on the tune suites only"
    assert LearnedGate.from_json(data) == model
    assert data["figures_from"] == figure_sources(load_settings(), FEATURES), (
        "the verifier or the retrieval settings changed since the gate was trained on their figures: `make gate`"
    )
    assert "relevance" not in data["figures_from"], "the shipped gate does not read the relevance figure"


def test_the_fingerprint_follows_the_weights_and_decision_settings_not_the_saved_figures(tmp_path: Path) -> None:
    settings = load_settings()
    paths = settings.paths
    copies = {}
    for field, config in (("verifier_dir", "verifier.json"), ("relevance_dir", "relevance.json")):
        folder = tmp_path / field
        folder.mkdir()
        (folder / "model.safetensors").symlink_to(getattr(paths, field) / "model.safetensors")
        (folder / config).write_bytes((getattr(paths, field) / config).read_bytes())
        copies[field] = folder
    copy = settings.model_copy(update={"paths": paths.model_copy(update=copies)})
    reading = (*FEATURES, "relevance")  # a gate trained with the relevance figure records its model too
    shipped = figure_sources(settings, reading)
    assert figure_sources(copy, reading) == shipped
    config_path = copies["verifier_dir"] / "verifier.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps(config | {"validation": {}, "chosen_on": "elsewhere"}))
    assert figure_sources(copy, reading) == shipped, "validation figures and notes decide nothing"
    config_path.write_text(json.dumps(config | {"support_threshold": config["support_threshold"] - 0.01}))
    changed = figure_sources(copy, reading)
    assert changed["verifier"] != shipped["verifier"] and changed["relevance"] == shipped["relevance"]
    assert changed["retrieval"] == shipped["retrieval"]
    weighted = copy.model_copy(update={"retrieval": copy.retrieval.model_copy(update={"dense_weight": 0.3})})
    assert figure_sources(weighted, reading)["retrieval"] != shipped["retrieval"], "the fused score moves with it"


def _case(suite: str, answerable: bool, best: float, score: float = 1.0) -> Case:
    return Case(suite, answerable, best, 1.0, 0.5, None, frozenset(), False, score, 0.5, "wh", 1.0, 0.5, 0.5)


def test_training_reads_the_tune_suites_only_and_keeps_the_seed_gate() -> None:
    tune = [_case(s, True, 0.5 + 0.02 * i) for s in TUNE_SUITES for i in range(10)]
    tune += [_case(s, False, 0.3 - 0.02 * i, 0.0) for s in TUNE_SUITES for i in range(10)]
    poison = [_case(s, True, math.nan) for s in HELD_OUT_SUITES]  # a NaN read anywhere would spoil the weights
    trained = train(tune + poison)
    assert all(math.isfinite(f.weight) for f in trained.model.features)
    assert trained == train(tune), "deterministic, and the held-out cases change nothing"
    gate = Configured(LEARNED, trained.model)
    assert [gate.refuses(c) for c in tune] == [not c.answerable for c in tune]
    assert trained.objective == pytest.approx(1.0)
    with pytest.raises(ValueError, match="retrieved"):
        train([replace(c, retrieved=None) for c in tune])
    assert train([replace(c, relevance=None) for c in tune]) == trained, "a figure the gate does not read"
    with pytest.raises(ValueError, match="relevance"):
        train([replace(c, relevance=None) for c in tune], features=(*FEATURES, "relevance"))
    with pytest.raises(ValueError, match="statement"):
        train([replace(c, form=None) for c in tune])


def test_how_a_question_is_put() -> None:
    assert question_form("how does imiquimod activate dendritic cells") == "wh"
    assert question_form("  Which journal published the imatinib study?") == "wh"
    assert question_form("Does imatinib block IL-10 production?") == "yes/no"
    assert question_form("is the cream applied to the skin") == "yes/no"
    assert question_form("Imatinib impairs regulatory T cell function.") == "statement"
    assert question_form("imatinib tregs") == "other", "key words are no claim"
    assert question_form("Amblyopia: is visual loss permanent?") == "other"
    assert question_form("However, what about mast cells?") == "other"


def test_every_question_word_opens_a_question_put_with_an_auxiliary() -> None:
    """One list of question words (`lexicon.WH_WORDS`) for the form and for the subject a question asks about."""
    assert subject_term("Does imatinib block IL-10 production?") == "imatinib"
    assert subject_term("How do mast cells respond to imiquimod?") == "mast"
    assert subject_term("Whose lab does imatinib work come from?") == "imatinib"
    assert subject_term("Is there a role for imatinib?") is None


def test_the_form_of_a_question_moves_the_learned_score() -> None:
    """A figure the gate was trained with changes p(answerable); an unrecorded one adds nothing (its mean)."""
    features = (Feature("best", 0.5, 0.1, 1.0), Feature("yes/no", 0.25, 0.5, -1.0))
    model = LearnedGate(features, 0.0, 0.5)
    wh, yes_no = Figures(0.5, 1.0, form="wh"), Figures(0.5, 1.0, form="yes/no")
    assert model.probability(yes_no) < model.probability(wh) < model.probability(Figures(0.6, 1.0, form="wh"))
    assert model.probability(Figures(0.5, 1.0)) == 0.5, "not recorded: the training mean, nothing added"
    assert model.probability(yes_no, ("weak evidence",)) < 0.5, "no refusal reason switches the form off"


def test_newton_fits_the_weighted_logistic_regression() -> None:
    """Against a closed case: two points, one per class, mirrored: the weights grow as the penalty loosens."""
    import numpy as np

    x, y = np.array([[-1.0], [1.0]]), np.array([0.0, 1.0])
    coef, intercept = fit_logistic(x, y, np.ones(2), c=1.0)
    # Symmetric, so the intercept is 0; the gradient in w, -2 * c * sigmoid(-w) + w, is 0 where w = 2 / (1 + e^w).
    assert intercept == pytest.approx(0.0, abs=1e-9)
    assert 2 / (1 + math.exp(coef[0])) == pytest.approx(coef[0])
    assert fit_logistic(x, y, np.ones(2), c=10.0)[0][0] > coef[0]


# --- with the real model and index ---------------------------------------------------------------------------


def test_a_learned_refusal_says_why(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> None:
    """The shipped gate refuses a near-miss with a reason; a gate that refuses everything says its score is low
    where no rule fired, with the score in the words."""
    learned = Assistant(make_settings(seeded_dir, answer={"gate": "learned"}), embedder=embedder, index_seeds=False)
    refused = learned.ask("Which regulatory agency approved imiquimod, and in which year?")
    assert refused.refused and refused.refusal_reason and "answerability score" in refused.refusal_reason
    question = "what does imatinib do to regulatory T cells"
    assert not learned.ask(question).refused
    strict = tmp_path / "gate"
    strict.mkdir()
    (strict / GATE_FILE).write_text(json.dumps(replace(load_gate(SHIPPED), threshold=0.9999).to_json()))
    settings = make_settings(seeded_dir, answer={"gate": "learned"}, paths={"gate_dir": strict})
    answer = Assistant(settings, embedder=embedder, index_seeds=False).ask(question)
    assert answer.refused and answer.refusal_reason.startswith(f"{SCORE_REASON}: "), answer.refusal_reason
    everything_off = all_off(settings)
    assert everything_off.answer.gate == "rules"
    assert not Assistant(everything_off, embedder=embedder, index_seeds=False).ask(question).refused


def test_the_retrieval_figures_are_the_best_passage_scores(seeded_dir: Path, embedder: Embedder) -> None:
    """`retrieved` and `similarity` are the best fused score and cosine of the passages the gate sees: higher for a
    question on a seed's subject than for one on a subject neither seed treats."""
    assistant = Assistant(make_settings(seeded_dir), embedder=embedder, index_seeds=False)
    questions = ("what does imatinib do to regulatory T cells", "which bacteria colonise the gut of newborn lambs")
    record: list[Figures] = []
    with recording(record):
        for question in questions:
            assistant.ask(question, mode="extractive")
    near, far = record
    passages = assistant.retriever.retrieve(questions[0], assistant.settings.retrieval.top_k)
    assert near.retrieved == pytest.approx(max(p.score for p in passages), abs=1e-6)
    assert near.similarity == pytest.approx(max(p.similarity for p in passages), abs=1e-6)
    assert 0.0 <= far.retrieved < near.retrieved <= 1.0 and far.similarity < near.similarity


def test_a_replay_refuses_cases_recorded_without_a_figure_the_gate_reads() -> None:
    """A figure recorded before the gate read it would count as its training mean and decide otherwise than a run."""
    gate = Configured(LEARNED, load_gate(SHIPPED))
    case = _case("seeds", True, 0.6)
    gate.refuses(case)  # every figure recorded: replayed without complaint
    with pytest.raises(ValueError, match="retrieved"):
        gate.refuses(replace(case, retrieved=None))
    assert Configured(LEARNED.model_copy(update={"gate": "rules"})).refuses(replace(case, retrieved=None)) is False


def test_a_gate_read_under_other_retrieval_settings_is_reported(
    seeded_dir: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="assistant.api"):
        Assistant(make_settings(seeded_dir, answer={"gate": "learned"}), embedder=embedder, index_seeds=False)
    assert "retrieval settings" not in caplog.text, "the shipped gate was trained under the default settings"
    moved = make_settings(seeded_dir, answer={"gate": "learned"}, retrieval={"dense_weight": 0.3})
    with caplog.at_level("WARNING", logger="assistant.api"):
        Assistant(moved, embedder=embedder, index_seeds=False)
    assert "other retrieval settings" in caplog.text and "make gate" in caplog.text
