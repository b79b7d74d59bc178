"""The verifier's decision step (`assistant/answer/verifier/decision.py`) and the far support threshold at run time.

The calibration tests build their probability tables by hand: what is tested is the choice, not the weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.answer.verifier import decision
from assistant.answer.verifier.data import Dataset, split_text
from assistant.answer.verifier.decision import CAP_MARGIN, Overlaps, choose_cap, choose_thresholds
from assistant.answer.verifier.metrics import ranking_ceiling, wilson_lower
from assistant.answer.verifier.model import DEFAULT_DIR, LABELS, ClaimVerifier, VerifierConfig, decide, overlap
from assistant.answer.verifier.synthetic import Probe

Table = dict[tuple[int, ...], np.ndarray]


def _table(supported: float, contradicted: float) -> Table:
    return {(0,): np.array([supported, contradicted, 1 - supported - contradicted])}


def _one(share: float) -> Overlaps:
    return {(0,): share}


def _probe(label: str) -> Probe:
    return Probe("a sentence", ("a passage sentence",), label, "test")


def test_the_cap_is_the_cheapest_within_the_margin() -> None:
    figures = {
        0: {"joint_macro_f1": 0.80, "units_per_item": 6.0},
        1: {"joint_macro_f1": 0.70, "units_per_item": 2.0},
        2: {"joint_macro_f1": 0.80 - CAP_MARGIN / 2, "units_per_item": 3.0},
        3: {"joint_macro_f1": 0.81, "units_per_item": 4.0},
    }
    assert choose_cap(figures) == 3
    figures[3]["joint_macro_f1"] = 0.80
    assert choose_cap(figures) == 2


def test_the_catch_target_holds_with_a_margin_not_at_its_edge() -> None:
    """Thresholds where 95% of 100 changed probes are caught meet the target only at the point estimate; the
    choice takes the stricter threshold whose lower confidence bound clears it, at the cost of paraphrases."""
    assert wilson_lower(0.95, 100) < 0.95 <= wilson_lower(1.0, 100)
    assert wilson_lower(0.95, 360) < wilson_lower(0.95, 3600) < 0.95
    claims = [_probe("supported") for _ in range(20)]
    probes = [_probe("contradicted") for _ in range(100)] + [_probe("supported") for _ in range(40)]
    probe_tables = [_table(0.05, 0.9)] * 95 + [_table(0.65, 0.3)] * 5 + [_table(0.65, 0.1)] * 10
    probe_tables += [_table(0.95, 0)] * 30
    data = Dataset(train=[], val_claims=claims, val_probes=probes, val_pairs=[])
    decision = choose_thresholds(data, [_table(0.97, 0.0)] * 20, probe_tables)
    assert decision.support > 0.65 and decision.far_support is None
    assert decision.figures["probes_caught"] == 1.0 and decision.figures["probes_kept"] == 0.75


def _far_case(claim_overlap: float) -> tuple[Dataset, list[Table], list[Table], tuple[list[Overlaps], list[Overlaps]]]:
    """Near copies with one fact changed score 0.85 (so a single threshold must sit above it); ten claims quote
    their passage (0.97), twenty are written in other words (0.75, holding `claim_overlap` of their words), ten
    are not supported (0.2)."""
    claims = [_probe("supported") for _ in range(30)] + [_probe("not_found") for _ in range(10)]
    claim_tables = [_table(0.97, 0.0)] * 10 + [_table(0.75, 0.0)] * 20 + [_table(0.2, 0.1)] * 10
    claim_overlaps = [_one(1.0)] * 10 + [_one(claim_overlap)] * 20 + [_one(0.3)] * 10
    probes = [_probe("contradicted") for _ in range(100)] + [_probe("supported") for _ in range(40)]
    probe_tables = [_table(0.85, 0.1)] * 100 + [_table(0.97, 0.0)] * 40
    probe_overlaps = [_one(0.95)] * 140
    data = Dataset(train=[], val_claims=claims, val_probes=probes, val_pairs=[])
    return data, claim_tables, probe_tables, (claim_overlaps, probe_overlaps)


def test_a_far_threshold_is_chosen_where_sentences_in_other_words_are_supported_below_the_near_copies() -> None:
    data, claims, probes, overlaps = _far_case(0.3)
    single = choose_thresholds(data, claims, probes)
    assert single.far_support is None and single.support > 0.85
    assert single.figures["claims_recall_supported"] == round(10 / 30, 4)
    decision = choose_thresholds(data, claims, probes, overlaps)
    # The highest far threshold that supports the 0.75 claims, on the lowest near overlap that makes them far.
    assert (decision.far_support, decision.near_overlap) == (0.74, 0.5)
    assert decision.support > 0.85, "near copies keep the high threshold"
    assert decision.figures["claims_recall_supported"] == 1.0 and decision.figures["probes_caught"] == 1.0
    assert decision.settings()["far_support_threshold"] == 0.74


def test_no_far_threshold_where_it_adds_nothing() -> None:
    """The claims written in other words hold as many of their words as the near copies: no split separates them,
    and a far threshold that changes no verdict is not kept."""
    data, claims, probes, overlaps = _far_case(0.95)
    decision = choose_thresholds(data, claims, probes, overlaps)
    assert decision.far_support is None and decision.near_overlap == 0.0
    assert decision == choose_thresholds(data, claims, probes)


def test_the_far_threshold_decides_only_the_units_marked_far() -> None:
    units: Table = {(0,): np.array([0.7, 0.1, 0.2]), (1,): np.array([0.5, 0.45, 0.05])}
    assert decide(units, 0.92, 0.5).label == "not_found"
    verdict = decide(units, 0.92, 0.5, far={(0,)}, far_support=0.6)
    assert (verdict.label, verdict.rationale, verdict.score) == ("supported", (0,), 0.7)
    assert decide(units, 0.92, 0.4, far={(1,)}, far_support=0.6).label == "contradicted"
    # A far support does not stand against a contradiction; a support at the full threshold does.
    assert decide(units, 0.92, 0.4, far={(0,)}, far_support=0.6).label == "contradicted"
    assert decide(units, 0.7, 0.4, far={(1,)}, far_support=0.6).label == "supported"
    assert decide(units, 0.92, 0.5, far={(0,)}).label == "not_found", "no far threshold: the support one"


def test_with_the_veto_a_window_does_not_overturn_a_sentence_that_contradicts() -> None:
    """The shape a review found: "imatinib reduced antitumor responses" against "... impaired Treg" + "imatinib
    enhanced antitumor responses": the second sentence alone contradicts it, the two together read as support."""
    units: Table = {
        (1,): np.array([0.02, 0.95, 0.03]),
        (0,): np.array([0.40, 0.10, 0.50]),
        (0, 1): np.array([0.96, 0.02, 0.02]),
    }
    assert decide(units, 0.92, 0.5).label == "supported"
    vetoed = decide(units, 0.92, 0.5, veto=True)
    assert (vetoed.label, vetoed.rationale) == ("contradicted", (1,))
    units[(1,)] = np.array([0.30, 0.40, 0.30])  # no sentence contradicts alone: the window's support stands
    assert decide(units, 0.92, 0.5, veto=True).label == "supported"


