"""The opposite said in the same place (`placement.opposed`): a reversal told with another verb, or put together from
two sentences (one's verb, the next one's object), is no support; nor are groups or values exchanged (`roles`); with
the rules alone and with the shipped weights."""

from __future__ import annotations

import pytest

from assistant.answer.verifier import DEFAULT_DIR, ClaimVerifier
from assistant.answer.verifier.model import CONTRADICTED, SUPPORTED
from assistant.answer.verifier.placement import borrowed, opposed
from assistant.answer.verifier.roles import compared_the_other_way, exchanged

# Written for this test in an abstract's style: a decrease in one sentence, an increase of something else in the next.
WINDOW = (
    "In treated mice, the compound decreased macrophage infiltration and impaired their cytokine release in vivo. "
    "Furthermore, the compound significantly enhanced antibody responses to peptide vaccination against melanoma."
)
SEED_WINDOW = (
    "Substantiating these observations, imatinib treatment of mice decreased Treg frequency and impaired their "
    "immunosuppressive function in vivo. Furthermore, imatinib mesylate significantly enhanced antitumor immune "
    "responses to dendritic cell-based immunization against an imatinib-resistant BCR-ABL negative lymphoma."
)


def test_a_verb_of_the_opposite_direction_before_the_same_object_is_opposed() -> None:
    for verb in ("weakened", "reduced", "decreased", "impaired", "inhibits"):
        assert opposed(WINDOW, f"The compound {verb} antibody responses to peptide vaccination."), verb
    assert opposed(WINDOW, "The compound increased macrophage infiltration in mice.")


def test_the_same_direction_another_object_a_negation_or_another_subject_is_not() -> None:
    assert not opposed(WINDOW, "The compound strengthened antibody responses to peptide vaccination.")
    assert not opposed(WINDOW, "The compound reduced macrophage infiltration.")
    assert not opposed(WINDOW, "The compound reduced antibody titres."), "another object"
    assert not opposed(WINDOW, "The compound did not reduce antibody responses."), "a negated verb is no direction"
    assert not opposed(WINDOW, "Dexamethasone reduced antibody responses to vaccination."), "another subject"
    both = "The drug increased IL-6 release in young mice. The drug decreased IL-6 release in old mice."
    assert not opposed(both, "The drug decreased IL-6 release."), "the passage says both directions there"
    assert not opposed("The visually impaired patients improved.", "The drug enhanced patients' vision.")


# A code review's faithful pairs (2026-12-08), each a reading the first version of the rules took for a reversal.
FAITHFUL = [
    (
        "LPS increased TNF-alpha secretion by macrophages, an effect that was abolished by pretreatment with curcumin.",
        "Curcumin reduced LPS-induced TNF-alpha secretion.",
    ),
    ("Knockdown of SIRT1 increased p53 acetylation in HEK293 cells.", "SIRT1 reduced p53 acetylation in HEK293 cells."),
    ("Niacin increased HDL by 20%, and LDL fell by 20%.", "Niacin lowered LDL by 20%."),
    (
        "Sorafenib inhibited VEGFR-2 phosphorylation and increased plasma VEGF concentrations.",
        "Sorafenib inhibited VEGF signalling.",
    ),
    (
        "Bleomycin increased collagen deposition in the lung, and treatment with nintedanib attenuated fibrosis.",
        "Nintedanib decreased collagen deposition in bleomycin-injured lungs.",
    ),
]


def test_an_agent_acting_elsewhere_or_by_its_absence_is_no_reversal() -> None:
    for premise, faithful in FAITHFUL:
        assert not opposed(premise, faithful), faithful
    window = ["Atorvastatin lowered LDL cholesterol by 50%.", "Triglycerides fell by 20% and HDL rose by 5%."]
    assert not borrowed(window, "Atorvastatin lowered triglycerides by 20%."), "a verb not listed is the model's"
    assert not exchanged(
        "Efficacy did not differ between patients receiving 10 mg daily and those receiving 20 mg.",
        "Efficacy did not differ between patients receiving 20 mg daily and those receiving 10 mg.",
    )
    both = (
        "HDL was higher in the statin group than in the placebo group; "
        "LDL was higher in the placebo group than in the statin group."
    )
    assert not compared_the_other_way(both, "HDL was higher in the statin group than in the placebo group.")


