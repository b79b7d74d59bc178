"""The shipped claim verifier with its real weights: contradictions, each kind of one-fact change, paraphrases.

The passages are written for this test (no training data), in the style of PubMedQA abstracts; each changed
sentence changes one fact of one passage sentence.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.answer.verifier import DEFAULT_DIR, LABELS, ClaimVerifier, Verdict, training
from assistant.answer.verifier.card import write_card
from assistant.answer.verifier.data import split_text
from assistant.answer.verifier.decision import UNIT_CAPS
from assistant.answer.verifier.model import VerifierConfig, decide
from assistant.answer.verifier.perturb import TEST_CLAUSES, add_clause, change_number, flip_direction, flip_negation
from assistant.answer.verifier.synthetic import Probe
from assistant.answer.verifier.training import unit_tables
from assistant.answer.verifier.units import window_unit
from assistant.evaluation.verification import CHECK_SENTENCES, check_sentences
from assistant.ingest.documents.citation_line import is_citation_line

pytestmark = pytest.mark.skipif(not (DEFAULT_DIR / "model.safetensors").is_file(), reason="verifier weights absent")

PASSAGES = {
    "metformin": "Metformin is the first-line therapy for type 2 diabetes. In this cohort of 412 patients, metformin "
    "reduced HbA1c by 1.2% over 24 weeks. Treatment with metformin was associated with a lower risk of "
    "hypoglycaemia than treatment with sulfonylureas. Gastrointestinal side effects occurred in 18% of patients.",
    "asthma": "Interleukin-6 (IL-6) levels were measured in 96 children with asthma. Serum IL-6 was higher in "
    "children with severe asthma than in those with mild disease. Inhaled corticosteroids decreased IL-6 "
    "concentrations within 8 weeks. No association was found between IL-6 and lung function.",
    "exercise": "We studied the effect of exercise training on endothelial function in older adults. Twelve weeks "
    "of aerobic training improved flow-mediated dilation in the brachial artery. The improvement was not "
    "observed in participants who were smokers. Endothelial progenitor cells increased after training.",
    "tamoxifen": "Tamoxifen is widely used in oestrogen receptor-positive breast cancer. In a retrospective study "
    "of 230 women, tamoxifen use was associated with an increased risk of endometrial carcinoma. The risk was "
    "highest after five years of treatment. CYP2D6 genotype did not predict recurrence.",
}

CHANGED = {
    "direction": [
        ("metformin", "In this cohort of 412 patients, metformin increased HbA1c by 1.2% over 24 weeks."),
        ("asthma", "Serum IL-6 was lower in children with severe asthma than in those with mild disease."),
        ("exercise", "Twelve weeks of aerobic training impaired flow-mediated dilation in the brachial artery."),
        ("tamoxifen", "Tamoxifen use was associated with a decreased risk of endometrial carcinoma."),
    ],
    "negation": [
        ("metformin", "Treatment with metformin was not associated with a lower risk of hypoglycaemia."),
        ("asthma", "Inhaled corticosteroids did not decrease IL-6 concentrations."),
        ("exercise", "The improvement was observed in participants who were smokers."),
        ("tamoxifen", "CYP2D6 genotype predicted recurrence."),
    ],
    "number": [
        ("metformin", "Gastrointestinal side effects occurred in 45% of patients."),
        ("asthma", "Interleukin-6 levels were measured in 250 children with asthma."),
        ("metformin", "In this cohort of 412 patients, metformin reduced HbA1c by 3.5% over 24 weeks."),
        ("tamoxifen", "The risk was highest after two years of treatment."),
    ],
    "entity": [
        ("metformin", "Treatment with pioglitazone was associated with a lower risk of hypoglycaemia."),
        ("asthma", "Interleukin-6 levels were measured in 96 children with eczema."),
        ("exercise", "Regulatory T cells increased after training."),
        ("tamoxifen", "Tamoxifen use was associated with an increased risk of ovarian carcinoma."),
    ],
    "clause": [
        ("metformin", "In this cohort of 412 patients, intravenous metformin reduced HbA1c by 1.2% over 24 weeks."),
        ("asthma", "Inhaled corticosteroids decreased IL-6 concentrations within 8 weeks in girls only."),
        (
            "exercise",
            "Twelve weeks of aerobic training improved flow-mediated dilation in patients with heart failure.",
        ),
        ("tamoxifen", "In a retrospective study of 230 Asian women, tamoxifen use was associated with ovarian cysts."),
    ],
    # The direction said with a verb of the opposite sense, not the passage verb's antonym (`rewording`).
    "opposite_verb": [
        ("metformin", "In this cohort of 412 patients, metformin elevated HbA1c by 1.2% over 24 weeks."),
        ("asthma", "Inhaled corticosteroids boosted IL-6 concentrations within 8 weeks."),
        ("exercise", "Endothelial progenitor cells were diminished after training."),
        ("tamoxifen", "Tamoxifen use was associated with a lessened risk of endometrial carcinoma."),
    ],
    "other_abstract": [
        ("metformin", "Twelve weeks of aerobic training improved flow-mediated dilation in the brachial artery."),
        ("asthma", "Tamoxifen is widely used in oestrogen receptor-positive breast cancer."),
        ("exercise", "Serum IL-6 was higher in children with severe asthma than in those with mild disease."),
        ("tamoxifen", "Metformin is the first-line therapy for type 2 diabetes."),
    ],
}

# A direction verb said with another of its sense (`rewording`).
REWORDINGS = [
    ("metformin", "In this cohort of 412 patients, metformin decreased HbA1c by 1.2% over 24 weeks."),
    ("asthma", "Inhaled corticosteroids reduced IL-6 concentrations within 8 weeks."),
    ("exercise", "Endothelial progenitor cells were elevated after training."),
    ("tamoxifen", "Tamoxifen use was associated with an elevated risk of endometrial carcinoma."),
]
PARAPHRASES = [
    ("metformin", "Over 24 weeks, metformin lowered HbA1c by 1.2% in this cohort of 412 patients."),
    ("asthma", "Children with severe asthma had higher serum IL-6 than children with mild disease."),
    ("exercise", "Aerobic training for twelve weeks improved flow-mediated dilation in the brachial artery."),
    ("tamoxifen", "CYP2D6 genotype was not predictive of recurrence."),
    *REWORDINGS,
]


# Sentences the shipped (stage-5) weights get wrong, all three faithful paraphrases: a reordered sentence with a
# reworded verb ("Over 24 weeks, metformin lowered HbA1c ..."; aligned to the passage's "reduced" since "lower"
# joined the "less" sense, and still called contradicted at p 0.51 against 0.49 supported: the same sentence written
# with "reduced" gets the same verdict), a reordered sentence whose passage goes on "The improvement was not observed
# in participants who were smokers." (not found), and a reworded negation ("was not predictive of" for "did not
# predict": not found; stages 2-4 kept it, stage 1 missed it too). The stage-4 weights also let an entity swap
# inside an otherwise identical sentence through; stage 5 catches all 28 changes here. The other rewordings among
# the paraphrases pass because the runtime aligns a verb of the same sense (`rewording.align`): read as written,
# the two with "elevated" for "increased" are called contradicted.
KNOWN_MISSES = {
    "Over 24 weeks, metformin lowered HbA1c by 1.2% in this cohort of 412 patients.",
    "Aerobic training for twelve weeks improved flow-mediated dilation in the brachial artery.",
    "CYP2D6 genotype was not predictive of recurrence.",
}


@pytest.fixture(scope="module")
def verifier() -> ClaimVerifier:
    return ClaimVerifier()


@pytest.fixture(scope="module")
def sentences() -> dict[str, list[str]]:
    return {name: split_text(text) for name, text in PASSAGES.items()}


def test_contradiction_is_caught_with_its_rationale(verifier: ClaimVerifier, sentences: dict[str, list[str]]) -> None:
    passage = sentences["metformin"]
    verdict = verifier.verify("In this cohort of 412 patients, metformin increased HbA1c by 1.2%.", passage)
    assert verdict.label == "contradicted"
    assert 1 in verdict.rationale
    assert 0.0 < verdict.score <= 1.0
    assert set(verdict.probabilities) == set(LABELS)
    assert abs(sum(verdict.probabilities.values()) - 1.0) < 1e-3


@pytest.mark.parametrize("kind", sorted(CHANGED))
def test_each_kind_of_change_is_caught(kind: str, verifier: ClaimVerifier, sentences: dict[str, list[str]]) -> None:
    """Every changed sentence but the known misses below is refused (contradicted or not found)."""
    verdicts = verifier.verify_many([(text, sentences[name]) for name, text in CHANGED[kind]])
    missed = [text for (_, text), v in zip(CHANGED[kind], verdicts, strict=True) if v.label == "supported"]
    assert set(missed) <= KNOWN_MISSES, f"{kind}: accepted as supported: {missed}"
    assert len(missed) <= 1


def test_faithful_paraphrases_are_kept(verifier: ClaimVerifier, sentences: dict[str, list[str]]) -> None:
    verdicts = verifier.verify_many([(text, sentences[name]) for name, text in PARAPHRASES])
    for (_, text), verdict in zip(PARAPHRASES, verdicts, strict=True):
        if text not in KNOWN_MISSES:
            assert verdict.label == "supported", text
            bars = (verifier.config.support_threshold, verifier.config.far_support_threshold)
            assert verdict.rationale and verdict.score >= min(b for b in bars if b is not None)


@pytest.mark.xfail(reason="what the shipped verifier still gets wrong (reported in MODEL_CARD.md)", strict=True)
@pytest.mark.parametrize("text", sorted(KNOWN_MISSES))
def test_known_misses(text: str, verifier: ClaimVerifier, sentences: dict[str, list[str]]) -> None:
    name, expected = next((n, k) for k, pairs in [*CHANGED.items(), ("paraphrase", PARAPHRASES)] for n, t in pairs
                          if t == text)  # fmt: skip
    verdict = verifier.verify(text, sentences[name])
    assert (verdict.label == "supported") == (expected == "paraphrase")


def test_aligned_verbs_keep_rewordings_the_model_reads_as_contradictions(
    verifier: ClaimVerifier, sentences: dict[str, list[str]]
) -> None:
    """The same weights read "an elevated risk" against "an increased risk" as a contradiction; aligned, the verb is
    the passage's and the sentence is supported. A verb of the opposite sense stays caught either way."""
    items = [(text, sentences[name]) for name, text in REWORDINGS]
    as_written = ClaimVerifier(align_verbs=False).verify_many(items)
    assert [v.label for v in as_written].count("contradicted") >= 2
    assert all(v.label == "supported" for v in verifier.verify_many(items))
    opposite = [(text, sentences[name]) for name, text in CHANGED["opposite_verb"]]
    assert all(v.label == "contradicted" for v in verifier.verify_many(opposite))