def test_a_unit_is_far_when_it_holds_few_of_the_sentences_words() -> None:
    unit = "Imatinib significantly reduced the activation of STAT3 and STAT5 in Treg."
    assert overlap(unit, "Imatinib reduced the activation of STAT3 in Treg.") == 1.0
    assert overlap(unit, "Tyrosine kinase blockade weakens regulatory lymphocytes.") == 0.0
    config = VerifierConfig(support_threshold=0.92, far_support_threshold=0.6, near_overlap=0.7)
    assert not config.far(unit, "Imatinib reduced the activation of STAT5 in Treg.")
    assert config.far(unit, "Imatinib weakens signalling in regulatory T lymphocytes.")
    assert not VerifierConfig(support_threshold=0.92).far(unit, "Tyrosine kinase blockade weakens lymphocytes.")


TAMOXIFEN = (
    "Tamoxifen is widely used in oestrogen receptor-positive breast cancer. In a retrospective study of 230 women, "
    "tamoxifen use was associated with an increased risk of endometrial carcinoma. The risk was highest after five "
    "years of treatment. CYP2D6 genotype did not predict recurrence."
)


@pytest.mark.skipif(not (DEFAULT_DIR / "model.safetensors").is_file(), reason="verifier weights absent")
def test_an_opted_in_far_threshold_supports_a_finding_in_other_words_and_still_catches_its_reversal() -> None:
    """A sentence written for this test, in other words than its passage: the shipped single threshold leaves it
    not found; the far threshold that `--far-threshold` calibration chose (0.72 below 0.7 of the words) supports
    it, on a unit that holds few of its words. Its reversal is still contradicted."""
    shipped = ClaimVerifier(DEFAULT_DIR)
    assert shipped.config.far_support_threshold is None, "the far threshold is opt-in (docs/verifier.md)"
    opted = ClaimVerifier(DEFAULT_DIR)
    opted.config = dataclasses.replace(shipped.config, far_support_threshold=0.72, near_overlap=0.7)
    passage = split_text(TAMOXIFEN)
    said = "Women taking tamoxifen are more likely to develop endometrial cancer."
    reversed_ = "Women taking tamoxifen are less likely to develop endometrial cancer."
    verdict, against = opted.verify_many([(said, passage), (reversed_, passage)])
    assert shipped.verify(said, passage).label == "not_found"
    assert verdict.label == "supported" and 1 in verdict.rationale
    unit = " ".join(passage[j] for j in verdict.rationale)
    assert opted.config.far(*opted.pair(unit, said))
    assert 0.72 <= verdict.score < opted.config.support_threshold
    assert against.label == "contradicted"


