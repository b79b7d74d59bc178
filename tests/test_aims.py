"""`aims`: a statement of what a study asked contradicts no finding; support and everything else left alone."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.verifier.aims import aim_read, states_aim

AIM = "In the current study, we have investigated the influence of imatinib mesylate on regulatory T cells (Treg)."
FINDING = "Imatinib reduces FoxP3 expression in regulatory T cells."


@pytest.mark.parametrize(
    ("sentence", "aim"),
    [
        (AIM, True),
        ("We examined whether aspirin reduces the risk of colorectal cancer.", True),
        ("OBJECTIVE: To determine whether statins lower mortality.", True),
        ("The aim of this study was to assess the effect of metformin on HbA1c.", True),
        ("To test whether IL-6 matters, we used knockout mice.", True),
        ("We examined 230 women and found that aspirin reduced the risk.", False),
        ("We show that imatinib inhibits ZAP70 phosphorylation.", False),
        ("Imatinib impaired Treg function.", False),
        ("China has for years held high the goal of basic elimination.", False),
    ],
)
def test_a_statement_of_aim_is_told_from_a_finding(sentence: str, aim: bool) -> None:
    assert states_aim(sentence) is aim


def test_an_aim_unit_gives_its_contradiction_to_not_found_only_against_a_finding() -> None:
    probs = np.array([0.1, 0.7, 0.2])
    read = aim_read([AIM], FINDING, probs)
    assert read.tolist() == pytest.approx([0.1, 0.0, 0.9]) and probs.tolist() == [0.1, 0.7, 0.2]
    # Against another aim ("we did not study ..."), a window holding a finding, or no unit: as the model says.
    assert aim_read([AIM], "We did not investigate imatinib.", probs) is probs
    assert aim_read([AIM, "Imatinib impaired Treg function."], FINDING, probs) is probs
    assert aim_read([], FINDING, probs) is probs
    supported = np.array([0.9, 0.05, 0.05])
    assert aim_read([AIM], FINDING, supported)[0] == 0.9
