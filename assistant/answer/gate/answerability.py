"""Does what was retrieved answer the question? Reasons to refuse, each one testable on its own.

Near-miss questions (same drug, same cells, a fact the documents do not state) score almost as
well as answerable ones on similarity alone, so besides a score threshold the check asks:
- `weak evidence`: the best sentence score is below `refusal_threshold`;
- `missing terms`: too few of the question's topical terms occur in the passages (reporting words such
  as "authors", "new", "propose" are how a question is put, not what it is about; "antitumour" is
  found where "tumour" is);
- `missing names`: a gene, protein, drug code or number named in the question (IL-2, TLR7, CML), or
  a drug a name lexicon knows (dasatinib: `answer.name_lexicons`; not a class, "kinase inhibitor"),
  occurs in no passage, under any of its names;
- `no quantity`: the question asks for an amount (how many, dose, concentration in a unit) and
  no chosen sentence holds a number of that kind;
- `no date`: the question asks when or in which year, and no chosen sentence holds a date;
- `not together`: the question links names that no single document mentions together, and it
  does not ask about several documents ("both", "and");
- `not combined`: the question asks about using things together (combined, plus, together with)
  and no single document mentions all of them, even when it names several documents;
- `not linked`: the names, cell types and asked-for kind of thing ("which receptor") of the
  question occur in the passages but never in one pair of neighbouring sentences (`linking`).

With `answer.gate = "learned"` the reasons still fire as above, but the learned gate (`learned`) decides: it
refuses when its p(answerable) from the same figures is below its threshold, and says why with the reasons that
fired, or `low answerability score` when none did. Both gates decide from `Figures` alone (`decide`).

A question about several documents is split into the part about each (`document_focus`), which
the extractive answer quotes a sentence for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

from assistant.answer.gate.figures import Figures, question_form, rule_reasons, vetoed
from assistant.answer.gate.learned import SCORE_REASON, LearnedGate
from assistant.answer.gate.linking import unlinked
from assistant.answer.lexicon import (
    AMOUNT_WITH_UNIT,
    ARTICLES,
    CLAUSE_BREAK,
    COMBINED_ASKED,
    DATE,
    DATE_ASKED,
    JOINERS,
    NUMBER,
    QUANTITY_ASKED,
    SEVERAL_ASKED,
    STOPWORDS,
    SUBJECT_ASKED,
    UNIT_ASKED,
)
from assistant.answer.terms import GENERIC, content_terms, key_terms, roots, squash, stem, words
from assistant.models import Passage
from assistant.settings import AnswerSettings
from assistant.text.lexicons import is_general_word


@dataclass(frozen=True)
class Verdict:
    """The evidence figures and, when the question should be refused, why."""

    figures: Figures
    reasons: tuple[str, ...]
    score: float | None = None  # the learned gate's p(answerable); None with the rule gate
    threshold: float | None = None  # the learned gate's least p(answerable) for an answer
    missing: tuple[str, ...] = ()  # the question's names that no passage holds, as the question writes them

    @property
    def answerable(self) -> bool:
        return not self.reasons

    def explain(self) -> str:
        """The reasons in words, for the answer's `refusal_reason` (with the learned gate's score)."""
        named = f" ({', '.join(self.missing)})" if self.missing else ""
        text = "; ".join(f"{r}: {EXPLANATIONS[r]}{named if r == 'missing names' else ''}" for r in self.reasons)
        if self.reasons and self.score is not None and self.threshold is not None:
            # A veto refuses whatever the score: the score is then no reason and is not called one.
            relation = "below" if self.score < self.threshold else "refused whatever the score; its least is"
            text += f" (answerability score {self.score:.2f}, {relation} {self.threshold:.2f})"
        return text


EXPLANATIONS = {
    "weak evidence": "no passage sentence is close enough to the question",
    "missing terms": "too few of the question's topical terms occur in the passages",
    "missing names": "a gene, protein, drug, disease or number the question names occurs in no passage",
    "no quantity": "the question asks for an amount and no chosen sentence gives one",
    "no date": "the question asks when and no chosen sentence gives a date",
    "not together": "no single document mentions together the things the question links",
    "not combined": "no single document mentions all the things the question asks about in combination",
    "not linked": "the things the question names never occur in neighbouring sentences",
    SCORE_REASON: "the learned gate scores these passages as unlikely to answer the question",
}
NOT_VERIFIED = "no sentence chosen to answer was supported by the passage it cites"


def judge(
    question: str,
    passages: Sequence[Passage],
    chosen: Sequence[str],
    best: float,
    settings: AnswerSettings,
    expand: Callable[[str], str] = str,
    dense: float = 0.0,
    model: LearnedGate | None = None,
    relevance: float | None = None,
    named: Callable[[str], Sequence[str]] | None = None,
    quoted: Set[str] = frozenset(),
) -> Verdict:
    """Check the question against the retrieved passages and the sentences chosen to answer it. `dense` is the
    best sentence's cosine to the question: at `paraphrase_cosine` or above, the sentence says what the question
    asks in other words, and terms missing from the passages are not held against it. `model`: the learned gate,
    needed when `settings.gate` is "learned"; `relevance`: the answer-relevance model's best p, one of its
    figures (None: not computed); `named`: the names a general lexicon finds in a text (`aliases.lexicon_names`),
    which the passages must hold as they must the question's key terms; `quoted`: the documents the drafted answer
    quotes, whose share of the topical terms is a figure (the share over all passages when there are none)."""
    q_terms = content_terms(question)
    texts = [_searchable(p, expand) for p in passages]
    per_doc = _doc_terms(passages, expand)
    found = set().union(*per_doc.values()) if per_doc else set()
    # Reporting words ("new", "authors", "propose") are how a question is put, not what it is about.
    topical = (q_terms - GENERIC) or q_terms
    coverage = _share(topical, found, expand)
    quoted_terms = set().union(*(per_doc[doc] for doc in quoted if doc in per_doc))
    quoted_share = _share(topical, quoted_terms, expand) if quoted_terms else coverage
    fired = []
    missing = _missing_names(question, texts, expand, named)
    if missing:
        fired.append("missing names")
    fired += _answer_type(question, [expand(s) for s in chosen])
    split, together = _split(question, {t for t in q_terms if known(t, found, expand)}, per_doc)
    fired += split
    if unlinked(question, passages, expand):
        fired.append("not linked")
    form = question_form(question)
    retrieved = max((p.score for p in passages), default=0.0)
    similarity = max((p.similarity for p in passages), default=0.0)
    figures = Figures(
        best, coverage, dense, together, frozenset(fired), relevance, form, quoted_share, retrieved, similarity
    )
    reasons, score = decide(figures, settings, model)
    threshold = model.threshold if score is not None and model is not None else None
    return Verdict(figures, reasons, score, threshold, _as_written(missing, question))


def decide(
    figures: Figures, settings: AnswerSettings, model: LearnedGate | None = None
) -> tuple[tuple[str, ...], float | None]:
    """The reasons to refuse (none: answer) and the learned gate's p(answerable) (None with the rule gate).

    The rule gate refuses when a rule reason not switched off fires. The learned gate refuses when a veto fires
    (`figures.VETOES`), or when p is below its threshold (unless `low answerability score` is switched off), naming
    the rule reasons that fire, or its own when none does. A replay of recorded figures calls this too
    (`assistant.evaluation.gate_tuning`)."""
    thresholds = (
        settings.refusal_threshold,
        settings.min_term_coverage,
        settings.paraphrase_cosine,
        settings.together_share,
    )
    rules = tuple(r for r in rule_reasons(figures, *thresholds) if r not in settings.gate_off)
    if settings.gate == "rules":
        return rules, None
    if model is None:
        raise ValueError("answer.gate is 'learned' and no learned gate was given (learned.load_gate)")
    score = model.probability(figures, settings.gate_off)
    vetoes = vetoed(figures, settings.gate_off)
    if vetoes:
        return vetoes, score
    if score >= model.threshold or SCORE_REASON in settings.gate_off:
        return (), score
    return rules or (SCORE_REASON,), score


def _share(topical: Set[str], terms: Set[str], expand: Callable[[str], str]) -> float:
    """The share of the topical question terms `terms` hold (0 when there are none)."""
    return sum(known(t, terms, expand) for t in topical) / len(topical) if topical else 0.0


def held(term: str, terms: Set[str]) -> bool:
    """A question term is held by a set of terms that has it or its root (antitumor -> tumor)."""
    return not roots(term).isdisjoint(terms)


def known(term: str, terms: Set[str], expand: Callable[[str], str] = str) -> bool:
    """`held`, or held under another name the term has: the key name a lexicon gives it ("glivec" is held where
    the passages say imatinib), or the aliases the corpus defines for it."""
    return held(term, terms) or any(held(t, terms) for t in _other_names(term, expand))


def _other_names(term: str, expand: Callable[[str], str]) -> set[str]:
    return content_terms(expand(term)) - content_terms(term)


def _missing_names(
    question: str,
    texts: list[str],
    expand: Callable[[str], str] = str,
    named: Callable[[str], Sequence[str]] | None = None,
) -> list[str]:
    """The question's names that no passage holds, under any name: its key terms (a capital inside or a digit marks
    them) and, given `named`, the names a lexicon knows ("dasatinib")."""
    haystack = squash(" ".join(texts))
    names = _question_names(question, named)
    return [
        t
        for t in sorted(names)
        if squash(t) not in haystack and not any(squash(n) in haystack for n in _other_names(t, expand))
    ]


def _question_names(question: str, named: Callable[[str], Sequence[str]] | None) -> set[str]:
    """The question's key terms (a capital inside or a digit marks them) and the names a lexicon knows in it."""
    return key_terms(question) | {n.lower() for n in (named(question) if named else ())}


