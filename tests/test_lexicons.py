"""General name lexicons: a drug's other names count as the drug where question terms meet passage terms."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from assistant.answer.gate.answerability import known
from assistant.answer.gate.figures import Figures
from assistant.answer.terms import content_terms
from assistant.api import Assistant
from assistant.errors import InputError
from assistant.evaluation.gate_tuning import recording
from assistant.store.embeddings import Embedder
from assistant.text.aliases import AliasMap
from assistant.text.lexicons import _DataOnly, drug_names, load_lexicons
from tests.conftest import IMATINIB, make_settings


def test_brand_generic_and_salt_names_share_one_key() -> None:
    drugs = drug_names()
    # Glivec is listed under imatinib mesylate, Gleevec under imatinib: the salt form joins the drug.
    assert drugs.key("Glivec") == drugs.key("gleevec") == drugs.key("Imatinib mesylate") == "imatinib"
    assert drugs.key("Aldara") == "imiquimod"
    assert drugs.key("Glucophage") == "metformin"
    assert drugs.key("5-FU") == "fluorouracil"


def test_only_a_salt_joins_its_drug() -> None:
    """ATP is not adenosine, an enzyme is not its substrate, a mineral salt is not its cation."""
    drugs = drug_names()
    assert drugs.key("metformin hydrochloride") == drugs.key("Glucophage") == "metformin"
    assert drugs.key("adenosine triphosphate") not in (None, "adenosine")
    assert drugs.key("calcium carbonate") not in (None, "calcium")
    assert drugs.key("choline kinase") != "choline"


def test_common_words_and_index_entries_name_no_drug() -> None:
    drugs = drug_names()
    for word in ("caps", "diamonds", "sits", "mesylate, imatinib", "Treg", "cells"):
        assert drugs.key(word) is None, word


def test_expand_adds_the_key_once_and_the_verifier_reading_leaves_it_out() -> None:
    aliases = AliasMap([("imatinib mesylate", "STI571")], load_lexicons(["drugs"]))
    assert aliases.expand("What class of enzyme does Glivec inhibit?").endswith("(imatinib)")
    # "imatinib mesylate" is one name: its "mesylate" names no salt of its own; the key already there is not added.
    assert aliases.expand("Imatinib mesylate was given to mice") == "Imatinib mesylate was given to mice (STI571)"
    assert aliases.expand_corpus("Glivec and Gleevec") == "Glivec and Gleevec"
    assert aliases.expand("Glivec and Gleevec") == "Glivec and Gleevec (imatinib)"


def test_a_term_is_known_under_its_key() -> None:
    aliases = AliasMap([], load_lexicons(["drugs"]))
    passage = content_terms(aliases.expand("Imatinib decreased Treg frequency."))
    assert known("glivec", passage, aliases.expand)
    assert not known("glivec", passage)  # without the lexicon's names it is not
    assert not known("metformin", passage, aliases.expand)


def test_an_unknown_lexicon_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown lexicon 'genes'"):
        load_lexicons(["drugs", "genes"])


def test_the_dictionary_reader_refuses_a_pickle_that_names_code() -> None:
    assert _DataOnly(pickle.dumps({"a": ["b"]})).load() == {"a": ["b"]}
    with pytest.raises(InputError, match=r"only plain data"):
        _DataOnly(pickle.dumps(Path("x"))).load()


def test_a_brand_name_no_seed_defines_finds_the_drugs_paper(seeded_dir: Path, embedder: Embedder) -> None:
    """The imatinib paper says "Gleevec" and "STI571", never "Glivec": the question's term is held only through
    the lexicon, and retrieval and the answer gate both read it so."""
    question = "What does Glivec do to the suppressive function of Tregs?"
    figures = {}
    for lexicons in ((), ("drugs",)):
        settings = make_settings(seeded_dir, retrieval={"lexicons": lexicons})
        assistant = Assistant(settings, embedder=embedder)
        record: list[Figures] = []
        with recording(record):
            assistant.ask(question)
        figures[lexicons] = record[-1]
        if lexicons:
            assert assistant.retriever.retrieve(question)[0].document.source == IMATINIB
            assert "(imatinib)" in assistant.retriever.expand(question)
            assert assistant.verifier.expand(question) == question  # the claim verifier reads the corpus's only
    assert figures[("drugs",)].coverage > figures[()].coverage
