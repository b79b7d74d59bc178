"""General name lexicons: a drug's other names count as the drug where question terms meet passage terms."""

from __future__ import annotations

import gzip
import hashlib
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
from assistant.text.aliases import AliasMap, lexicon_names
from assistant.text.lexicons import (
    GENE_DATA,
    _DataOnly,
    disease_names,
    drug_names,
    gene_names,
    load_lexicons,
    names_a_class,
)
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


def test_disease_names_meet_under_their_heading() -> None:
    diseases = disease_names()
    assert diseases.key("basal cell carcinoma") == diseases.key("Basal Cell Carcinoma") == "carcinoma, basal cell"
    assert diseases.key("carcinoma, basal cell") is None, "an index entry is not looked up"
    assert diseases.key("melanoma") == "melanoma"
    assert diseases.key("cancer") is None, "general English is not looked up"
    # A plural heading is a class, which a passage may name by a member; an inverted heading's head is its first part.
    assert names_a_class(diseases.key("skin cancer") or "") and not names_a_class("carcinoma, basal cell")
    assert names_a_class("neoplasms, germ cell and embryonal") and not names_a_class("melanoma")


def test_gene_names_meet_under_their_symbol() -> None:
    genes = gene_names()
    # Alias, previous symbol and primary symbol; a CD identifier; a Greek letter spelled out; any case.
    assert genes.key("MCP-1") == genes.key("SCYA2") == genes.key("Ccl2") == "ccl2"
    assert genes.key("CD25") == genes.key("IL2RA") == "il2ra", "CD25 is IL2RA's identifier, an NCBI synonym of ISG20"
    assert genes.key("TNF-alpha") == genes.key("TNFSF2") == "tnf"
    assert genes.key("FoxP3") == genes.key("scurfin") == "foxp3"
    # Not looked up: three letters (prose writes ROS and TNF for other things too), a syndrome's symbol, a clone name.
    for name in ("TNF", "ROS", "IPEX", "FLJ23569", "mice", "cells"):
        assert genes.key(name) is None, name