def _as_written(names: Sequence[str], question: str) -> tuple[str, ...]:
    """Lower-cased names as the question writes them ("tlr7" -> "TLR7")."""
    written = {w.lower().rstrip("-/"): w.rstrip("-/") for w in words(question)}
    return tuple(written.get(n, n) for n in names)


def _answer_type(question: str, chosen: list[str]) -> list[str]:
    joined = " ".join(chosen)
    reasons = []
    if QUANTITY_ASKED.search(question):
        pattern = AMOUNT_WITH_UNIT if UNIT_ASKED.search(question) else NUMBER
        if not pattern.search(joined):
            reasons.append("no quantity")
    if DATE_ASKED.search(question) and not DATE.search(joined):
        reasons.append("no date")
    return reasons


def _doc_terms(passages: Sequence[Passage], expand: Callable[[str], str]) -> dict[str, set[str]]:
    per_doc: dict[str, set[str]] = {}
    for p in passages:
        # With their roots, so that "suppress" is found where the passage says "immunosuppressive".
        terms = content_terms(_searchable(p, expand))
        per_doc.setdefault(p.chunk.doc_id, set()).update(terms, *(roots(t) for t in terms))
    return per_doc


def _searchable(passage: Passage, expand: Callable[[str], str]) -> str:
    """A passage's text with aliases, plus its document's title."""
    return expand(passage.chunk.text) + "\n" + passage.document.metadata.title