# A direction verb of the other sense of its direction: never a contradiction, not always the same claim.
ACROSS = [
    ("asthma", "Inhaled corticosteroids suppressed IL-6 concentrations within 8 weeks."),
    ("metformin", "In this cohort of 412 patients, metformin impaired HbA1c by 1.2% over 24 weeks."),
    ("exercise", "Endothelial progenitor cells were boosted after training."),
]


def test_a_verb_of_the_same_direction_is_no_contradiction(
    verifier: ClaimVerifier, sentences: dict[str, list[str]]
) -> None:
    """Read once, the model calls each of these contradicted; reread with the unit's verb in that place, none is,
    and none becomes supported. A verb of the opposite direction stays contradicted on the reread."""
    items = [(text, sentences[name]) for name, text in ACROSS]
    first = ClaimVerifier(reread=False).verify_many(items)
    assert [v.label for v in first].count("contradicted") >= 2
    assert all(v.label == "not_found" and not v.rationale for v in verifier.verify_many(items))
    opposite = [("asthma", "Inhaled corticosteroids boosted IL-6 concentrations within 8 weeks.")]
    opposite += [(name, text) for name, text in CHANGED["opposite_verb"]]
    said = verifier.verify_many([(text, sentences[name]) for name, text in opposite])
    assert all(v.label == "contradicted" for v in said), [v.label for v in said]


