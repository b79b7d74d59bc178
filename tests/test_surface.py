"""A sentence restating a passage sentence in other letters only is supported without the model; one that changes
or adds a fact never is (`assistant.answer.verifier.surface`)."""

from __future__ import annotations

import pytest

from assistant.answer.verifier.surface import restates

PASSAGE = [
    "Regulatory T cells (Treg) lost their function under imatinib mesylate in vitro.",
    "RESULTS: Tumour growth was significantly reduced in treated mice (P = 0.01; n = 12).",
    "However, the T-cell response to IFN-γ fell by -5% (p<0.05) at 0.5 mg.",
    "Imiquimod may activate mast cells.",
]


@pytest.mark.parametrize(
    ("sentence", "index"),
    [
        ("Regulatory T cells (Treg) lost their function under imatinib mesylate in vitro.", 0),  # a quote
        ("regulatory T cells lost their function under imatinib mesylate in vitro", 0),  # case, punctuation, alias
        ("Treg lost their function under imatinib mesylate in vitro.", 0),  # the short form the passage defines
        ("Tumor growth was significantly reduced in treated mice.", 1),  # spelling; section and statistic left out
        ("Tumour growth was reduced in treated mice (P = 0.01; n = 12).", 1),  # "significantly" left out
        ("The T cell response to IFN-gamma fell by -5% at 0.5 mg.", 2),  # opener, hyphen, Greek, statistic
    ],
)
def test_a_restatement_in_other_letters_is_found(sentence: str, index: int) -> None:
    assert restates(sentence, PASSAGE) == index


@pytest.mark.parametrize(
    "sentence",
    [
        "Regulatory T cells gained their function under imatinib mesylate in vitro.",  # direction
        "Regulatory T cells lost their function under imatinib mesylate in vivo.",  # setting
        "Regulatory T cells did not lose their function under imatinib mesylate in vitro.",  # negation
        "Tumour growth was reduced in treated mice (P = 0.05; n = 12).",  # a statistic changed
        "The T cell response to IFN-gamma fell by 5% at 0.5 mg.",  # the sign of a number
        "The T cell response to IFN-gamma fell by -5% (p>0.05) at 0.5 mg.",  # a comparison reversed
        "The T cell response to IFN-gamma fell by -5% at 5 mg.",  # a decimal point
        "Imiquimod activates mast cells.",  # a hedge dropped claims more than the passage says
        "Regulatory T cells lost their function under imatinib mesylate in vitro and in vivo.",  # a clause added
        "Regulatory T cells (Treg) lost their function in vitro.",  # words dropped that are not qualifiers
    ],
)
def test_a_changed_or_stronger_sentence_is_not_a_restatement(sentence: str) -> None:
    assert restates(sentence, PASSAGE) is None


def test_qualifiers_come_off_the_passage_side_only() -> None:
    """A passage supports its sentence with "significantly" or a statistic left out, not a sentence adding them."""
    assert restates("Growth was reduced.", ["Growth was significantly reduced (P < 0.01)."]) == 0
    assert restates("Growth was significantly reduced.", ["Growth was reduced."]) is None
    assert restates("Growth was reduced (P < 0.01).", ["Growth was reduced."]) is None
    assert restates("", PASSAGE) is None and restates("Anything.", []) is None


def test_a_qualifier_that_negates_stays_part_of_the_fact() -> None:
    """A parenthesis saying "not significant", or "significantly" after a negation, is the finding, not a qualifier."""
    trial = ["Drugzol reduced tumour size (in 2 of 40 patients, P = 0.41, not significant)."]
    assert restates("Drugzol reduced tumour size.", trial) is None
    assert restates("Drugzol reduced tumour size.", ["Drugzol reduced tumour size (NS)."]) is None
    assert restates("Drugzol reduced tumour size.", ["Drugzol reduced tumour size (P = 0.41)."]) == 0
    assert restates("Imatinib did not reduce IL-10.", ["Imatinib did not significantly reduce IL-10."]) is None
    assert restates("Imatinib didn't reduce IL-10.", ["Imatinib didn't significantly reduce IL-10."]) is None
