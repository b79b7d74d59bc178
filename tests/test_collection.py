"""How the library-growth check compares two passes over the same questions (`evaluation.collection.unchanged`)."""

from __future__ import annotations

from assistant.evaluation.collection import CollectionRun, unchanged


def _run(texts: dict[str, str], decisions: dict[str, tuple[bool, tuple[str, ...]]]) -> CollectionRun:
    return CollectionRun("run", ("a",), ("b", "c", "d"), frozenset(), texts, decisions)


def test_a_refusal_listing_other_nearest_passages_keeps_its_decision_not_its_text() -> None:
    before = _run(
        {"a": "no answer; nearest [1] x", "b": "answer [1]", "c": "answer [1]", "d": "other [1]"},
        {"a": (True, ()), "b": (False, ("p2",)), "c": (False, ("p3",)), "d": (False, ("p4",))},
    )
    after = _run(
        {"a": "no answer; nearest [1] y", "b": "answer [1]", "c": "answer [1]", "d": "no answer"},
        # a: the nearest passage changed; c: the same text citing another document; d: now refused.
        {"a": (True, ()), "b": (False, ("p2",)), "c": (False, ("p9",)), "d": (True, ())},
    )
    assert unchanged(before, after) == {"same_text": 0.5, "same_decision": 0.5}
    assert (before.refused, after.refused) == ({"a"}, {"a", "d"})