def test_the_reread_costs_nothing_where_nothing_is_contradicted(sentences: dict[str, list[str]]) -> None:
    """Faithful sentences and sentences not found make the same model calls with the reread as without it; a
    contradiction with no verb of the same direction to reread costs none either."""
    items = [(text, sentences[name]) for name, text in [*REWORDINGS, *CHANGED["clause"], *CHANGED["negation"]]]
    calls = []
    for reread in (False, True):
        verifier = ClaimVerifier(reread=reread)
        said = verifier.verify_many(items)
        calls.append((verifier.units_scored, [v.label for v in said]))
    assert calls[0] == calls[1]


def test_quotes_empty_passages_and_frozen_verdicts(verifier: ClaimVerifier) -> None:
    passage = split_text(PASSAGES["asthma"])
    quoted = verifier.verify(passage[2], passage)
    assert (quoted.label, quoted.rationale, quoted.score) == ("supported", (2,), 1.0)
    assert verifier.verify("Anything at all.", []).label == "not_found"
    with pytest.raises(dataclasses.FrozenInstanceError):
        quoted.label = "contradicted"  # type: ignore[misc]
    assert isinstance(quoted, Verdict)


def test_a_verifier_without_weights_names_the_command_that_trains_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no verifier weights .*assistant\.answer\.verifier\.training"):
        ClaimVerifier(tmp_path).verify("Imatinib impaired Treg.", ["Imatinib enhanced Treg."])


