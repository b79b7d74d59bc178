"""A statement of aim says what a study asked, not what it found: it contradicts no finding.

Abstracts open with their aim ("In the current study, we have investigated the influence of imatinib mesylate on
regulatory T cells"). The model reads such a sentence as evidence against a finding about the same things: the true
"Imatinib reduces FoxP3 expression in regulatory T cells" was called contradicted (p 0.68) by the imatinib seed's aim
sentence. So a unit whose sentences all state an aim, and no finding, has its contradicted probability moved to not
found, unless the sentence checked states an aim too ("we did not study X" against "we studied X"). Support is left
as the model gives it. The words are general English of abstracts, none taken from the gold questions or test sets.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.answer.verifier.contrast import rule_out

# An aim: a study's asking verb after its subject, an infinitive of purpose, or a section label.
_AIM = re.compile(
    r"\b(?:we|this\s+(?:study|work|paper|trial|report)|the\s+(?:present|current)\s+(?:study|work)|our\s+study)\s+"
    r"(?:\w+\s+){0,3}?(?:investigat|examin|stud(?:y|ied)|assess|evaluat|explor|analy[sz]|sought|aim|compar|test)\w*"
    r"|\b(?:to|was\s+to)\s+(?:determine|assess|investigate|examine|evaluate|explore|test|compare|characteri[sz]e|"
    r"identify|establish|clarify|elucidate)\s+(?:whether|if|how|what|which|the)\b"
    r"|\bthe\s+(?:main\s+|primary\s+)?(?:aim|objective|purpose|goal)s?\s+"
    r"(?:of\s+(?:this|the\s+present|the\s+current|our)|was|were|is)\b"
    r"|^\s*(?:objectives?|aims?|purpose|background\s+and\s+aims?)\s*[:.]",
    re.I,
)
# A finding said in the same sentence ("we examined X and found that Y") makes it no mere aim.
_FINDING = re.compile(
    r"\b(?:found|find|finds|show(?:s|ed|n)?|demonstrat\w*|reveal\w*|indicat\w*|suggest\w*|observ\w*|conclud\w*|"
    r"confirm\w*|identified|report(?:s|ed)?\s+that)\b",
    re.I,
)


def states_aim(sentence: str) -> bool:
    """Whether the sentence says what a study set out to do, and no finding."""
    return bool(_AIM.search(sentence)) and not _FINDING.search(sentence)


def aim_read(unit_sentences: list[str], sentence: str, probabilities: np.ndarray) -> np.ndarray:
    """The unit's (supported, contradicted, not found) probabilities, with contradiction moved to not found where
    every sentence of the unit states an aim and the sentence checked does not; unchanged elsewhere."""
    if not unit_sentences or not all(states_aim(s) for s in unit_sentences) or states_aim(sentence):
        return probabilities
    return rule_out(probabilities, 1)
