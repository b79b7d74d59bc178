"""Hard-wrapped text: a line break inside a wrapped paragraph is no sentence end. A wrapped abstract was indexed,
quoted and checked as fragments ("Dasatinib reduced regulatory" / "T cell frequency in peripheral blood.", the
second called supported where the paper says the reverse)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assistant.answer.claims import check_text
from assistant.api import Assistant
from assistant.ingest.documents.loading import load_document
from assistant.ingest.documents.markdown import markdown_to_text
from assistant.text.hyphens import keeps_hyphen
from assistant.text.sentences import split_sentences
from assistant.text.wrapping import unwrap

ABSTRACT = (
    "In 77 patients with membranous nephropathy, rituximab induced complete or partial remission in 60% of "
    "patients at 24 months, compared with 20% of patients given cyclosporine. Rituximab did not increase the rate "
    "of serious adverse events. Dasatinib reduced regulatory T cell frequency in peripheral blood of the treated "
    "patients, and the immuno-suppressive effect lasted for months."
)


def _sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in split_sentences(text)]


@pytest.mark.parametrize("width", [50, 72, 80, 100])
def test_a_wrapped_paragraph_comes_back_whole_under_its_title(width: int) -> None:
    wrapped = textwrap.fill(ABSTRACT, width, break_on_hyphens=False)
    for gap in ("\n", "\n\n"):
        text = "Rituximab in membranous nephropathy" + gap + wrapped
        assert _sentences(unwrap(text)) == ["Rituximab in membranous nephropathy", *_sentences(ABSTRACT)]
        assert _sentences(text) != _sentences(unwrap(text)), "the wrapped text was split at its line breaks"


def test_deliberate_breaks_stay() -> None:
    one_per_line = "\n".join(_sentences(ABSTRACT))  # lines longer than a wrap, as editors save text
    assert unwrap(one_per_line) == one_per_line
    listed = "Adverse events seen in the trial were the following ones in total:\n- nausea in 12 of the 77\n- rash"
    assert unwrap(listed) == listed
    heading = "Rituximab in membranous nephropathy: a randomised trial\nSmith J, Jones K, Brown L, Okafor N"
    assert unwrap(heading) == heading, "a title above an author line is two lines too"
    hard = "First line of an address, ended on purpose  \nand the second line of it written on its own"
    assert unwrap(hard) == hard, "two trailing spaces: a hard break"
    sentence = (
        "Long-term treatment of the enrolled patients had a strong immuno-suppressive effect on the regulatory T "
        "cells of most of them in the trial."
    )
    broken = textwrap.fill(sentence, 70)  # broken at the hyphen
    assert "immuno-\nsuppressive" in broken
    assert unwrap(broken) == sentence.replace("immuno-", "immuno"), "no word of its own before the hyphen"
    printed = " The immuno-suppressive effect lasted."
    assert unwrap(broken + printed) == sentence + printed, "a hyphen the text prints elsewhere stays"


def test_a_word_broken_at_a_line_end_hyphen_is_joined_as_the_text_writes_it() -> None:
    """Hyphenation ("gluconeo-" / "genesis", "Metfor-" / "min") is undone; a hyphen between two words
    ("anti-inflammatory") stays. An outside tester's wrapped text kept "Metfor-min", and the claim "Metformin
    activated AMPK" was then not found."""
    text = (
        "Metformin lowers fasting glucose mainly by reducing hepatic gluconeo-\n"
        "genesis in patients. Metformin also activated AMPK in the liver and hepato-\n"
        "cytes, and its effect was strong while the anti-\n"
        "inflammatory action of the drug was weak in all the studies done. Metfor-\n"
        "min was given for twelve weeks to every patient of the cohort we studied."
    )
    joined = unwrap(text)
    for word in ("gluconeogenesis", "hepatocytes", "anti-inflammatory", "Metformin was given"):
        assert word in joined
    assert "\n" not in joined


def test_a_first_line_ending_on_a_preposition_is_no_title() -> None:
    """A run's first line may be a title and is joined only where the next word would not have fitted; one that
    ends on "of" or "the" leaves its phrase open and goes on ("... in HbA1c of" / "1.1 percentage points")."""
    text = (
        "Patients treated for twelve weeks had a mean reduction in HbA1c of\n"
        "1.1 percentage points compared with placebo. Gastrointestinal side\n"
        "effects were the most common adverse events in the trial."
    )
    assert unwrap(text) == " ".join(text.split())
    titled = "Metformin and the risk of gastric cancer in T2D\n" + textwrap.fill(ABSTRACT, 50)
    assert unwrap(titled).split("\n")[0] == "Metformin and the risk of gastric cancer in T2D"


