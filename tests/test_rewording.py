"""A direction verb said with another verb (`rewording`): of its sense a faithful training pair, of the opposite
sense a contradicted one; and the stage that adds them leaving the draws of the stages before it as they were."""

from __future__ import annotations

import random

import pytest

from assistant.answer.verifier import data
from assistant.answer.verifier.entities import EntityLexicon
from assistant.answer.verifier.model import LABELS
from assistant.answer.verifier.perturb import TRAIN_CLAUSES
from assistant.answer.verifier.rewording import (
    align,
    neighbours,
    plural_present,
    present,
    reword,
    reword_across,
    reword_opposite,
)
from assistant.answer.verifier.synthetic import PROBE_KINDS, Changer, Doc, clean, training_pairs

SOURCE = "Imatinib inhibited FoxP3 expression and reduced Treg numbers in treated mice."


def _said(rule: object, sentence: str) -> set[str]:
    return {rule(sentence, random.Random(seed)) for seed in range(40)}  # type: ignore[operator]


def test_a_rewording_keeps_the_sense_form_and_case() -> None:
    made = _said(reword, SOURCE)
    verbs = {m.split()[1] for m in made if m.endswith("reduced Treg numbers in treated mice.")}
    assert verbs and verbs <= {"suppressed", "attenuated", "impaired", "blunted", "dampened"}
    counts = {m.split(" and ")[1].split()[0] for m in made if m.startswith("Imatinib inhibited FoxP3")}
    assert counts and counts <= {"decreased", "diminished", "lessened", "lowered", "downregulated"}
    assert {s.split()[0] for s in _said(reword, "Increased doses raised the risk.")} <= {
        "Elevated", "Heightened", "Upregulated",
    }  # fmt: skip
    made = _said(reword, "Reducing the dose lowered the risk.")
    firsts = {m.split()[0] for m in made if m.endswith(" lowered the risk.")}
    assert firsts and firsts <= {"Decreasing", "Diminishing", "Lessening", "Lowering", "Downregulating"}
    lasts = {m.split()[3] for m in made if m.startswith("Reducing the dose ")}  # "lowered": a past form of "lower"
    assert lasts and lasts <= {"decreased", "reduced", "diminished", "lessened", "downregulated"}


def test_the_opposite_sense_in_the_same_form() -> None:
    made = _said(reword_opposite, "The drug suppresses tumour growth in mice.")
    assert {m.split()[2] for m in made} <= {"enhances", "augments", "boosts", "potentiates"}
    assert {m.split()[4] for m in _said(reword_opposite, "Serum IL-6 levels were decreased in patients.")} <= {
        "increased", "elevated", "heightened", "upregulated",
    }  # fmt: skip


def test_across_keeps_the_direction_and_changes_the_sense() -> None:
    made = _said(reword_across, "The drug suppresses tumour growth in mice.")
    assert {m.split()[2] for m in made} <= {"decreases", "reduces", "diminishes", "lessens", "lowers", "downregulates"}
    assert {m.split()[4] for m in _said(reword_across, "Serum IL-6 levels were increased in patients.")} <= {
        "enhanced", "augmented", "boosted", "potentiated",
    }  # fmt: skip


@pytest.mark.parametrize(
    "sentence",
    [
        "People visually impaired from cataract were counted.",  # a fixed adjective after an adverb
        "The cohort was followed for ten years after surgery.",  # no direction verb
        "Glutathione levels were low in every group.",
        "Increases in dose were tolerated by older patients.",  # a plural noun
        "Risk rose with increasing age in both cohorts.",  # an adjective
    ],
)
def test_no_rewording_where_no_direction_verb_is_free(sentence: str) -> None:
    assert reword(sentence, random.Random(0)) is None
    assert reword_opposite(sentence, random.Random(0)) is None


def test_rewordings_join_the_training_pairs_only_with_a_share() -> None:
    """Stages 1-5 were drawn before rewordings existed: without a share none is drawn (nor any random number for
    one); with a share, a rewording is a supported pair and one of the opposite sense a contradicted one."""
    docs = [
        Doc("1", ["Imatinib reduced Treg function in mice treated for ten days with the kinase inhibitor.",
                  "Interferon gamma production by CD8 T cells increased in every treated group of mice.",
                  "Mast cells released CCL2 after imiquimod was applied to the skin of tumour-bearing mice."]),
        Doc("2", ["Metformin lowered HbA1c by 1.2% over 24 weeks in this cohort of 412 adult patients.",
                  "Aerobic training for twelve weeks enhanced flow-mediated dilation in the brachial artery.",
                  "Patients with severe kidney disease were excluded from the trial before randomisation."]),
    ]  # fmt: skip
    lexicon = EntityLexicon(d.text for d in docs)
    pool = [s for d in docs for s in d.sentences]
    plain = training_pairs(docs, Changer(lexicon, TRAIN_CLAUSES, pool), 60, random.Random(5), 0.6)
    assert not {p.kind for p in plain} & {"reword", "reword_opposite"}
    again = training_pairs(docs, Changer(lexicon, TRAIN_CLAUSES, pool), 60, random.Random(5), 0.6, (0.0, 0.0))
    assert again == plain
    mixed = training_pairs(docs, Changer(lexicon, TRAIN_CLAUSES, pool), 120, random.Random(5), 0.0, (1.0, 1.0))
    same = [p for p in mixed if p.kind == "reword"]
    assert same and all(LABELS[p.label] == "supported" for p in same)
    opposite = [p for p in mixed if p.kind == "reword_opposite"]
    assert opposite and all(LABELS[p.label] == "contradicted" for p in opposite)


