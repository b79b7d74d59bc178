"""Replaying a gate on recorded figures (`evaluation/gate_tuning.py`): the replay refuses as the gate would, and
`choose` prefers the gate that serves both answering and refusing, with the fewest reasons off."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.gate.learned import load_gate
from assistant.api import Assistant
from assistant.evaluation.gate_tuning import Case, Configured, Gate, all_off, choose, collect, shares
from assistant.evaluation.gold import load_gold, suite_path
from assistant.store.embeddings import Embedder
from tests.conftest import make_settings


def case(answerable: bool, best: float, coverage: float, *fired: str, suite: str = "s", score: float = 1.0) -> Case:
    return Case(suite, answerable, best, coverage, 0.5, None, frozenset(fired), False, score)


CASES = [
    case(True, 0.6, 1.0),
    case(True, 0.5, 0.5),  # a paraphrased question: half its terms are in other words
    case(True, 0.45, 0.7, "not linked", score=0.5),
    case(False, 0.3, 1.0),  # weak evidence only
    case(False, 0.6, 0.2),  # missing terms only
    case(False, 0.6, 1.0, "no date"),
]


def test_replay_refuses_as_the_gate_would() -> None:
    gate = Gate(0.35, 0.6)
    assert [gate.refuses(c) for c in CASES] == [False, True, True, True, True, True]
    assert shares(gate, CASES) == {"s answered": 1 / 3, "s refused": 1.0}
    loose = Gate(0.35, 0.4, frozenset({"not linked"}))
    assert [loose.refuses(c) for c in CASES] == [False, False, False, True, True, True]
    assert shares(loose, CASES) == {"s answered": 2.5 / 3, "s refused": 1.0}
    assert Gate(0.35, 0.4, frozenset({"weak evidence", "no date"})).refuses(CASES[3]) is False
    forced = Case("s", True, 0.9, 1.0, 0.9, None, frozenset(), True, 0.0)
    assert Gate(0.0, 0.0, frozenset({"weak evidence", "missing terms"})).refuses(forced), "no verified sentence"


def test_choose_keeps_refusals_and_turns_off_only_what_costs() -> None:
    score, best = choose(CASES, Gate(0.35, 0.6))[0]
    assert score == pytest.approx((2.5 / 3 + 1.0) / 2)
    assert best.off == frozenset({"not linked"}), "the one reason that refused only answerable questions"
    assert 0.2 < best.min_term_coverage <= 0.5 and 0.3 < best.refusal_threshold <= 0.45
    assert best.paraphrase_cosine > 0.5, "forgiving missing terms at cosine 0.5 would answer the missing-terms case"


def test_a_close_sentence_forgives_missing_terms() -> None:
    paraphrased = Case("s", True, 0.5, 0.3, 0.8, None, frozenset(), False, 1.0)
    assert Gate(0.35, 0.6).refuses(paraphrased)
    assert not Gate(0.35, 0.6, paraphrase_cosine=0.75).refuses(paraphrased)


def test_split_terms_refuse_below_the_share_one_document_must_hold() -> None:
    mostly_in_one = Case("s", True, 0.6, 1.0, 0.5, 0.8, frozenset(), False, 1.0)  # one stray term elsewhere
    half_and_half = Case("s", False, 0.6, 1.0, 0.5, 0.5, frozenset(), False, 0.0)
    strict, share = Gate(0.35, 0.6), Gate(0.35, 0.6, together_share=0.7)
    assert strict.refuses(mostly_in_one) and strict.refuses(half_and_half)
    assert not share.refuses(mostly_in_one) and share.refuses(half_and_half)
    assert not Gate(0.35, 0.6, frozenset({"not together"})).refuses(half_and_half)


@pytest.mark.parametrize("kind", ["rules", "learned"])
def test_the_replay_refuses_exactly_as_a_real_run(seeded_dir: Path, embedder: Embedder, kind: str) -> None:
    """Cases recorded with every reason off, replayed with the configured gate, refuse the questions a real run
    with that gate refuses (tune and held-out questions, the real model and index, the shipped learned gate)."""
    settings = make_settings(seeded_dir, answer={"gate": kind})
    real = Assistant(settings, embedder=embedder, index_seeds=False)
    records = load_gold(suite_path("seeds"))[::4] + load_gold(suite_path("heldout"))[::6]
    off = Assistant(all_off(settings), embedder=embedder, index_seeds=False)
    cases = collect(off, "seeds", [(r.question, r.answerable, lambda _a: 1.0) for r in records])
    model = load_gate(settings.paths.gate_dir) if kind == "learned" else None
    gate = Configured(settings.answer, model)
    replayed = [gate.refuses(c) for c in cases]
    assert replayed == [real.ask(r.question, mode="extractive").refused for r in records]
    assert any(replayed) and not all(replayed), "both kinds are in the sample"
    if kind == "rules":
        assert replayed == [Gate.of(settings.answer).refuses(c) for c in cases], "the grid's gate replays alike"