def test_a_restatement_is_supported_without_a_model_call(verifier: ClaimVerifier) -> None:
    """A passage sentence in other letters (case, hyphen, statistic and "significantly" left out) needs no model
    call; the same sentence with its direction flipped is scored by the model and not supported."""
    passage = ["Background sentence about asthma.", "Inhaled steroids significantly reduced T-cell counts (P < 0.01)."]
    before = verifier.units_scored
    restated = verifier.verify("inhaled steroids reduced T cell counts", passage)
    assert (restated.label, restated.rationale, verifier.units_scored) == ("supported", (1,), before)
    flipped = verifier.verify("Inhaled steroids increased T cell counts.", passage)
    assert flipped.label != "supported" and verifier.units_scored > before


def test_rule_made_changes_are_caught(verifier: ClaimVerifier, sentences: dict[str, list[str]]) -> None:
    """The training rules applied to held-out text (with the clauses held out of training)."""
    rng = random.Random(7)
    items = []
    for name, passage in sentences.items():
        text = PASSAGES[name]
        rules: list[Callable[[str], str | None]] = [
            lambda s: flip_direction(s, rng),
            lambda s: flip_negation(s, rng),
            lambda s, text=text: change_number(s, rng, text),  # type: ignore[misc]
            lambda s, text=text: add_clause(s, rng, TEST_CLAUSES, text),  # type: ignore[misc]
        ]
        for rule in rules:
            changed = next((c for c in map(rule, passage) if c), None)
            if changed:
                items.append((changed, passage))
    verdicts = verifier.verify_many(items)
    missed = [text for (text, _), v in zip(items, verdicts, strict=True) if v.label == "supported"]
    assert len(items) >= 12 and len(missed) <= 0.1 * len(items), missed


def test_units_scored_are_capped_and_calibration_tables_decide_as_the_runtime(
    verifier: ClaimVerifier, sentences: dict[str, list[str]]
) -> None:
    """`max_units` caps the passage sentences scored per item (plus one window), and the tables calibration
    chooses the thresholds on give the runtime's verdicts, for every cap it tries."""
    items = [(text, sentences[name]) for pairs in CHANGED.values() for name, text in pairs] + [
        (text, sentences[name]) for name, text in PARAPHRASES
    ]
    probes = [Probe(text, tuple(passage), "not_found", "test") for text, passage in items]
    tables = unit_tables(verifier, probes, UNIT_CAPS)
    shipped = verifier.config
    try:
        for cap in UNIT_CAPS:
            verifier.config = dataclasses.replace(shipped, max_units=cap)
            before = verifier.units_scored
            verdicts = verifier.verify_many(items)
            limit = (cap or max(len(p) for _, p in items)) + 1
            assert verifier.units_scored - before <= limit * len(items)
            for table, (text, passage), verdict in zip(tables[cap], items, verdicts, strict=True):
                assert len([u for u in table if len(u) == 1]) == min(cap or len(passage), len(passage))
                units = {u: verifier.pair(" ".join(passage[j] for j in u), text) for u in table}
                far = {u for u, pair in units.items() if shipped.far(*pair)}
                support, contradict = shipped.support_threshold, shipped.contradict_threshold
                expected = decide(table, support, contradict, far, shipped.far_support_threshold)
                assert verdict.label == expected.label, (cap, text)
    finally:
        verifier.config = shipped


