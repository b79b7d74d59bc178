"""Abbreviations a question uses that its passages spell out without defining them (`answer.abbreviations`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.abbreviations import SpelledOut, letters_of
from assistant.answer.gate.answerability import known
from assistant.answer.terms import content_terms
from assistant.api import Assistant
from assistant.text.aliases import AliasMap, find_aliases
from assistant.text.lexicons import load_lexicons
from tests.conftest import make_settings

PASSAGES = [
    "The drug transforms cells known as dendritic cells into tumour killers that destroy its cells.",
    "Imiquimod activates special receptors known as toll-like receptors, and mast cells release CCL2.",
    "It is approved for chronic myelogenous leukemia and gastrointestinal stromal tumors.",
    "Imatinib, a selective inhibitor of a restricted number of tyrosine kinases, impaired Treg TCR-induced signaling.",
]


@pytest.mark.parametrize(
    ("word", "letters"),
    [
        *[("DCs", "dc"), ("TLR", "tlr"), ("GIST", "gist"), ("NK", "nk")],
        *[("Treg", None), ("IL-2", None), ("TLR7", None), ("II", None), ("XIV", None)],
    ],
)
def test_what_counts_as_an_abbreviation(word: str, letters: str | None) -> None:
    assert letters_of(word) == letters


@pytest.mark.parametrize(
    ("word", "long"),
    [("DCs", "dendritic cells"), ("TLR", "toll-like receptors"), ("GIST", "gastrointestinal stromal tumors")],
)
def test_the_passages_spell_the_long_form(word: str, long: str) -> None:
    assert SpelledOut.find(f"What do the {word} do here?", PASSAGES, AliasMap()).pairs == ((word, long),)


def test_a_loose_match_is_not_a_long_form() -> None:
    # Two words cannot spell three letters ("tumour killers", "tyrosine kinases" for TKI); nor does a run that starts
    # or ends with a function word, or one broken by punctuation, count.
    assert SpelledOut.find("Which TKI was used?", PASSAGES, AliasMap()).pairs == ()
    assert SpelledOut.find("What do CMs do?", ["chronic, myelogenous"], AliasMap()).pairs == ()
    assert SpelledOut.find("What does AT do?", ["a tumour"], AliasMap()).pairs == ()
    assert SpelledOut.find("WHAT DO DCS DO?", PASSAGES, AliasMap()).pairs == ()  # shouted, not abbreviated


def test_a_short_form_the_passages_write_or_the_corpus_defines_is_left_alone() -> None:
    # "TCR-induced" writes TCR; a defined alias already has its long form.
    assert SpelledOut.find("How does imatinib change TCR signals?", PASSAGES, AliasMap()).pairs == ()
    defined = AliasMap(find_aliases("in dendritic cells (DCs) of the skin"))
    assert SpelledOut.find("What do DCs do?", PASSAGES, defined).pairs == ()


def test_the_longest_run_then_the_most_frequent_wins() -> None:
    texts = ["dendritic cells here", "dendritic cells there", "direct contact once"]
    assert SpelledOut.find("Do DCs matter?", texts, AliasMap()).pairs == (("DCs", "dendritic cells"),)


def test_the_gate_and_the_overlap_read_the_long_form() -> None:
    spelled = SpelledOut.find("How do DCs kill tumour cells?", PASSAGES, AliasMap())
    expand = spelled.expand(str)
    found = content_terms(expand(PASSAGES[0]))
    assert known("dcs", found, expand)  # the question's term is held where the passage says "dendritic cells"
    assert not known("dcs", content_terms(PASSAGES[0]), str)
    assert spelled.written_out("How do DCs kill tumour cells?") == "How do dendritic cells kill tumour cells?"
    # A text that writes neither form is left as it was, and the English word "gist" is not the short form GIST.
    gist = SpelledOut.find("Is GIST treated?", PASSAGES, AliasMap()).expand(str)
    assert gist("the gist of it") == "the gist of it"
    assert "gastrointestinal stromal tumors" in gist("Is GIST treated?")


def test_no_abbreviation_leaves_the_aliases_as_they_are() -> None:
    aliases = AliasMap()
    assert SpelledOut.find("What does imatinib do?", PASSAGES, aliases).expand(aliases.expand) == aliases.expand


def test_a_real_answer_reads_an_abbreviation_its_passages_spell_out(seeded: Assistant, seeded_dir: Path) -> None:
    # The imiquimod article says "dendritic cells" and never "DCs": without the setting the gate counts DCs missing.
    question = "What do DCs turn into after imiquimod treatment?"
    off = Assistant(make_settings(seeded_dir, answer={"spell_abbreviations": False}), embedder=seeded.embedder)
    unread = off.ask(question)
    assert unread.refused and "(DCs)" in unread.refusal_reason
    spelled = seeded.ask(question)  # the default
    assert not spelled.refused, spelled.refusal_reason
    assert "dendritic cells" in spelled.sentences[0].text  # the sentence on what they become leads


DRUG_PASSAGES = [
    "Imatinib mesylate, a selective inhibitor of a restricted number of tyrosine kinases, is used in CML.",
    "Used at concentrations achieved clinically, imatinib mesylate impaired Treg immunosuppressive function.",
    "Imatinib reduced the activation of STAT3 and STAT5 in Treg.",
]


def test_a_drug_named_otherwise_is_read_as_the_passages_name_it() -> None:
    drugs = load_lexicons(["drugs"])
    question = "What class of enzyme does Glivec inhibit?"
    spelled = SpelledOut.find(question, DRUG_PASSAGES, AliasMap(), drugs)
    # The passages' most written name under the drug's key (imatinib mesylate twice, imatinib once).
    assert spelled.names == (("Glivec", "imatinib mesylate"),) and spelled.pairs == ()
    assert spelled.written_out(question) == "What class of enzyme does imatinib mesylate inhibit?"
    expand = spelled.expand(str)
    assert known("glivec", content_terms(expand(DRUG_PASSAGES[1])), expand)
    assert not known("glivec", content_terms(DRUG_PASSAGES[1]), str)
    # A brand name ends at a slash; the reverse reading holds too: a text writing Glivec gains the passages' name.
    assert SpelledOut.find("Gleevec/Treg paper?", DRUG_PASSAGES, AliasMap(), drugs).names == (
        ("Gleevec", "imatinib mesylate"),
    )
    assert "imatinib mesylate" in expand("Glivec was given.")


def test_a_name_the_passages_write_a_class_or_another_drug_is_left_alone() -> None:
    drugs = load_lexicons(["drugs"])
    for question in (
        "Does imatinib reduce STAT3?",  # written by the passages
        "Does nilotinib reduce STAT3?",  # another drug: no passage names it under any name
        "Does the tyrosine kinase inhibitor reduce STAT3?",  # a class, named by its members
    ):
        assert SpelledOut.find(question, DRUG_PASSAGES, AliasMap(), drugs).names == (), question
    assert SpelledOut.find("What does Glivec inhibit?", DRUG_PASSAGES, AliasMap()).names == ()  # no lexicon given


def test_a_gene_named_otherwise_is_read_as_the_passages_name_it() -> None:
    genes = load_lexicons(["genes"])
    question = "Which cells secrete MCP-1 when imiquimod is applied?"
    spelled = SpelledOut.find(question, PASSAGES, AliasMap(), genes)
    assert spelled.names == (("MCP-1", "ccl2"),)  # lower-cased, as a drug's name
    assert spelled.written_out(question) == "Which cells secrete ccl2 when imiquimod is applied?"
    # A gene no passage names under any name is left as asked.
    assert SpelledOut.find("Does imatinib reduce CD25?", PASSAGES, AliasMap(), genes).names == ()


def test_a_real_answer_reads_a_gene_as_its_passages_name_it(seeded: Assistant, seeded_dir: Path) -> None:
    """The imiquimod article writes CCL2, never SCYA2 (its previous symbol) or MCP-1."""
    unread = Assistant(make_settings(seeded_dir, answer={"lexicon_synonyms": False}), embedder=seeded.embedder)
    question = "Which immune cells release SCYA2 in response to imiquimod?"
    refused = unread.ask(question)
    assert refused.refused and "SCYA2" in refused.refusal_reason
    answer = seeded.ask(question)  # the default: genes among the name lexicons
    assert not answer.refused, answer.refusal_reason
    lead = answer.sentences[0].text
    assert "mast cells" in lead and "CCL2" in lead, lead


def test_a_real_answer_reads_a_brand_name_as_its_passages_name_the_drug(seeded: Assistant, seeded_dir: Path) -> None:
    # The imatinib paper names Gleevec once and never Glivec; the imiquimod article never names Aldara.
    off = Assistant(make_settings(seeded_dir, answer={"lexicon_synonyms": False}), embedder=seeded.embedder)
    for question, drug, finding in (
        ("Does Glivec impair the suppressive function of regulatory T cells?", "imatinib", "impaired"),
        ("How does Aldara activate dendritic cells?", "imi", "activates"),
    ):
        unread = off.ask(question)
        assert unread.refused and "missing names" in unread.refusal_reason, question
        read = seeded.ask(question)  # the default
        assert not read.refused, (question, read.refusal_reason)
        lead = read.sentences[0].text.lower()
        assert drug in lead and finding in lead, lead
    # A brand of a drug that no passage names under any name is still a missing name.
    other = seeded.ask("Does Nolvadex reduce Treg numbers?")
    assert other.refused and "missing names" in other.refusal_reason