def test_calibration_decides_as_the_runtime() -> None:
    """The grid's vectorised decision (`decision._predict` on `decision._best`) gives `model.decide`'s label on
    every item: the thresholds are chosen under the rule the runtime applies, far units and contradictions
    included."""
    rng = np.random.default_rng(7)
    tables: list[Table] = []
    overlaps: list[Overlaps] = []
    for _ in range(400):
        units = [(j,) for j in range(int(rng.integers(1, 5)))]
        tables.append({u: rng.dirichlet([1.0, 1.0, 1.0]) for u in units})
        overlaps.append({u: float(rng.random()) for u in units})
    for support, far, near, contradict in ((0.9, 0.6, 0.7, 0.5), (0.8, 0.5, 0.5, 0.3), (0.7, 0.7, 0.9, 0.6)):
        best = decision._best(tables, overlaps, near)
        labels = decision._predict(best, support, far, contradict)
        for table, ov, label in zip(tables, overlaps, labels, strict=True):
            marked = {u for u in table if ov[u] < near}
            assert LABELS[label] == decide(table, support, contradict, marked, far).label


def test_the_ranking_ceiling_is_what_any_threshold_can_reach() -> None:
    # Ranked: hit, miss, hit, miss. At recall 1.0 the best threshold keeps three (2 of 3 right); at 0.5, one (1 of 1).
    positive, scores = [True, False, True, False], [0.9, 0.8, 0.7, 0.1]
    average, at_full = ranking_ceiling(positive, scores, 1.0)
    assert average == pytest.approx((1 + 2 / 3) / 2)
    assert at_full == pytest.approx(2 / 3)
    assert ranking_ceiling(positive, scores, 0.5)[1] == 1.0
    assert ranking_ceiling([True, False], [0.1, 0.9], 1.0) == (0.5, 0.5)  # a reversed ranking
    assert ranking_ceiling([False, False], [0.1, 0.9], 0.6) == (0.0, 0.0)
    # Any threshold's precision lies under the ceiling: check against every cut of random scores.
    rng = np.random.default_rng(3)
    labels, values = rng.random(60) < 0.4, rng.random(60)
    ceiling = ranking_ceiling(labels, values, 0.6)[1]
    for cut in values:
        kept = values >= cut
        if labels[kept].sum() >= 0.6 * labels.sum():
            assert labels[kept].mean() <= ceiling + 1e-12
