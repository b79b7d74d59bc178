"""Parts of sentences as faithful training pairs (`paraphrase.part`), and the stage that adds them leaving the draws
of the stages before it as they were."""

from __future__ import annotations

import random

import pytest

from assistant.answer.verifier.entities import EntityLexicon
from assistant.answer.verifier.model import LABELS
from assistant.answer.verifier.paraphrase import part
from assistant.answer.verifier.perturb import TRAIN_CLAUSES
from assistant.answer.verifier.synthetic import Changer, Doc, training_pairs


@pytest.mark.parametrize(
    ("sentence", "parts"),
    [
        ("During that period, the drug, which is administered as a skin cream, has proven to be an effective therapy.",
         {"The drug is administered as a skin cream.",
          "During that period, the drug has proven to be an effective therapy."}),
        ("Imatinib impaired Treg immunosuppressive function and FoxP3 expression, but not production of IL-10.",
         {"Imatinib impaired Treg immunosuppressive function and FoxP3 expression."}),
        ("Although imatinib did not change Treg numbers in vitro, it reduced their suppressive activity in co-culture.",
         {"It reduced their suppressive activity in co-culture."}),
        ("Serum levels of the drug rose in 40% of patients, suggesting that it accumulates in the liver over time.",
         {"Serum levels of the drug rose in 40% of patients."}),
        ("Despite expanded eWAT, mRNA levels of collagen fell in transgenic animals fed a high-fat diet.",
         {"mRNA levels of collagen fell in transgenic animals fed a high-fat diet."}),
    ],
)  # fmt: skip
def test_a_part_is_what_the_whole_sentence_entails(sentence: str, parts: set[str]) -> None:
    made = {part(sentence, random.Random(seed)) for seed in range(12)}
    assert made == parts


@pytest.mark.parametrize(
    "sentence",
    [
        "If patients received the drug, serum levels rose in most of them over the following weeks.",  # a condition
        "The values were 5 and 6 mg, respectively, while the controls stayed near 2 mg in both groups.",
        "We developed organoids that develop various discrete, although interdependent, brain regions in culture.",
        "Imatinib reduced the activation of STAT3 and STAT5 in regulatory T cells of treated mice.",  # one clause
        "Short, which is rare.",  # too short to stand alone
    ],
)
def test_no_part_where_the_whole_does_not_entail_one(sentence: str) -> None:
    assert part(sentence, random.Random(0)) is None


def test_parts_join_the_training_pairs_only_with_a_share() -> None:
    """Stages 1-4 were drawn before parts existed: without a share none is drawn (nor any random number for one);
    with a share, parts are supported pairs and parts with a fact changed are not."""
    docs = [
        Doc("1", ["Imatinib, which is a kinase inhibitor, reduced Treg function in mice treated for ten days.",
                  "Although Treg numbers were unchanged, their FoxP3 expression fell in every treated group.",
                  "The drug increased interferon gamma production by CD8 T cells, suggesting a broader effect.",
                  "Mast cells released CCL2 after imiquimod was applied to the skin of tumour-bearing mice."]),
        Doc("2", ["Metformin lowered HbA1c by 1.2% over 24 weeks in this cohort of 412 adult patients.",
                  "Aerobic training for twelve weeks improved flow-mediated dilation in the brachial artery.",
                  "The effect was larger in women than in men, whereas age did not modify it at all.",
                  "Patients with severe kidney disease were excluded from the trial before randomisation."]),
    ]  # fmt: skip
    lexicon = EntityLexicon(d.text for d in docs)
    pool = [s for d in docs for s in d.sentences]
    plain = training_pairs(docs, Changer(lexicon, TRAIN_CLAUSES, pool), 80, random.Random(5))
    assert not {p.kind for p in plain} & {"part", "part_changed"}
    mixed = training_pairs(docs, Changer(lexicon, TRAIN_CLAUSES, pool), 120, random.Random(5), 1.0)
    parts = [p for p in mixed if p.kind == "part"]
    assert parts and all(LABELS[p.label] == "supported" for p in parts)
    changed = [p for p in mixed if p.kind == "part_changed"]
    assert changed and all(LABELS[p.label] != "supported" for p in changed)
    single = [p for p in changed if p.premise in pool and "not" not in p.hypothesis.split()]  # not a window
    assert any(len(p.hypothesis.split()) < len(p.premise.split()) - 3 for p in single), "no change from a part"
