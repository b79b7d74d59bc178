"""`AliasMap.written_as`: a sentence's names written as a passage writes them, for the claim verifier."""

from __future__ import annotations

from assistant.text.aliases import AliasMap, find_aliases

DOC = (
    "Regulatory T cells (Treg) restrain immunity. Imatinib mesylate (Gleevec, STI571) is a kinase inhibitor. "
    "Dendritic cells (DCs) present antigen. Odds ratios (OR) were computed."
)
ALIASES = AliasMap(find_aliases(DOC))


def test_a_name_the_passage_says_otherwise_is_written_its_way() -> None:
    unit = "Imatinib impaired Treg function and FoxP3 expression."
    said = "Imatinib reduces FoxP3 in regulatory T cells."
    assert ALIASES.written_as(said, unit) == "Imatinib reduces FoxP3 in Treg."
    assert ALIASES.written_as("STI571 blocks DCs.", "Imatinib mesylate blocked dendritic cells.") == (
        "Imatinib mesylate blocks dendritic cells."
    )
    # A long form keeps the passage's case; a short form is matched with its own case only ("or" is no OR).
    assert ALIASES.written_as("DCs matter.", "Dendritic cells were counted.") == "Dendritic cells matter."
    assert ALIASES.written_as("Odds ratios or risks.", "The OR was 2.") == "OR or risks."


def test_a_name_the_passage_says_itself_or_not_at_all_is_left_alone() -> None:
    sentence = "Regulatory T cells and Treg differ."
    assert ALIASES.written_as(sentence, "Treg and regulatory T cells were sorted.") == sentence
    assert ALIASES.written_as(sentence, "Treg were sorted.") == sentence  # about the two names
    assert ALIASES.written_as("Treg is short for regulatory T cells.", "Treg rose.") == (
        "Treg is short for regulatory T cells."
    )
    assert ALIASES.written_as("Gleevec binds ABL.", "Imatinib binds ABL.") == "Gleevec binds ABL."
    assert ALIASES.written_as("Nothing named here.", "Treg.") == "Nothing named here."
    assert AliasMap().written_as("Treg rise.", "regulatory T cells rose.") == "Treg rise."


def test_a_run_of_letters_is_no_long_form_and_hides_no_definition_after_it() -> None:
    """Words of 40 letters at most make a long form; a longer run is not one (bench/markup.py times such runs)."""
    run = "W" * 5000
    assert find_aliases(f"{run} (QB) binds.") == []
    assert find_aliases(f"{run} end. Regulatory T cells (Treg) fell.") == [("Regulatory T cells", "Treg")]
    assert find_aliases("In mice, Imiquimod (Imi) acts.") == [("Imiquimod", "Imi")]
