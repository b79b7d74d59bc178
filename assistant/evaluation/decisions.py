"""PubMedQA's yes/no/maybe questions through the whole answer step: does what the answer's supported sentences
decide match the label? Item 8 of issue 14 measured; the answer step uses none of it, because it decides no better
than chance (eval/reports/*-decisions.md).

A question that asks whether ("does imatinib block IL-10 production?"), less its auxiliary verb, is read as a claim
("Imatinib block IL-10 production.") and the claim verifier judges it against each supported answer sentence on its
own. The sentence whose verdict (supported or contradicted) is most probable would lead the answer; the decision is
"yes" when some sentences support the claim and none contradicts it, "no" the other way round, "mixed" when both
happen, "not stated" when none decides. No threshold of its own: the verifier's calibrated ones
(models/verifier/verifier.json, chosen on its train-side validation slice) decide each sentence, so the test split
is only ever reported. A question offering a choice ("in patients or in rodents?") is not a yes/no question.

The questions are the 250 whose abstract is indexed in the out-of-collection set (`collection.pubmedqa_without`), on
the test split and, separately, on the questions outside it. PQA-L indexes the abstract without its conclusion, so
the answer must decide from the results, as in PubMedQA's reasoning-required setting. "yes" and "no" are taken as
they are; "mixed", "not stated", a refusal or a question that is not yes/no count as "maybe". Published references:
humans 78.0 with the conclusion withheld (PubMedQA paper), the majority class ("yes") 55.2 on the test split.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer.lexicon import AUXILIARIES
from assistant.evaluation.collection import pubmedqa_without
from assistant.models import AnswerSentence
from assistant.settings import Settings
from assistant.store.embeddings import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from assistant.answer.verifier.model import ClaimVerifier
    from assistant.api import Assistant
    from assistant.models import Answer

LABELS = ("yes", "no", "maybe")

# A question opened by an auxiliary verb, with no "or" offering a choice. General English.
_WHETHER = re.compile(
    rf"^\s*(?:{AUXILIARIES}|must)\s+(?P<claim>.+?)"
    r"\s*\??\s*$",
    re.I | re.S,
)
_CHOICE = re.compile(r"\bor\b", re.I)


@dataclass(frozen=True)
class Decision:
    """What the supported sentences of an answer decide about a question that asks whether."""

    verdict: str  # yes | no | mixed (sentences support and contradict it) | not stated
    probability: float  # the verifier's calibrated probability of the leading sentence's verdict (0 when not stated)
    claim: str  # the question read as a claim, as the verifier judged it


def claim_of(question: str) -> str | None:
    """The claim a whether-question asks about (its auxiliary dropped), or None for any other question."""
    match = _WHETHER.match(question)
    if not match or _CHOICE.search(question):
        return None
    claim = match.group("claim").strip()
    return claim[0].upper() + claim[1:] + "." if len(claim.split()) >= 2 else None


def lead_with_decision(
    claims: ClaimVerifier, question: str, sentences: Sequence[AnswerSentence], expand: Callable[[str], str] = str
) -> tuple[list[AnswerSentence], Decision | None]:
    """The sentences with the deciding one first, and the decision; unchanged and None for another question."""
    claim = claim_of(question)
    shown = [i for i, s in enumerate(sentences) if s.supported]
    if claim is None or not shown:
        return list(sentences), None
    verdicts = claims.verify_many([(expand(claim), [expand(sentences[i].text)]) for i in shown])
    deciding = [(v.score, i, v.label) for i, v in zip(shown, verdicts, strict=True) if v.label != "not_found"]
    if not deciding:
        return list(sentences), Decision("not stated", 0.0, claim)
    score, first, _ = max(deciding, key=lambda d: (d[0], -d[1]))
    labels = {label for _, _, label in deciding}
    verdict = "mixed" if len(labels) > 1 else "yes" if labels == {"supported"} else "no"
    ordered = [sentences[first], *(s for i, s in enumerate(sentences) if i != first)]
    return ordered, Decision(verdict, round(score, 4), claim)


@dataclass(frozen=True)
class DecisionRun:
    split: str
    pairs: tuple[tuple[str, str], ...]  # (gold label, predicted label) per question

    def metrics(self) -> dict[str, float]:
        n = len(self.pairs)
        decided = [(g, p) for g, p in self.pairs if p != "maybe"]
        majority = Counter(g for g, _ in self.pairs).most_common(1)[0][1] / n
        return {
            "questions": n,
            "accuracy": sum(g == p for g, p in self.pairs) / n,
            "majority_baseline": majority,
            "decided_share": len(decided) / n,
            "decided_accuracy": sum(g == p for g, p in decided) / len(decided) if decided else 0.0,
        }

    def confusion(self) -> dict[str, dict[str, int]]:
        counts = Counter(self.pairs)
        return {g: {p: counts[(g, p)] for p in LABELS} for g in LABELS}


def predicted(assistant: Assistant, answer: Answer) -> str:
    """The yes/no/maybe label the answer's supported sentences decide (a refusal: maybe)."""
    if answer.refused or assistant.claims is None:
        return "maybe"
    _, decision = lead_with_decision(
        assistant.claims, answer.question, answer.sentences, assistant.retriever.aliases.expand
    )
    verdict = decision.verdict if decision else ""
    return verdict if verdict in ("yes", "no") else "maybe"


def run_decisions(settings: Settings, embedder: SentenceTransformerEmbedder, split: str) -> DecisionRun:
    """Ask the in-collection PubMedQA questions of `split` ("test" or "tune") and pair each label with the answer's."""
    from assistant.api import Assistant

    index, _, present = pubmedqa_without(settings, embedder, split, lambda _: None)
    labels = json.loads((settings.paths.bench_dir / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    assistant = Assistant(index, index_seeds=False, embedder=embedder)
    pairs = tuple((str(labels[q.qid]["final_decision"]), predicted(assistant, assistant.ask(q.text))) for q in present)
    return DecisionRun(split, pairs)