@pytest.mark.skipif(not (data.BENCH_DIR / "pubmedqa" / "ori_pqal.json").is_file(), reason="PubMedQA absent")
def test_the_rewording_test_set_draws_apart_from_the_perturbations() -> None:
    """Its own random stream: the perturbation test set stays as it was, and every rewording changes its source
    verb only."""
    plain = data.test_probes(13, 3)
    assert data.test_probes(13, 3) == plain and {p.kind for p in plain} == set(PROBE_KINDS)
    made = data.test_probes(13, 20, rewordings=True)
    assert [p.kind for p in made] == ["reword"] * 20 + ["reword_opposite"] * 20
    for probe in made:
        source = clean(probe.passage[probe.rationale[0]]).split()
        differ = [a for a, b in zip(source, probe.hypothesis.split(), strict=True) if a != b]
        assert len(differ) == 1, probe.hypothesis


@pytest.mark.parametrize(
    ("hypothesis", "premise", "expected"),
    [
        # The premise's own verb in the same slot (the word after it, or before it, is the same).
        ("Tamoxifen was linked to an elevated risk.", "Tamoxifen was associated with an increased risk.",
         "Tamoxifen was linked to an increased risk."),
        ("Progenitor cells were heightened after training.", "Progenitor cells increased after training.",
         "Progenitor cells were increased after training."),
        ("The drug dampens Treg function.", "The drug inhibited Treg function in mice.",
         "The drug inhibits Treg function."),
        ("Metformin lowered HbA1c by 1.2%.", "Metformin reduced HbA1c by 1.2% over 24 weeks.",
         "Metformin reduced HbA1c by 1.2%."),
        ("A lower dose reduced the risk.", "A lower dose decreased the risk.",
         "A lower dose decreased the risk."),  # the adjective "lower" is no verb of the sense
        # Never a verb of the opposite sense, nor one whose slot the premise fills with another sense.
        ("Tamoxifen was linked to a diminished risk.", "Tamoxifen was associated with an increased risk.",
         "Tamoxifen was linked to a diminished risk."),
        ("IL-33 reduced apoptosis and diminished expression of IAP.",
         "IL-33 reduced apoptosis and increased expression of IAP.",
         "IL-33 reduced apoptosis and diminished expression of IAP."),
        # An adverb or an article between the verb and its neighbour is passed over.
        ("Imatinib lowered STAT3 activation in Treg.",
         "Imatinib significantly reduced the activation of STAT3 and STAT5 in Treg.",
         "Imatinib reduced STAT3 activation in Treg."),
        # No slot in common: the author's verb stays.
        ("Serum levels were elevated in smokers.", "The drug increased the heart rate.",
         "Serum levels were elevated in smokers."),
    ],
)  # fmt: skip
def test_align_writes_a_verb_as_the_premise_does_in_the_same_slot(hypothesis: str, premise: str, expected: str) -> None:
    assert align(hypothesis, premise) == expected


@pytest.mark.parametrize(
    ("hypothesis", "premise", "plain", "across"),
    [
        # Another sense of the same direction: aligned only across senses.
        ("Imatinib reduced FoxP3 expression.", "Imatinib inhibited FoxP3 expression.",
         "Imatinib reduced FoxP3 expression.", "Imatinib inhibited FoxP3 expression."),
        # The other direction: never.
        ("Imatinib enhanced FoxP3 expression.", "Imatinib inhibited FoxP3 expression.",
         "Imatinib enhanced FoxP3 expression.", "Imatinib enhanced FoxP3 expression."),
        # "on" stands beside verbs of both directions in the premise: it marks no place across senses.
        ("Intake was inhibited on wheel days and reduced on other days.",
         "Intake was suppressed on wheel days and elevated on other days.",
         "Intake was suppressed on wheel days and reduced on other days.",
         "Intake was suppressed on wheel days and reduced on other days."),
    ],
)  # fmt: skip
def test_align_across_senses_keeps_the_direction(hypothesis: str, premise: str, plain: str, across: str) -> None:
    assert align(hypothesis, premise) == plain
    assert align(hypothesis, premise, across=True) == across


