"""Training and validation pairs for the answer-relevance model: does this sentence come from the study asked about?

A question about a study is answerable from a library that holds the study; a near neighbour on the same topic
does not answer it (PubMedQA out of collection, the near-miss questions of the seed splits). The pairs teach that
difference with SciFact corpus abstracts: each abstract's title, as written or put as a question, asks about it;
its conclusion and the sentence closest to the title answer (label 1); the closest sentence of each of its three
nearest other abstracts (TF-IDF over title and abstract) does not (label 0), nor does a sentence of a random one.

Rules (strict): only abstracts that no SciFact claim cites (train or dev) are read, so nothing here overlaps the
answer gate's tune suites (SciFact train claims, PubMedQA outside its test split, the seed splits) or any
held-out one (SciFact dev, PubMedQA test, the seed held-out split). PubMedQA and the seeds are never read. A
validation slice of the abstracts (by id) picks the temperature and is reported; nothing else is chosen.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.verifier.data import BENCH_DIR
from assistant.answer.verifier.synthetic import Pair, clean

# How a title is put as a question (generic forms, written before any run; none from the gold questions).
QUESTION_FORMS = (
    "{title}?",
    "Is it true that {lower}?",
    "What did the study of {lower} find?",
    "What is known about {lower}?",
    "Does the evidence show that {lower}?",
)
NEIGHBOURS = 3  # nearest other abstracts whose closest sentence is a hard negative
VALIDATION_SHARE = 0.1


@dataclass
class Abstract:
    doc_id: int
    title: str
    sentences: list[str]


@dataclass
class RelevanceData:
    train: list[Pair]
    validation: list[Pair]
    manifest: dict[str, Any] = field(default_factory=dict)


def uncited_abstracts(bench_dir: Path = BENCH_DIR) -> list[Abstract]:
    """SciFact corpus abstracts that no train or dev claim cites or takes evidence from, with 3+ sentences."""
    folder = bench_dir / "scifact"
    cited: set[int] = set()
    for split in ("train", "dev"):
        for line in (folder / f"claims_{split}.jsonl").open():
            claim = json.loads(line)
            cited.update(int(d) for d in [*claim.get("cited_doc_ids", []), *claim.get("evidence", {})])
    out = []
    for line in (folder / "corpus.jsonl").open():
        row = json.loads(line)
        sentences = [s for s in (clean(x) for x in row["abstract"]) if len(s.split()) >= 5]
        if int(row["doc_id"]) not in cited and len(sentences) >= 3 and row["title"].strip():
            out.append(Abstract(int(row["doc_id"]), " ".join(row["title"].split()).rstrip("."), sentences))
    return out


def as_question(title: str, rng: random.Random) -> str:
    """The title as written (half the time) or put in one of the generic question forms."""
    if rng.random() < 0.5:
        return title
    lower = title[0].lower() + title[1:] if title[:2] != title[:2].upper() else title
    return rng.choice(QUESTION_FORMS).format(title=title, lower=lower)


def build(seed: int, n_docs: int, bench_dir: Path = BENCH_DIR) -> RelevanceData:
    """Pairs from `n_docs` training abstracts (sampled with `seed`) and the validation slice."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = random.Random(seed)
    docs = uncited_abstracts(bench_dir)
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2)
    doc_matrix = vectorizer.fit_transform([d.title + " " + " ".join(d.sentences) for d in docs])
    order = list(range(len(docs)))
    rng.shuffle(order)
    n_val = int(len(docs) * VALIDATION_SHARE)
    val_idx, train_idx = order[:n_val], order[n_val : n_val + n_docs]
    similarity = (doc_matrix @ doc_matrix.T).tocsr()

    def pairs_of(indexes: list[int]) -> list[Pair]:
        out: list[Pair] = []
        for i in indexes:
            out += _doc_pairs(i, docs, similarity, vectorizer, rng)
        return out

    data = RelevanceData(pairs_of(train_idx), pairs_of(val_idx))
    data.manifest = _manifest(seed, docs, train_idx, val_idx, data)
    return data


def _doc_pairs(i: int, docs: list[Abstract], similarity: Any, vectorizer: Any, rng: random.Random) -> list[Pair]:
    """Two answering sentences of abstract `i` and four that do not (three near neighbours, one at random)."""
    doc = docs[i]
    question = as_question(doc.title, rng)
    row = similarity.getrow(i).toarray().ravel()
    row[i] = -1.0
    near = [int(j) for j in np.argsort(-row)[:NEIGHBOURS]]
    far = rng.choice([j for j in range(len(docs)) if j != i and j not in near])
    closest = _closest(doc.title, doc.sentences, vectorizer)
    answers = dict.fromkeys([doc.sentences[-1], doc.sentences[closest]])
    pairs = [Pair(s, question, 1, "own_abstract", "scifact_corpus") for s in answers]
    for j in near:
        other = docs[j].sentences
        closest_other = other[_closest(doc.title, other, vectorizer)]
        pairs.append(Pair(closest_other, question, 0, "near_abstract", "scifact_corpus"))
    pairs.append(Pair(rng.choice(docs[far].sentences), question, 0, "random_abstract", "scifact_corpus"))
    return pairs


def _closest(title: str, sentences: list[str], vectorizer: Any) -> int:
    """The sentence sharing most TF-IDF weight with the title."""
    scores = (vectorizer.transform(sentences) @ vectorizer.transform([title]).T).toarray().ravel()
    return int(np.argmax(scores))


def _manifest(seed: int, docs: list[Abstract], train: list[int], val: list[int], data: RelevanceData) -> dict[str, Any]:
    ids = sorted(docs[i].doc_id for i in train)
    return {
        "seed": seed,
        "rule": "SciFact corpus abstracts no SciFact claim (train or dev) cites; PubMedQA and the seeds never read",
        "abstracts_available": len(docs),
        "train_doc_ids": ids,
        "validation_doc_ids": sorted(docs[i].doc_id for i in val),
        "train_doc_ids_sha256": hashlib.sha256(json.dumps(ids).encode()).hexdigest(),
        "pairs_train": len(data.train),
        "pairs_validation": len(data.validation),
        "pairs_by_kind": {
            k: sum(p.kind == k for p in data.train) for k in ("own_abstract", "near_abstract", "random_abstract")
        },
        "question_forms": list(QUESTION_FORMS),
    }
