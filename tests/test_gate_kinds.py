"""The `other kind` veto (`assistant.answer.gate.kinds`): a question about one kind of a thing, whose passages state
it of the opposite kind only, is refused and says which word stood where; the same question of the kind the
passages state is answered."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.gate.kinds import other_kind
from assistant.api import Assistant

# Written for this test in an abstract's style.
TRIAL = (
    "Empagliflozin in chronic heart failure\n\n"
    "We randomly assigned 3730 patients with chronic heart failure with reduced ejection fraction to empagliflozin "
    "10 mg once daily or placebo. Over a median of 16 months, the primary outcome of cardiovascular death or "
    "hospitalization for worsening heart failure occurred in 19.4% of the empagliflozin group and 24.7% of the "
    "placebo group. These findings support the use of empagliflozin in heart failure with reduced ejection fraction "
    "regardless of diabetes status.\n"
)


def test_a_qualifier_whose_opposite_stands_in_its_place_is_another_kind() -> None:
    passages = [TRIAL]
    asked = "Does empagliflozin help heart failure with preserved ejection fraction?"
    assert other_kind(asked, passages) == [("preserved", "reduced")]
    assert other_kind("Does empagliflozin help heart failure with reduced ejection fraction?", passages) == []
    assert other_kind("Is empagliflozin safe in chronic kidney disease?", passages) == [], "no opposite in place"
    both = [TRIAL, "Outcomes in heart failure with preserved ejection fraction were not studied."]
    assert other_kind(asked, both) == [], "a passage holding the question's word answers for itself"
    assert other_kind("Was the effect seen in acute heart failure?", passages) == [("acute", "chronic")]
    assert other_kind("The level was high in the end.", ["The level was low in the end."]) == [], "no content word"


def test_a_question_about_the_other_kind_is_refused_and_says_why(fresh: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "empagliflozin.txt"
    path.write_text(TRIAL, encoding="utf-8")
    fresh.index([path])
    refused = fresh.ask("Does empagliflozin help heart failure with preserved ejection fraction?")
    assert refused.refused and refused.refusal_reason.startswith("other kind")
    assert "'reduced' where the question says 'preserved'" in refused.refusal_reason
    answered = fresh.ask("Does empagliflozin help heart failure with reduced ejection fraction?")
    assert not answered.refused and "empagliflozin" in answered.text.lower()