def test_neighbours_pass_over_articles_and_adverbs() -> None:
    words = "imatinib significantly reduced the activation of stat3".split()
    assert neighbours(words, 2) == ("imatinib", "activation")
    assert neighbours(["reduced"], 0) == ("", "")
    assert neighbours("an only slightly lowered the".split(), 3) == ("", "")


def test_present_states_a_reported_finding_as_a_claim_does() -> None:
    made = _said(present, SOURCE)
    assert made == {
        "Imatinib inhibits FoxP3 expression and reduced Treg numbers in treated mice.",
        "Imatinib inhibited FoxP3 expression and reduces Treg numbers in treated mice.",
    }
    opposite = {present(SOURCE, random.Random(seed), "opposite") for seed in range(40)}
    assert {m.split()[1] for m in opposite if m.endswith("reduced Treg numbers in treated mice.")} <= {
        "enhances", "augments", "boosts", "potentiates",
    }  # fmt: skip
    # A participle after an auxiliary or an adverb is no past tense of a finding's verb.
    assert present("FoxP3 expression was reduced by imatinib.", random.Random(0)) is None
    assert present("Imatinib significantly reduced FoxP3.", random.Random(0)) is None


@pytest.mark.parametrize(
    ("hypothesis", "premise", "expected"),
    [
        ("Imatinib impairs FoxP3 expression in Treg.", "Imatinib impaired Treg function and FoxP3 expression.",
         "Imatinib impaired FoxP3 expression in Treg."),
        ("Imatinib lowers STAT3 activation.", "Imatinib significantly reduced the activation of STAT3.",
         "Imatinib reduced STAT3 activation."),
        ("Imatinib reduced STAT3 activation.", "Imatinib reduces STAT3 activation in Treg.",
         "Imatinib reduces STAT3 activation."),
        # After an auxiliary a participle stays one; an -ing form and a verb of another slot keep their form.
        ("STAT3 was reduced by imatinib.", "STAT3 reduces with imatinib.", "STAT3 was reduced by imatinib."),
        # ("dose" is first the slot of the premise's -ing form: its verb, not its form, is taken.)
        ("Reducing the dose lowers the risk.", "Reducing the dose lowered the risk.",
         "Reducing the dose reduces the risk."),
        ("Serum levels increase in smokers.", "The drug increased the heart rate.",
         "Serum levels increase in smokers."),
    ],
)  # fmt: skip
def test_align_in_the_premise_tense(hypothesis: str, premise: str, expected: str) -> None:
    assert align(hypothesis, premise, tense=True) == expected
    assert align(hypothesis, premise, across=True, tense=True) == expected


STEROIDS = "Inhaled corticosteroids decreased IL-6 concentrations within 8 weeks."


def test_a_plural_subjects_bare_verb_is_aligned_where_it_is_a_verb() -> None:
    lower = "Inhaled corticosteroids lower IL-6 concentrations."
    assert align(lower, STEROIDS) == lower, "bare forms are read only when asked"
    assert align(lower, STEROIDS, bare=True) == "Inhaled corticosteroids decrease IL-6 concentrations."
    assert align(lower, STEROIDS, bare=True, tense=True) == "Inhaled corticosteroids decreased IL-6 concentrations."
    # Where the word is an adjective or a noun, or the other sense: as written.
    for sentence in (
        "A lower dose decreased IL-6 concentrations.",
        "An increase in dose decreased IL-6 concentrations.",
        "Inhaled corticosteroids increase IL-6 concentrations.",
        "This lower IL-6 concentration was seen.",
    ):
        assert align(sentence, STEROIDS, bare=True, tense=True) == sentence
    # The premise's own bare verb gives its lemma; a past stays past.
    assert align("Statins lowered the risk.", "Statins reduce the risk of death.", bare=True, tense=True) == (
        "Statins reduced the risk."
    )


def test_plural_present_says_a_plural_finding_with_another_bare_verb() -> None:
    made = _said(plural_present, STEROIDS)
    assert {m.split()[2] for m in made} <= {"reduce", "diminish", "lessen", "lower", "downregulate"}
    opposite = {plural_present(STEROIDS, random.Random(seed), "opposite") for seed in range(20)}
    assert {m.split()[2] for m in opposite if m} <= {"increase", "elevate", "heighten", "upregulate"}
    assert plural_present("Imatinib reduced STAT3 activation.", random.Random(0)) is None  # a singular subject