def test_the_gene_lexicon_is_the_file_its_card_describes() -> None:
    card = (GENE_DATA.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert hashlib.sha256(GENE_DATA.read_bytes()).hexdigest() in card


def test_an_unreadable_gene_lexicon_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.text import lexicons

    for body in (b"not gzip", gzip.compress(b"[1, 2]"), None):
        path = tmp_path / "genes.json.gz"
        path.unlink(missing_ok=True)
        if body is not None:
            path.write_bytes(body)
        monkeypatch.setattr(lexicons, "GENE_DATA", path)
        with pytest.raises(InputError, match=r"genes\.json\.gz"):
            lexicons.gene_names.__wrapped__()


def test_common_words_and_index_entries_name_no_drug() -> None:
    drugs = drug_names()
    for word in ("caps", "diamonds", "sits", "mesylate, imatinib", "Treg", "cells"):
        assert drugs.key(word) is None, word


def test_expand_adds_the_key_once_and_the_verifier_reading_leaves_it_out() -> None:
    """`expand` adds a lexicon's key; `written_as` (the claim verifier's reading) writes no name as a key."""
    aliases = AliasMap([("imatinib mesylate", "STI571")], load_lexicons(["drugs"]))
    assert aliases.expand("What class of enzyme does Glivec inhibit?").endswith("(imatinib)")
    # "imatinib mesylate" is one name: its "mesylate" names no salt of its own; the key already there is not added.
    assert aliases.expand("Imatinib mesylate was given to mice") == "Imatinib mesylate was given to mice (STI571)"
    assert aliases.written_as("Glivec and Gleevec bind ABL.", "Imatinib binds ABL.") == "Glivec and Gleevec bind ABL."
    assert aliases.expand("Glivec and Gleevec") == "Glivec and Gleevec (imatinib)"


def test_a_term_is_known_under_its_key() -> None:
    aliases = AliasMap([], load_lexicons(["drugs"]))
    passage = content_terms(aliases.expand("Imatinib decreased Treg frequency."))
    assert known("glivec", passage, aliases.expand)
    assert not known("glivec", passage)  # without the lexicon's names it is not
    assert not known("metformin", passage, aliases.expand)


def test_an_unknown_lexicon_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown lexicon 'proteins'"):
        load_lexicons(["drugs", "proteins"])


def test_the_dictionary_reader_refuses_a_pickle_that_names_code() -> None:
    assert _DataOnly(pickle.dumps({"a": ["b"]})).load() == {"a": ["b"]}
    with pytest.raises(InputError, match=r"only plain data"):
        _DataOnly(pickle.dumps(Path("x"))).load()


def test_a_brand_name_no_seed_defines_finds_the_drugs_paper(seeded_dir: Path, embedder: Embedder) -> None:
    """The imatinib paper says "Gleevec" and "STI571", never "Glivec": the question's term is held only through
    the lexicon, and retrieval and the answer gate both read it so (the question's own reading of its drug names,
    `answer.lexicon_synonyms`, is off here: tests/test_abbreviations.py tests it)."""
    question = "What does Glivec do to the suppressive function of Tregs?"
    figures = {}
    for lexicons in ((), ("drugs",)):
        settings = make_settings(seeded_dir, retrieval={"lexicons": lexicons}, answer={"lexicon_synonyms": False})
        assistant = Assistant(settings, embedder=embedder)
        record: list[Figures] = []
        with recording(record):
            assistant.ask(question)
        figures[lexicons] = record[-1]
        if lexicons:
            assert assistant.retriever.retrieve(question)[0].document.source == IMATINIB
            assert "(imatinib)" in assistant.retriever.expand(question)
            # The answer guard reads the corpus's names only: "Glivec" is not written as a passage's "imatinib".
            rename = assistant.verifier.rename
            assert rename is not None and rename(question, "Imatinib impaired Treg function.") == question
    assert figures[("drugs",)].coverage > figures[()].coverage


def test_lexicon_names_are_the_runs_as_written() -> None:
    text = "Do dasatinib or Glivec act as imatinib mesylate does, or as a tyrosine kinase inhibitor?"
    drugs = load_lexicons(["drugs"])
    # A name under a plural key names a class of drugs ("tyrosine kinase inhibitors"): a passage may name a member.
    assert lexicon_names(text, drugs) == ["dasatinib", "Glivec", "imatinib mesylate"]
    assert drug_names().key("tyrosine kinase inhibitor") == "tyrosine kinase inhibitors"
    assert lexicon_names(text, ()) == []


QUESTIONS = ("Does dasatinib impair FoxP3 expression of Treg?", "Does Glivec impair FoxP3 expression?")


def test_a_drug_the_collection_never_names_is_a_missing_name(seeded_dir: Path, embedder: Embedder) -> None:
    """Nothing marks "dasatinib" or "Glivec" as a name (no digit, no capital inside): the lexicon does, so a
    question asking about dasatinib, which no passage names, has a missing name. The seeds never say "Glivec": it is
    held under its key, imatinib, where the retrieval lexicon adds the key to the passages, or where the question's
    drug names are read as its passages name them (`answer.lexicon_synonyms`, the default: its own row below)."""
    fired = {}
    for names in ((), ("drugs",)):
        for held in ((), ("drugs",)):
            answer: dict[str, object] = {"name_lexicons": names, "lexicon_synonyms": False}
            settings = make_settings(seeded_dir, answer=answer, retrieval={"lexicons": held})
            assistant = Assistant(settings, embedder=embedder)
            for question in QUESTIONS:
                record: list[Figures] = []
                with recording(record):
                    assistant.ask(question)
                fired[names, held, question] = "missing names" in record[-1].fired
    on = ("drugs",)
    assert {k for k, v in fired.items() if v} == {
        (on, (), QUESTIONS[0]),
        (on, on, QUESTIONS[0]),
        (on, (), QUESTIONS[1]),
    }
    defaults = Assistant(make_settings(seeded_dir), embedder=embedder)
    for question, missing in zip(QUESTIONS, (True, False), strict=True):
        read: list[Figures] = []
        with recording(read):
            defaults.ask(question)
        assert ("missing names" in read[-1].fired) is missing, question


def test_a_disease_the_collection_never_names_is_a_missing_name(seeded: Assistant, seeded_dir: Path) -> None:
    """The seeds name melanoma, never psoriasis: with the disease lexicon (a default), a question about psoriasis
    has a missing name and is refused for it; without it, nothing marks "psoriasis" as a name."""
    question = "Does imiquimod cure psoriasis?"
    refused = seeded.ask(question)
    assert refused.refused and "missing names" in refused.refusal_reason and "psoriasis" in refused.refusal_reason
    off = Assistant(make_settings(seeded_dir, answer={"name_lexicons": ("drugs", "genes")}), embedder=seeded.embedder)
    read: list[Figures] = []
    with recording(read):
        off.ask(question)
    assert "missing names" not in read[-1].fired
    # A disease the article names under the same heading ("malignant melanoma") is no missing name.
    named: list[Figures] = []
    with recording(named):
        answer = seeded.ask("How does imiquimod fight melanoma in mice?")
    assert "missing names" not in named[-1].fired and not answer.refused, answer.refusal_reason
