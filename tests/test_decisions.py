"""The yes/no decision measured on PubMedQA (`evaluation.decisions`): which sentence decides a whether-question, and
what it decides."""

from __future__ import annotations

import pytest

from assistant.answer.verifier.model import ClaimVerifier
from assistant.api import Assistant
from assistant.evaluation.decisions import DecisionRun, claim_of, lead_with_decision, predicted
from assistant.models import AnswerSentence


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("Does imatinib block IL-10 production?", "Imatinib block IL-10 production."),
        ("is imiquimod applied as a cream", "Imiquimod applied as a cream."),
        ("  Were mice used?  ", "Mice used."),
        ("What does imatinib do to Treg?", None),  # a wh-question
        ("How does imiquimod act?", None),
        ("Was the work done in patients or in rodents?", None),  # a choice, not yes or no
        ("Is it?", None),  # nothing to judge
    ],
)
def test_claim_of_reads_only_yes_no_questions(question: str, claim: str | None) -> None:
    assert claim_of(question) == claim


@pytest.fixture(scope="module")
def verifier() -> ClaimVerifier:
    return ClaimVerifier()


def test_the_deciding_sentence_leads_whatever_its_place(verifier: ClaimVerifier) -> None:
    context = AnswerSentence("The study was carried out in mice at a university hospital in Vienna.", (1,), True)
    deciding = AnswerSentence(
        "Imatinib significantly reduced the activation of the transcription factors STAT3 and STAT5 in Treg.",
        (2,),
        True,
    )
    ordered, decision = lead_with_decision(
        verifier, "Does imatinib increase STAT3 activation in Treg?", [context, deciding]
    )
    assert decision is not None and decision.verdict == "no" and ordered == [deciding, context]
    assert decision.claim == "Imatinib increase STAT3 activation in Treg." and 0.0 < decision.probability <= 1.0
    same, none = lead_with_decision(verifier, "What does imatinib do to STAT3?", [context, deciding])
    assert none is None and same == [context, deciding], "other questions keep their order and get no decision"


def test_unsupported_sentences_decide_nothing(verifier: ClaimVerifier) -> None:
    flagged = AnswerSentence("Imatinib significantly reduced STAT3 activation in Treg.", (1,), False)
    ordered, decision = lead_with_decision(verifier, "Does imatinib reduce STAT3 activation in Treg?", [flagged])
    assert decision is None and ordered == [flagged]


def test_a_seed_answer_is_decided_for_the_benchmark(seeded: Assistant) -> None:
    answer = seeded.ask("Does imatinib block IL-10 production?")
    assert not answer.refused
    # The abstract says Treg function was impaired "but not production of IL-10": never a yes. The stage-1 verifier
    # read it as a no; the shipped stage-4 one finds no decision (maybe): a miss reported in the model card.
    assert predicted(seeded, answer) in ("no", "maybe"), "the abstract says IL-10 production was not impaired"
    assert predicted(seeded, seeded.ask("what does imatinib do to regulatory T cells")) == "maybe", "not yes/no"


def test_decision_metrics_count_undecided_as_maybe() -> None:
    run = DecisionRun("t", (("yes", "yes"), ("no", "maybe"), ("maybe", "maybe"), ("yes", "no")))
    m = run.metrics()
    assert m["accuracy"] == 0.5 and m["majority_baseline"] == 0.5
    assert m["decided_share"] == 0.5 and m["decided_accuracy"] == 0.5
    assert run.confusion()["yes"] == {"yes": 1, "no": 1, "maybe": 0}
