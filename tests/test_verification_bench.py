"""The verification benchmark's rows and table, on predictions made up for the test (no model)."""

from __future__ import annotations

from assistant.answer.verifier.bench import called_row, guarded, perturbation_row, scifact_row, table
from assistant.answer.verifier.synthetic import Probe

PASSAGE = ("Drug A lowered blood pressure.", "It was well tolerated.")


def _probe(label: str, kind: str, rationale: tuple[int, ...] = ()) -> Probe:
    return Probe("Drug A lowered blood pressure.", PASSAGE, label, kind, rationale=rationale)


def test_the_answer_guard_needs_both_checks_to_support() -> None:
    assert guarded(("supported", (0,)), ("supported", (0,))) == ("supported", (0,))
    assert guarded(("supported", (0,)), ("not_found", ())) == ("not_found", ())
    assert guarded(("contradicted", (1,)), ("supported", (1,))) == ("contradicted", (1,))
    assert guarded(("not_found", ()), ("supported", (0,))) == ("not_found", ())


def test_rows_count_what_was_caught_and_kept() -> None:
    items = [_probe("supported", "paraphrase"), _probe("supported", "paraphrase"), _probe("contradicted", "direction"),
             _probe("not_found", "entity")]  # fmt: skip
    predictions = [("supported", (0,)), ("not_found", ()), ("supported", (0,)), ("not_found", ())]
    row = perturbation_row(items, predictions)
    assert row["paraphrase_kept"] == 0.5
    assert row["caught:direction"] == 0.0 and row["caught:entity"] == 1.0
    assert row["caught:all"] == 0.5 and row["items"] == 4

    claims = [_probe("supported", "scifact", (0,)), _probe("contradicted", "scifact", (0, 1)),
              _probe("not_found", "scifact")]  # fmt: skip
    sci = scifact_row(claims, [("supported", (0,)), ("supported", (1,)), ("not_found", ())])
    assert sci["precision_supported"] == 0.5 and sci["recall_supported"] == 1.0
    assert sci["rationale_recall"] == 2 / 3


def test_the_table_shows_the_guard_beside_both_checks() -> None:
    row = {"caught:all": 0.9, "paraphrase_kept": 0.6, "items": 10}
    report = {
        "rows": {"perturbation": {"new": row, "old": row | {"caught:all": 0.5}, "guard": row | {"caught:all": 0.95},
                                  "ms_per_pair": {"new": 12.0, "old": 8.0}, "units_per_pair": 1.5}},
        "latency": {"answer_4_sentences_ms": 80.0, "check_50_sentences_s": 7.5},
    }  # fmt: skip
    text = table(report)
    assert "| perturbation | caught:all | 0.900 | 0.500 | 0.950 |" in text
    assert "answer guard (both)" in text and "| 7.5 |" in text


def test_a_rewording_row_keeps_faithful_kinds_out_of_caught() -> None:
    items = [_probe("supported", "reword"), _probe("supported", "reword"), _probe("contradicted", "reword_opposite")]
    row = perturbation_row(items, [("supported", (0,)), ("contradicted", (0,)), ("contradicted", (0,))])
    assert "caught:reword" not in row
    assert row["paraphrase_kept"] == 0.5 and row["caught:reword_opposite"] == 1.0 and row["caught:all"] == 1.0


def test_an_across_row_counts_each_verdict_without_a_right_one() -> None:
    items = [_probe("not_found", "reword_across") for _ in range(4)]
    said = [("supported", (0,)), ("contradicted", (0,)), ("not_found", ()), ("not_found", ())]
    row = called_row(items, said)
    assert row == {"called:supported": 0.25, "called:contradicted": 0.25, "called:not_found": 0.5, "items": 4}