def test_a_later_stage_trains_on_from_the_weights_before(tmp_path: Path) -> None:
    for argv in (["--stage", "2"], ["--init", str(tmp_path)]):
        with pytest.raises(SystemExit, match="--init"):
            training.main([*argv, "--out", str(tmp_path)])
    for share in ("--part-share", "--reword-share", "--reword-opposite-share"):
        with pytest.raises(SystemExit, match="stage 1's draws fix the validation slice"):
            training.main([share, "0.6", "--out", str(tmp_path)])
    first = {"pairs": 22000, "lr": 5e-5, "train_seconds": 4989, "final_loss": 0.38, "stage": 1}
    second = {"pairs": 16000, "lr": 3e-5, "train_seconds": 2400, "final_loss": 0.30, "epochs": 1, "batch_size": 32,
              "max_length": 128, "threads": 1, "total_seconds": 2600, "steps": 500}  # fmt: skip
    manifest = json.loads((DEFAULT_DIR / "manifest.json").read_text())
    manifest |= {"training": second, "stage": 2, "stages_before": [first]}
    # Stage 1's count fixes the validation slice that every later stage is calibrated on.
    assert training.first_pairs(manifest) == 22000
    assert training.first_pairs({"training": first}) == 22000
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    config = VerifierConfig.load(DEFAULT_DIR)
    write_card(tmp_path, manifest, vars(config) | {"chosen_on": "validation", "validation": {}}, "train")
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "stage 1: 22000 pairs, lr 5e-05" in card and "stage 2: 16000 pairs, lr 3e-05" in card


def test_a_pair_shared_by_overlapping_passages_is_scored_once(
    verifier: ClaimVerifier, sentences: dict[str, list[str]]
) -> None:
    """Overlapping chunks of one document share sentences: the same (passage sentence, sentence) pair is one model
    call per `verify_many`, and the verdict of each item is the one it gets alone."""
    whole = sentences["metformin"]
    halves = [whole[:3], whole[1:]]  # two chunks overlapping by two sentences
    claim = "Treatment with metformin was not associated with a lower risk of hypoglycaemia."
    alone = [verifier.verify(claim, half) for half in halves]
    singly = 0
    for half in halves:
        before = verifier.units_scored
        verifier.verify(claim, half)
        singly += verifier.units_scored - before
    before = verifier.units_scored
    together = verifier.verify_many([(claim, half) for half in halves])
    assert together == alone
    assert verifier.units_scored - before < singly


def test_the_claim_check_benchmark_text_repeats_no_sentence() -> None:
    text = check_sentences(CHECK_SENTENCES)
    assert len(text) == len(set(text)) == CHECK_SENTENCES


def test_a_finding_claimed_in_the_present_is_read_in_the_passage_tense(verifier: ClaimVerifier) -> None:
    """A claim states as a truth ("impairs") what an abstract reports done ("impaired"); read in its own tense, the
    model leans to calling this faithful claim contradicted (p 0.50, at the contradiction threshold's edge)."""
    passage = ["Used at concentrations achieved clinically, imatinib impaired Treg function and FoxP3 expression."]
    claim = "Imatinib impairs FoxP3 expression in Treg."
    own_tense = ClaimVerifier(tense=False).verify(claim, passage)
    assert own_tense.label != "supported" and own_tense.probabilities["contradicted"] > 0.4
    assert verifier.verify(claim, passage).label == "supported"
    assert verifier.verify("Imatinib enhances FoxP3 expression in Treg.", passage).label != "supported"


def test_a_citation_line_joins_no_window() -> None:
    """The window (evidence split over two sentences) passes over the citation line the ingest writes after a
    title, and a citation line read best stays alone; a paper's own "Published online ..." is no such line."""
    units = {(0,): np.array([0.2, 0.6, 0.2]), (1,): np.array([0.5, 0.1, 0.4]), (2,): np.array([0.1, 0.1, 0.8])}
    assert window_unit(units, 3) == (0, 1)
    assert window_unit(units, 3, apart={1}) == (0,)
    assert window_unit(units, 3, apart={0}) == (0,)
    lines = ["A title", "Published in J Immunol, on Nov 15 2008, by A and B.", "Published online June 27, 2001."]
    assert [is_citation_line(t) for t in lines] == [False, True, False]


def test_a_plural_subjects_bare_verb_is_read_by_its_sense(
    verifier: ClaimVerifier, sentences: dict[str, list[str]]
) -> None:
    lower = "Inhaled corticosteroids lower IL-6 concentrations within 8 weeks."  # the passage: "decreased"
    assert ClaimVerifier(bare=False).verify(lower, sentences["asthma"]).label == "contradicted"
    assert verifier.verify(lower, sentences["asthma"]).label == "supported"
    assert verifier.verify(lower.replace("lower", "elevate"), sentences["asthma"]).label == "contradicted"