def subject_documents(
    question: str,
    passages: Sequence[Passage],
    expand: Callable[[str], str] = str,
    named: Callable[[str], Sequence[str]] | None = None,
) -> set[str]:
    """The retrieved documents the question is about: those holding its grammatical subject when that is one of
    its names ("does *imatinib* block IL-10 production?"), among them those holding the most of its names (key
    terms and, given `named`, the names a lexicon knows), then the subject when it is a common noun, then the most of
    its topical terms. A note on IL-10 that never names imatinib shares as many words with that question and is not
    what it asks about; a citation line's "pages" and "journal" do not outweigh the drug a bibliographic question
    names, nor a neighbour's "risk" the drug of "what is the risk of serious infections with etanercept?".
    Bibliographic questions ("which journal
    published the imiquimod finding") and one-document answers are quoted from these."""
    per_doc = _doc_terms(passages, expand)
    topical = content_terms(question) - GENERIC
    head = subject_term(question)
    names = [content_terms(n) for n in _question_names(question, named)]
    # A name, not a common noun: "tofacitinib" in "does tofacitinib block IL-10?", not "risk" in "what is the risk
    # of infections with etanercept?" (one of the question's names, or no word of general English).
    head_named = head is not None and (any(head in n for n in names) or not is_general_word(head))
    counts = {
        doc: (
            head is not None and head_named and known(head, terms, expand),
            sum(bool(n) and all(known(t, terms, expand) for t in n) for n in names),
            head is not None and known(head, terms, expand),
            sum(known(t, terms, expand) for t in topical),
        )
        for doc, terms in per_doc.items()
    }
    best = max(counts.values(), default=(False, 0, False, 0))
    return {doc for doc, n in counts.items() if n == best}


def subject_term(question: str) -> str | None:
    """The stem of the first topical word after the auxiliary verb of a question put with one, else None."""
    match = SUBJECT_ASKED.match(question)
    rest = words(match.group("rest")) if match else []
    if not rest or rest[0].lower() in ("there", "it"):  # "is there ...", "is it ...": no subject to find
        return None
    for word in rest:
        term = stem(word)
        if word.lower() not in STOPWORDS and term not in GENERIC and (len(word) > 1 or word.isupper()):
            return term
    return None