@pytest.mark.skipif(not (DEFAULT_DIR / "model.safetensors").is_file(), reason="verifier weights absent")
def test_a_reversal_across_a_window_is_contradicted_and_the_finding_still_supported() -> None:
    sentences = [s.strip() + "." for s in SEED_WINDOW.rstrip(".").split(". ")]
    verifier, plain = ClaimVerifier(), ClaimVerifier(opposite=False)
    reversed_ = "Imatinib weakened antitumor immune responses to dendritic cell-based immunization."
    assert plain.verify(reversed_, sentences).label == SUPPORTED, "without the rule the window supports it"
    for claim in (reversed_, "Imatinib decreased antitumor immune responses to dendritic cell-based immunization."):
        verdict = verifier.verify(claim, sentences)
        assert verdict.label == CONTRADICTED and verdict.rationale == (1,), (claim, verdict)
    kept = "Imatinib enhanced antitumor immune responses to dendritic cell-based immunization."
    assert verifier.verify(kept, sentences).label == SUPPORTED


# Written for these tests in a trial report's style (an outside tester's swaps were of this shape).
ARMS = "Diarrhea was reported by 9.7% of patients in the colchicine group and by 8.9% of patients in the placebo group."
COMPARED = "At week 12, serum ALT was 31% lower in the metformin group than in the vehicle group."


def test_arms_or_values_exchanged_are_a_swap_and_a_list_in_another_order_is_not() -> None:
    assert exchanged(ARMS, ARMS.replace("colchicine", "X").replace("placebo", "colchicine").replace("X", "placebo"))
    assert exchanged(
        "HbA1c fell by 1.1% at 12 weeks and by 1.4% at 24 weeks.",
        "HbA1c fell by 1.4% at 12 weeks and by 1.1% at 24 weeks.",
    )
    assert not exchanged(ARMS, "Diarrhea occurred in 9.7% of colchicine patients and 8.9% of placebo patients.")
    assert not exchanged(
        ARMS, "Diarrhea was reported by 8.9% of patients in the placebo group and by 9.7% in the colchicine group."
    )
    assert not exchanged(
        "Treatment reduced IL-6, TNF and IL-1b in serum.", "Treatment reduced IL-1b, TNF and IL-6 in serum."
    )


def test_a_comparison_with_its_sides_exchanged_is_the_other_way_and_with_the_other_comparative_the_same() -> None:
    assert compared_the_other_way(COMPARED, "Serum ALT was 31% lower in the vehicle group than in the metformin group.")
    assert compared_the_other_way(COMPARED, "Serum ALT was higher in the metformin group than in the vehicle group.")
    assert not compared_the_other_way(
        COMPARED, "Serum ALT was higher in the vehicle group than in the metformin group."
    )
    assert not compared_the_other_way(COMPARED, "ALT was lower with metformin than with vehicle at week 12.")
    assert not compared_the_other_way(COMPARED, "More than 40 patients were enrolled.")


@pytest.mark.skipif(not (DEFAULT_DIR / "model.safetensors").is_file(), reason="verifier weights absent")
def test_exchanged_arms_are_not_supported_and_the_report_still_is() -> None:
    verifier = ClaimVerifier()
    swapped = (
        "Diarrhea was reported by 9.7% of patients in the placebo group and by 8.9% of those in the colchicine group."
    )
    assert ClaimVerifier(roles=False).verify(swapped, [ARMS]).label == SUPPORTED, "the weights alone read it as support"
    assert verifier.verify(swapped, [ARMS]).label == CONTRADICTED
    assert verifier.verify(ARMS, [ARMS]).label == SUPPORTED


def test_a_passive_a_borrowed_verb_and_a_decimal_side_are_read() -> None:
    # Shapes of outside testers' false claims (2026-12-08), written anew for this test.
    genes = (
        "Expression of the lipogenic gene Fasn was reduced in knockout livers, whereas expression of the oxidation "
        "gene Acox1 was increased."
    )
    assert opposed(genes, "Expression of the oxidation gene Acox1 was reduced in knockout livers.")
    assert not opposed(genes, "Acox1 expression was increased in knockout livers.")
    window = [
        "The probiotic enhanced the expression of occludin.",
        "Gut permeability to dextran was halved in treated mice.",
    ]
    assert borrowed(window, "The probiotic enhanced gut permeability to dextran.")
    assert not borrowed(window, "The probiotic enhanced the expression of occludin.")
    rates = "Nausea was more frequent with the drug (12.5%) than with placebo (3.1%)."
    assert compared_the_other_way(rates, "Nausea was more frequent with placebo than with the drug.")
    assert not compared_the_other_way(rates, "Nausea was less frequent with placebo than with the drug.")
