"""A claim check of manuscript text, as a review found it wanting: list and citation markers are not part of the
claim ("(1) ..." and "[1]" turned a supported sentence into a contradiction), a question and a heading state nothing
to check and control characters never reach the terminal."""

from __future__ import annotations

import pytest

from assistant.answer.claims import check_text, claim_of
from assistant.api import Assistant
from tests.test_claim_check import FAITHFUL_IMATINIB

MARKED = [
    f"1) {FAITHFUL_IMATINIB}",
    f"(1) {FAITHFUL_IMATINIB}",
    f"a) {FAITHFUL_IMATINIB}",
    f"- {FAITHFUL_IMATINIB}",
    FAITHFUL_IMATINIB.replace(" in Treg.", " in Treg [1]."),
    FAITHFUL_IMATINIB.replace(" in Treg.", " in Treg [2, 5-7]."),
    FAITHFUL_IMATINIB.replace(" in Treg.", " in Treg (ref. 12)."),
    FAITHFUL_IMATINIB.replace(" in Treg.", " in Treg (Larmonier et al., 2008; Wu 2010)."),
]


@pytest.mark.parametrize("written", MARKED)
def test_a_marker_is_no_part_of_the_claim(written: str) -> None:
    assert claim_of(written) == FAITHFUL_IMATINIB


def test_a_marked_sentence_gets_the_verdict_of_its_claim(seeded: Assistant) -> None:
    bare = seeded.check(FAITHFUL_IMATINIB).sentences[0]
    assert bare.verdict == "supported"
    report = seeded.check("\n".join(MARKED))
    assert [s.sentence for s in report.sentences] == MARKED, "shown as written"
    assert [s.verdict for s in report.sentences] == ["supported"] * len(MARKED)


def test_what_states_nothing_is_not_checked_and_controls_are_dropped() -> None:
    text = f"Results.\nDoes imatinib impair Treg function? {FAITHFUL_IMATINIB[:-1]} \x1b[31mtoday\x07."
    (sentence,) = check_text(text, 20_000)
    assert "\x1b" not in sentence and "\x07" not in sentence and sentence.startswith(FAITHFUL_IMATINIB[:-1])
    assert claim_of("A. fumigatus infects the lung (2 of 5 mice).") == "A. fumigatus infects the lung (2 of 5 mice)."
