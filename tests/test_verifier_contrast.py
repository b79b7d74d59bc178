"""A finding stated with its exception ("... but not in knockout mice"): the exception is read apart
(`assistant.answer.verifier.contrast`), with the rule alone and with the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.terms import has_negation
from assistant.answer.verifier import DEFAULT_DIR, ClaimVerifier
from assistant.answer.verifier.contrast import about_denied, read_apart
from assistant.answer.verifier.data import split_text
from assistant.answer.verifier.model import SUPPORTED
from assistant.answer.verifier.units import not_a_statement

# Written for this test, in the style of an abstract: a finding and its exception, in two shapes.
PASSAGE = (
    "We mapped receptor expression in dorsal root ganglia. In this cohort, the receptor was coexpressed with TRPV1 "
    "but not TRPA1 in sensory neurons. Expression rose after nerve injury."
)
SEED_LIKE = (
    "Used at concentrations achieved clinically, imatinib impaired Treg immunosuppressive function and FoxP3 "
    "expression but not production of IL-10 and TGF-β in vitro."
)


def test_a_unit_denies_its_exception_and_not_what_the_exception_shares() -> None:
    assert about_denied(SEED_LIKE, "Imatinib impaired IL-10 production by Treg.")
    assert about_denied(SEED_LIKE, "Imatinib did not impair TGF-beta production.")
    assert not about_denied(SEED_LIKE, "Imatinib impaired FoxP3 expression in Treg in vitro.")
    mice = "IL-33 improved survival after MI in wild-type but not in ST2(-/-) mice."
    assert about_denied(mice, "IL-33 improved survival in ST2(-/-) mice.")
    assert not about_denied(mice, "IL-33 improved survival in wild-type mice."), "mice are where both hold"
    assert not about_denied(PASSAGE, "The receptor was coexpressed with TRPV1 in sensory neurons.")
    slight = "Durations were slightly, but not significantly shorter in the anaesthesia group."
    assert about_denied(slight, "Durations were significantly shorter with anaesthesia.")
    assert not about_denied(slight, "Durations were shorter with anaesthesia.")
    assert has_negation("Imatinib did not impair IL-10 production.") and has_negation("IL-10 rose without change.")
    assert not has_negation("Imatinib impaired FoxP3 expression.")


def test_the_ruled_out_verdict_goes_to_not_found_and_nothing_else_moves() -> None:
    p = np.array([0.9, 0.06, 0.04])
    assert read_apart(SEED_LIKE, "Imatinib impaired IL-10 production by Treg.", p).tolist() == pytest.approx(
        [0.0, 0.06, 0.94]
    )
    assert read_apart(SEED_LIKE, "Imatinib did not impair IL-10 production.", p).tolist() == pytest.approx(
        [0.9, 0.0, 0.1]
    )
    assert read_apart(SEED_LIKE, "Imatinib impaired FoxP3 expression in Treg.", p) is p


@pytest.mark.skipif(not (DEFAULT_DIR / "model.safetensors").is_file(), reason="verifier weights absent")
def test_an_asserted_exception_is_not_supported_and_the_finding_still_is() -> None:
    """The weights alone support the exception asserted; read apart, it is not supported, and the finding still is."""
    sentences = split_text(PASSAGE)
    plain, verifier = ClaimVerifier(contrast=False), ClaimVerifier()
    for passage, reversal, finding in (
        (sentences, "The receptor was coexpressed with TRPA1 in sensory neurons.", "The receptor was coexpressed with "
         "TRPV1 in sensory neurons."),
        ([SEED_LIKE], "Imatinib impaired IL-10 production by Treg.", "Imatinib impaired FoxP3 expression in Treg."),
    ):  # fmt: skip
        assert plain.verify(reversal, passage).label == SUPPORTED, "the weights' own reading, which the rule corrects"
        assert verifier.verify(reversal, passage).label != SUPPORTED
        assert verifier.verify(finding, passage).label == SUPPORTED


def test_a_title_names_a_topic_and_contradicts_nothing() -> None:
    """An outside tester's JSONL record: its title line contradicted a faithful claim of the study (0.895)."""
    passage = [
        "Imiquimod cream in superficial basal cell carcinoma",
        "Imiquimod 5% cream applied five times weekly for 6 weeks cleared superficial basal cell carcinoma in 82% "
        "of lesions.",
        "Local skin reactions such as erythema were common.",
    ]
    claim = "Imiquimod 5% cream cleared superficial basal cell carcinoma in 82% of lesions."
    loose = ClaimVerifier(DEFAULT_DIR, headings=False).verify(claim, passage)
    assert loose.label == "contradicted" and loose.rationale == (0,), "the title alone said otherwise"
    verdict = ClaimVerifier(DEFAULT_DIR).verify(claim, passage)
    assert verdict.label != "contradicted" and 0 not in verdict.rationale
    changed = "Imiquimod 5% cream cleared superficial basal cell carcinoma in 28% of lesions."
    assert ClaimVerifier(DEFAULT_DIR).verify(changed, passage).label != SUPPORTED, "a sentence still decides"


def test_a_table_row_records_values_and_contradicts_nothing() -> None:
    """An outside tester's Markdown table: the row that says so contradicted "Rosuvastatin 40 mg lowered LDL by
    55%." (0.91), and so did the other drugs' rows. A row as ingest writes it states no finding."""
    rows = [
        "Drug: Atorvastatin; LDL reduction: 50%; Dose: 80 mg.",
        "Drug: Rosuvastatin; LDL reduction: 55%; Dose: 40 mg.",
    ]
    claim = "Rosuvastatin 40 mg lowered LDL by 55%."
    loose = ClaimVerifier(DEFAULT_DIR, headings=False).verify(claim, rows)
    assert loose.label == "contradicted", "read as statements, the rows contradicted it"
    assert ClaimVerifier(DEFAULT_DIR).verify(claim, rows).label != "contradicted"
    assert not_a_statement(rows[0]) and not not_a_statement("Results: imatinib reduced STAT3 activation in Treg.")
    structured = "Primary endpoint: no difference in mortality; secondary endpoint: bleeding doubled with apixaban."
    assert not not_a_statement(structured), "a structured sentence (its labels in lower case) states findings"
