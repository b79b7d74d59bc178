"""Refusal of near-miss questions and alias-aware retrieval, on the real seeded index."""

from __future__ import annotations

import pytest

from assistant.aliases import AliasMap, find_aliases
from assistant.answerability import judge
from assistant.api import Assistant
from assistant.prompts import REFUSAL_PHRASE
from tests.conftest import IMATINIB, IMIQUIMOD


def test_definitions_and_synonym_lists_are_found() -> None:
    text = (
        "Imatinib mesylate (Gleevec, STI571), a kinase inhibitor. Effects of Imiquimod (Imi) on cells. "
        "CD4+ regulatory T cells (Treg) and natural killer (NK) cells were studied in vitro (in mice)."
    )
    pairs = set(find_aliases(text))
    assert {("Imatinib mesylate", "Gleevec"), ("Imatinib mesylate", "STI571"), ("Imiquimod", "Imi")} <= pairs
    assert ("regulatory T cells", "Treg") in pairs and ("natural killer", "NK") in pairs
    assert not any(short == "in mice" for _, short in pairs)
    aliases = AliasMap(pairs)
    assert "Imatinib mesylate" in aliases.expand("what does STI571 do")
    assert "Gleevec" in aliases.names("imatinib mesylate")
    assert aliases.expand("nothing to expand here") == "nothing to expand here"


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("what does Gleevec do to regulatory cells", IMATINIB),
        ("what does STI571 do to Treg", IMATINIB),
        ("how does Imi act on mast cells", IMIQUIMOD),
    ],
)
def test_a_question_using_only_an_alias_retrieves_the_right_seed_first(
    seeded: Assistant, question: str, source: str
) -> None:
    assert seeded.retriever.retrieve(question)[0].document.source == source
    ans = seeded.ask(question)
    assert not ans.refused and ans.citations[0].source == source


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("How does imatinib affect IL-2 production by regulatory T cells?", "missing names"),
        ("Which toll-like receptor, such as TLR7, does imiquimod bind?", "missing names"),
        ("How many mice were used in the imiquimod melanoma experiments?", "no quantity"),
        ("What micromolar concentration of imatinib was used on Treg in vitro?", "no quantity"),
        ("Which regulatory agency approved imiquimod, and in which year?", "no date"),
        ("What effect does imiquimod have on regulatory T cells?", "not together"),
        ("Does imatinib inhibit mast cells?", "not together"),
    ],
)
def test_near_miss_questions_are_refused_for_a_stated_reason(seeded: Assistant, question: str, reason: str) -> None:
    passages = seeded.retriever.retrieve(question)
    expand = seeded.retriever.aliases.expand
    candidates = seeded.answerer.candidates(question, passages, expand)
    drafts, _ = seeded.answerer.draft(candidates, passages)
    verdict = judge(question, passages, [d.text for d in drafts], candidates[0].score, seeded.settings.answer, expand)
    assert reason in verdict.reasons
    ans = seeded.ask(question)
    assert ans.refused and ans.text.startswith(REFUSAL_PHRASE) and ans.nearest


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("does imatinib block IL-10 production?", "IL-10"),
        ("What do mast cells release when imiquimod activates them?", "CCL2"),
        ("Were mice used in both the imiquimod and the imatinib studies?", "imatinib treatment of mice"),
    ],
)
def test_answerable_questions_with_the_same_words_are_answered(seeded: Assistant, question: str, needle: str) -> None:
    ans = seeded.ask(question)
    assert not ans.refused
    assert needle in ans.text