def exclusive_terms(terms: set[str], per_doc: dict[str, set[str]]) -> dict[str, set[str]]:
    """Per document, the topical question terms that no other retrieved document holds."""
    own: dict[str, set[str]] = {}
    for t in terms - GENERIC:
        holders = [doc for doc, doc_terms in per_doc.items() if held(t, doc_terms)]
        if len(holders) == 1:
            own.setdefault(holders[0], set()).add(t)
    return own


def _split(question: str, known: set[str], per_doc: dict[str, set[str]]) -> tuple[list[str], float | None]:
    """When the question's known terms are split across documents: `not combined` if it asks about things used
    together, which only a document naming all of them can answer; else, if it asks about one thing, the best
    document's share of the known terms (None otherwise), which `rule_reasons` holds against `together_share`
    ("not together")."""
    if len(per_doc) < 2 or len(known) < 2:
        return [], None
    combined = bool(COMBINED_ASKED.search(question))
    if SEVERAL_ASKED.search(question) and not combined:
        return [], None
    if len(exclusive_terms(known, per_doc)) <= 1:
        return [], None
    share = max(sum(held(t, terms) for t in known) / len(known) for terms in per_doc.values())
    if combined:
        return (["not combined"] if share < 1.0 else []), None
    return [], share


def spans_documents(question: str, passages: Sequence[Passage], expand: Callable[[str], str] = str) -> set[str]:
    """Ids of the documents a multi-document question ("both", "and") names terms of; empty otherwise."""
    return set(document_focus(question, passages, expand))


def document_focus(question: str, passages: Sequence[Passage], expand: Callable[[str], str] = str) -> dict[str, str]:
    """For a question about several documents, each document's id and the part of the question about it.

    "Which cells does imiquimod act on, and which does imatinib inhibit?" is two questions: each document
    is asked the clauses that do not name another document's subject, less those names. A subject is a
    question term only that document holds, in its title or in all of its retrieved passages.
    """
    if not SEVERAL_ASKED.search(question):
        return {}
    per_doc = _doc_terms(passages, expand)
    own = {
        doc: terms
        for doc, terms in exclusive_terms(content_terms(question), per_doc).items()
        if _names(question, doc, terms, passages)
    }
    if len(own) < 2:
        return {}
    subjects = {
        doc: _subject_terms(terms, [p for p in passages if p.chunk.doc_id == doc], expand) for doc, terms in own.items()
    }
    return {doc: _part_about(question, set().union(*(t for d, t in subjects.items() if d != doc))) for doc in own}


def _names(question: str, doc: str, terms: set[str], passages: Sequence[Passage]) -> bool:
    """Whether a document's own question terms name it: one is in its title or is written in the question as no
    word of general English (a common word that one neighbour happens to hold alone, "trial", makes no second
    subject)."""
    title = next((content_terms(p.document.metadata.title) for p in passages if p.chunk.doc_id == doc), set())
    written = {w for w in words(question) if stem(w) in terms}
    return bool(terms & title) or any(not is_general_word(w) for w in written)


def _subject_terms(terms: set[str], passages: list[Passage], expand: Callable[[str], str]) -> set[str]:
    title = content_terms(expand(passages[0].document.metadata.title))
    each = set.intersection(*(content_terms(_searchable(p, expand)) for p in passages))
    return {t for t in terms if held(t, title) or held(t, each)}


def _part_about(question: str, foreign: set[str]) -> str:
    """The question without the clauses, then the words, that name another document's subject; an article
    or a joiner left beside a dropped word goes too ("in the imiquimod and the imatinib studies")."""
    clauses = [c for c in CLAUSE_BREAK.split(question) if c.strip()]
    tokens = " ".join([c for c in clauses if content_terms(c).isdisjoint(foreign)] or [question]).split()
    dropped = [not content_terms(t).isdisjoint(foreign) for t in tokens]
    for i in reversed(range(len(tokens) - 1)):  # an article before a dropped word
        dropped[i] = dropped[i] or (tokens[i].lower() in ARTICLES and dropped[i + 1])
    for i, tok in enumerate(tokens):  # a joiner beside a dropped word (seen past articles)
        after = next((j for j in range(i + 1, len(tokens)) if tokens[j].lower() not in ARTICLES), None)
        beside = (i > 0 and dropped[i - 1]) or (after is not None and dropped[after])
        dropped[i] = dropped[i] or (tok.lower() in JOINERS and beside)
    return " ".join(t for t, gone in zip(tokens, dropped, strict=True) if not gone)
