"""Answers against the collection: PubMedQA out of collection, and answers that stay put when the library grows.

PubMedQA (PQA-L): half of the official test split is held apart (a seeded shuffle); the index holds the other 750
abstracts. The 250 held-apart questions must be refused (their abstract is absent), and 250 whose abstract is indexed
must be answered citing it. The same questions are then asked with 500 unrelated SciFact abstracts added, and the
answers compared. The seed check asks the chat page's example questions on the seeds, then on the seeds with 500
SciFact abstracts beside them.

Indexes are cached under `<index_dir>/.bench-cache/` like the retrieval benchmarks': the PubMedQA one is a copy of the
retrieval benchmark's (nothing re-embedded), less the held-apart abstracts.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.evaluation.retrieval.build import bench_settings, extend_index, open_index
from assistant.evaluation.retrieval.datasets import Dataset, Query, load_dataset
from assistant.settings import Settings, StoreSettings
from assistant.store.chroma import Store
from assistant.store.embeddings import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.models import Answer

Say = Callable[[str], None]
SPLIT_SEED = 2026  # which half of the PubMedQA test split is held apart; fixed, chosen before any run
EXTRA_DOCUMENTS = 500  # unrelated SciFact abstracts added to show that answers do not move
EXTRA_SEED = 11


@dataclass(frozen=True)
class CollectionRun:
    """One pass over the questions: which were refused, which cited their own abstract, and the answer texts."""

    name: str
    absent: tuple[str, ...]  # qids whose abstract is not indexed (a refusal is right)
    present: tuple[str, ...]  # qids whose abstract is indexed (an answer citing it is right)
    cited_own: frozenset[str]
    texts: dict[str, str]
    decisions: dict[str, tuple[bool, tuple[str, ...]]]  # qid -> (refused, the documents an answer cites, sorted)

    @property
    def refused(self) -> frozenset[str]:
        return frozenset(q for q, (refused, _) in self.decisions.items() if refused)

    def metrics(self) -> dict[str, float]:
        absent, present = set(self.absent), set(self.present)
        refused_right = len(self.refused & absent)
        return {
            "answered_and_cited": len((present - self.refused) & self.cited_own) / len(present),
            "out_of_collection_refused": refused_right / len(absent),
            "refusal_precision": refused_right / len(self.refused) if self.refused else 1.0,
            "in_collection_refused": len(self.refused & present) / len(present),
        }


def held_apart(dataset: Dataset, n: int = 250, split: str = "test") -> tuple[list[Query], list[Query]]:
    """(absent, present): the official test questions (or, for `split="tune"`, the questions outside the test
    split, which gate choices may be made on) split in two by a seeded shuffle."""
    pool = _shuffled(dataset.queries if split == "test" else dataset.tune)
    return pool[:n], pool[n : 2 * n]


def _shuffled(queries: Iterable[Query]) -> list[Query]:
    """The queries in a fixed pseudo-random order (by id, then a `SPLIT_SEED` shuffle)."""
    pool = sorted(queries, key=lambda q: q.qid)
    random.Random(SPLIT_SEED).shuffle(pool)
    return pool


def pubmedqa_without(
    settings: Settings, embedder: SentenceTransformerEmbedder, split: str, say: Say = print
) -> tuple[Settings, list[Query], list[Query]]:
    """A cached PubMedQA index without the held-apart half of `split`, and the (absent, present) questions."""
    dataset = load_dataset("pubmedqa", settings.paths.bench_dir)
    absent, present = held_apart(dataset, split=split)
    full, _ = open_index(dataset, settings, embedder, say)
    name = "pubmedqa-ooc" if split == "test" else f"pubmedqa-ooc-{split}"
    return _copy_without(full, settings, name, {q.qid for q in absent}), absent, present


def _ask(assistant: Assistant, name: str, absent: Sequence[Query], present: Sequence[Query]) -> CollectionRun:
    cited, texts, decisions = set(), {}, {}
    for q in [*absent, *present]:
        answer: Answer = assistant.ask(q.text)
        texts[q.qid] = answer.text
        # A refusal's citations are the nearest passages it lists, not evidence: its decision is the refusal.
        cited_docs = () if answer.refused else tuple(sorted({c.doc_id for c in answer.citations}))
        decisions[q.qid] = (answer.refused, cited_docs)
        if any(c.doc_id in q.relevant for c in answer.citations):
            cited.add(q.qid)
    return CollectionRun(
        name,
        tuple(q.qid for q in absent),
        tuple(q.qid for q in present),
        frozenset(cited),
        texts,
        decisions,
    )


def unchanged(before: CollectionRun, after: CollectionRun) -> dict[str, float]:
    """Shares of the questions answered alike in two runs: the same text (a refusal's nearest passages included),
    and the same decision (refused or not, citing the same documents)."""
    qids = list(before.texts)
    return {
        "same_text": sum(before.texts[q] == after.texts[q] for q in qids) / len(qids),
        "same_decision": sum(before.decisions[q] == after.decisions[q] for q in qids) / len(qids),
    }


def _copy_without(source: Store, settings: Settings, name: str, drop: set[str]) -> Settings:
    """A cached copy of `source`'s index without the documents in `drop`; returns the copy's settings."""
    copy = bench_settings(settings, name)
    marker = copy.paths.index_dir / "complete.json"
    if not marker.is_file():
        shutil.rmtree(copy.paths.index_dir, ignore_errors=True)
        shutil.copytree(source.settings.paths.index_dir, copy.paths.index_dir)
        Store(copy).delete_many(sorted(drop))
        marker.write_text(json.dumps({"dropped": len(drop)}), encoding="utf-8")
    return copy


SCIFACT_CLAIMS = 150  # claims per half of the SciFact out-of-collection set
SCIFACT_DISTRACTORS = 300  # other SciFact abstracts in its index


def scifact_without(
    settings: Settings, embedder: SentenceTransformerEmbedder, split: str, say: Say = print
) -> tuple[Settings, list[Query], list[Query]]:
    """SciFact claims as questions: an index of the abstracts cited by `SCIFACT_CLAIMS` claims (`present`) and of
    `SCIFACT_DISTRACTORS` others, without those cited by as many more claims (`absent`). Claims are written in other
    words than their abstracts, so this measures answerability under paraphrase. `split` "tune" draws train claims
    (gate choices may be made on them), "test" dev claims (for reports only). Only claims with rationales count."""
    dataset = load_dataset("scifact", settings.paths.bench_dir)
    evidenced = _evidenced_claims(settings.paths.bench_dir / "scifact", "train" if split == "tune" else "dev")
    pool = _shuffled(q for q in (dataset.tune if split == "tune" else dataset.queries) if q.qid in evidenced)
    present = pool[:SCIFACT_CLAIMS]
    kept = set().union(*(q.relevant for q in present))
    absent = [q for q in pool[SCIFACT_CLAIMS:] if not q.relevant & kept][:SCIFACT_CLAIMS]
    dropped = set().union(*(q.relevant for q in absent))
    others = sorted(d.doc_id for d in dataset.documents if d.doc_id not in kept | dropped)
    kept |= set(random.Random(EXTRA_SEED).sample(others, SCIFACT_DISTRACTORS))
    bench = bench_settings(settings, f"scifact-ooc-{split}")
    extend_index(Store(bench), embedder, [d for d in dataset.documents if d.doc_id in kept], say)
    return bench, absent, present


def _evidenced_claims(folder: Path, part: str) -> set[str]:
    rows = [json.loads(line) for line in (folder / f"claims_{part}.jsonl").read_text(encoding="utf-8").splitlines()]
    return {str(r["id"]) for r in rows if r.get("evidence")}


def _scifact_extra(settings: Settings) -> Dataset:
    scifact = load_dataset("scifact", settings.paths.bench_dir)
    docs = random.Random(EXTRA_SEED).sample(list(scifact.documents), EXTRA_DOCUMENTS)
    return Dataset(f"scifact-{EXTRA_DOCUMENTS}", tuple(docs), (), ())


def run_pubmedqa(
    settings: Settings, embedder: SentenceTransformerEmbedder, say: Say = print, split: str = "test"
) -> list[CollectionRun]:
    """PubMedQA out of collection, alone and with the unrelated SciFact abstracts added (`split`: see `held_apart`)."""
    from assistant.api import Assistant

    alone, absent, present = pubmedqa_without(settings, embedder, split, say)
    grown_name = "pubmedqa-ooc-scifact" if split == "test" else f"pubmedqa-ooc-{split}-scifact"
    grown = _copy_without(Store(alone), settings, grown_name, set())
    extend_index(Store(grown), embedder, _scifact_extra(settings).documents, say)
    runs = []
    for name, bench in (("pubmedqa", alone), (f"pubmedqa + {EXTRA_DOCUMENTS} SciFact", grown)):
        assistant = Assistant(bench, index_seeds=False, embedder=embedder)
        say(f"{name}: asking {len(absent) + len(present)} questions")
        runs.append(_ask(assistant, name, absent, present))
    return runs


def run_seed_examples(
    settings: Settings, embedder: SentenceTransformerEmbedder, questions: Sequence[str], say: Say = print
) -> list[tuple[str, bool]]:
    """(question, answered the same) for each question, on the seeds alone and beside the SciFact abstracts."""
    from assistant.api import Assistant

    extra = _scifact_extra(settings)
    with tempfile.TemporaryDirectory(prefix="assistant-grown-") as tmp:
        answers: list[list[Answer]] = []
        for grown in (False, True):
            index = Path(tmp) / ("grown" if grown else "seeds")
            paths = settings.paths.model_copy(update={"index_dir": index})
            local = settings.model_copy(update={"paths": paths, "store": StoreSettings()})
            assistant = Assistant(local, embedder=embedder)
            if grown:
                say(f"seeds + {len(extra.documents)} SciFact abstracts: indexing")
                extend_index(assistant.store, embedder, extra.documents, say)
            answers.append([assistant.ask(q) for q in questions])
    return [(q, _same(a, b)) for q, a, b in zip(questions, answers[0], answers[1], strict=True)]


def _same(a: Answer, b: Answer) -> bool:
    return a.refused == b.refused and [s.text for s in a.sentences] == [s.text for s in b.sentences]