def test_the_claim_check_reads_a_pasted_wrapped_paragraph_as_sentences() -> None:
    said = [
        "In the dasatinib arm, the drug reduced regulatory T cell frequency in peripheral blood.",
        "Rituximab did not increase the rate of serious adverse events in the 77 patients.",
    ]
    pasted = textwrap.fill(" ".join(said), 60)
    assert pasted.count("\n") >= 2
    assert check_text(pasted, 20_000) == said
    two = "Dasatinib, given for three months, reduced regulatory\nT cell frequency in the blood."
    assert check_text(two, 20_000) == [" ".join(two.split())], "a wrapped sentence's last line"


def test_markdown_soft_line_breaks_join_their_paragraph() -> None:
    text, title = markdown_to_text(
        "# Metformin and gastric cancer\n\nMetformin use was associated with a lower\n"
        "risk of gastric cancer in T2D.\n\n- a first item that\n  goes on here\n- a second item\n\n"
        "A hard break  \nstays a break."
    )
    lines = [line for line in text.split("\n") if line.strip()]
    assert title == "Metformin and gastric cancer"
    assert "Metformin use was associated with a lower risk of gastric cancer in T2D." in lines
    assert "- a first item that goes on here" in lines and "- a second item" in lines
    assert "A hard break" in lines[-2] and lines[-1] == "stays a break."


def test_a_wrapped_text_file_is_indexed_and_answered_in_whole_sentences(fresh: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "wrapped.txt"
    path.write_text("Rituximab in membranous nephropathy\n\n" + textwrap.fill(ABSTRACT, 80) + "\n", encoding="utf-8")
    document = load_document(path)
    assert "rituximab induced complete or partial remission in 60% of patients at 24 months" in document.text
    fresh.index([path])
    answer = fresh.ask("how effective is rituximab in membranous nephropathy compared with cyclosporine?")
    assert not answer.refused
    assert "60% of patients at 24 months, compared with 20% of patients given cyclosporine" in answer.text


def test_a_paragraph_of_many_thousand_lines_is_joined_whole() -> None:
    """Each line out is built once from its pieces: joining by concatenation took 32 s for 10,000 wrapped lines
    (quadratic), and a 4 MB Markdown paragraph a minute; here 60,000 lines (3 MB) come back as one."""
    line = "The regulatory T cells were counted in every sample of the cohort"
    lines = [line] * 60_000
    assert unwrap("\n".join(lines)) == " ".join(lines)
    text, _ = markdown_to_text("\n".join(lines))
    assert text == " ".join(lines)


def test_a_compound_broken_at_its_own_hyphen_keeps_it() -> None:
    """A review's finding: text wrapped by `textwrap` (which breaks at hyphens) came back "TNFinduced" and
    "caspaseindependent". A name before the hyphen, or a word that ends compounds after it, keeps the hyphen;
    closed prefixes and syllables do not ("re-" / "current", "in-" / "activation")."""
    for head, tail in [("TNF", "induced"), ("caspase", "independent"), ("BRCA", "mutated"), ("placebo", "controlled"),
                       ("NF-kappaB", "driven"), ("anti", "inflammatory"), ("co", "receptor")]:  # fmt: skip
        word = f"{head}-{tail}"
        assert keeps_hyphen(head.split("-")[-1], tail, set()), word
    for head, tail in [("gluconeo", "genesis"), ("Metfor", "min"), ("ef", "fects"), ("re", "current"),
                       ("in", "activation"), ("un", "treated"), ("of", "ten")]:  # fmt: skip
        assert not keeps_hyphen(head, tail, set()), f"{head}-{tail}"
    assert keeps_hyphen("immuno", "suppressive", {"immuno-suppressive"}), "printed so elsewhere"
    assert not keeps_hyphen("dose", "dependent", {"dosedependent"}), "printed joined elsewhere"
    text = textwrap.fill("In the treated mice the TNF-induced and caspase-independent death of hepatocytes " * 3, 60)
    assert "TNFinduced" not in unwrap(text) and "caspaseindependent" not in unwrap(text)
