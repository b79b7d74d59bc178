"""Training, validation and test sets for the verifier, and the manifest that records them.

Rules (strict): training uses only SciFact train claims and corpus documents that no SciFact dev claim
cites (neither in `cited_doc_ids` nor as evidence), so a (train claim, document) pair whose document a dev
claim cites is dropped. A validation slice of that train side (claims by id, documents by id) chooses the
calibration and the thresholds; SciFact dev and the PubMedQA perturbation test set choose nothing.
The test set is built from PubMedQA contexts, which nothing in training reads.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.verifier.entities import EntityLexicon
from assistant.answer.verifier.model import LABELS, rank_sentences
from assistant.answer.verifier.perturb import TEST_CLAUSES, TRAIN_CLAUSES, flip_direction, flip_negation
from assistant.answer.verifier.synthetic import (
    ACROSS_KIND,
    REWORD_KINDS,
    Changer,
    Doc,
    Pair,
    Probe,
    clean,
    probes,
    training_pairs,
    usable,
)
from assistant.text.sentences import split_sentences

BENCH_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "bench"
_GOLD = {"SUPPORT": "supported", "CONTRADICT": "contradicted"}


@dataclass
class SciFact:
    corpus: dict[int, Doc]
    train: list[dict[str, Any]]
    dev: list[dict[str, Any]]

    @classmethod
    def load(cls, bench_dir: Path = BENCH_DIR) -> SciFact:
        folder = bench_dir / "scifact"
        rows = [json.loads(line) for line in (folder / "corpus.jsonl").open()]
        corpus = {int(r["doc_id"]): Doc(str(r["doc_id"]), [s.strip() for s in r["abstract"]]) for r in rows}
        claims = [
            [json.loads(line) for line in (folder / f"claims_{split}.jsonl").open()] for split in ("train", "dev")
        ]
        return cls(corpus, claims[0], claims[1])

    def dev_docs(self) -> set[int]:
        """Every document a dev claim cites or takes evidence from: never trained on."""
        return {int(d) for c in self.dev for d in [*c["cited_doc_ids"], *c["evidence"]]}


def claim_docs(claim: dict[str, Any]) -> list[int]:
    return sorted({int(d) for d in [*claim["cited_doc_ids"], *claim["evidence"]]})


def claim_probes(claims: list[dict[str, Any]], corpus: dict[int, Doc], allowed: set[int] | None = None) -> list[Probe]:
    """Each (claim, cited abstract) pair with its gold verdict and gold rationale sentences."""
    out = []
    for claim in claims:
        for doc_id in claim_docs(claim):
            if allowed is not None and doc_id not in allowed:
                continue
            evidence = claim["evidence"].get(str(doc_id), [])
            label = _GOLD[evidence[0]["label"]] if evidence else "not_found"
            rationale = tuple(sorted({i for e in evidence for i in e["sentences"]}))
            doc = corpus[doc_id]
            out.append(Probe(claim["claim"], tuple(doc.sentences), label, "scifact", "", rationale, doc.doc_id))
    return out


def claim_pairs(items: list[Probe], rng: random.Random) -> list[Pair]:
    """Claims against their rationale (alone and with a neighbour), against other sentences of the abstract
    (two that share most words, two at random: not_found), and SUPPORT claims flipped (contradicted)."""
    pairs: list[Pair] = []
    for item in items:
        sents, label = item.passage, LABELS.index(item.label)
        if item.rationale:
            rationale = " ".join(sents[i] for i in item.rationale)
            pairs += [_pair(rationale, item.hypothesis, label, "rationale")] * 2  # the target domain: twice
            near = item.rationale[-1] + 1 if item.rationale[-1] + 1 < len(sents) else item.rationale[0] - 1
            if near >= 0:
                window = " ".join(sents[i] for i in sorted({*item.rationale, near}))
                pairs.append(_pair(window, item.hypothesis, label, "rationale_window"))
            if item.label == "supported":
                for flip in (flip_direction, flip_negation):
                    flipped = flip(item.hypothesis, rng)
                    if flipped:
                        pairs.append(_pair(rationale, flipped, LABELS.index("contradicted"), "claim_flipped"))
                        break
        others = [i for i in rank_sentences(item.hypothesis, sents) if i not in item.rationale]
        picks = others[:2] + rng.sample(others[2:], min(2, len(others[2:])))
        pairs += [_pair(sents[i], item.hypothesis, LABELS.index("not_found"), "other_sentence") for i in picks]
    return pairs


def _pair(premise: str, hypothesis: str, label: int, kind: str) -> Pair:
    return Pair(premise, hypothesis, label, kind, "scifact")


def pubmedqa_docs(bench_dir: Path = BENCH_DIR) -> list[Doc]:
    data = json.loads((bench_dir / "pubmedqa" / "ori_pqal.json").read_text())
    docs = []
    for pmid, row in sorted(data.items()):
        text = "\n".join(row["CONTEXTS"])
        docs.append(Doc(pmid, [text[s:e] for s, e in split_sentences(text)]))
    return docs


def split_text(text: str) -> list[str]:
    """Sentences of a text, with the project's splitter (the runtime's)."""
    return [text[s:e] for s, e in split_sentences(text)]


@dataclass
class Dataset:
    train: list[Pair]
    val_claims: list[Probe]  # SciFact train-side claims held out: threshold choice
    val_probes: list[Probe]  # synthetic probes from held-out train-side documents: threshold choice
    val_pairs: list[Pair]  # unit-level pairs of the held-out slice: temperature fitting
    manifest: dict[str, Any] = field(default_factory=dict)


def build(
    seed: int, n_pairs: int, bench_dir: Path = BENCH_DIR, val_share: float = 0.12, stage: int = 1, stage_pairs: int = 0,
    part_share: float = 0.0, reword_shares: tuple[float, float] = (0.0, 0.0),
) -> Dataset:  # fmt: skip
    """The split, `n_pairs` training pairs and the validation slice of `seed`. A later `stage` (training on from the
    weights of the one before) draws `stage_pairs` fresh training pairs from the same training claims and documents
    and keeps the split and validation slice of stage 1 (`n_pairs` is stage 1's count), so that nothing any stage
    trained on is validated on."""
    rng = random.Random(seed)
    sci = SciFact.load(bench_dir)
    banned = sci.dev_docs()
    allowed = set(sci.corpus) - banned
    claims = [c for c in sci.train if any(d in allowed for d in claim_docs(c))]
    rng.shuffle(claims)
    n_val = round(len(claims) * val_share)
    val_claims, train_claims = claims[:n_val], claims[n_val:]
    # Synthetic documents: allowed and not cited by a validation claim; 4% of those no claim cites are held out.
    val_cited = {d for c in val_claims for d in claim_docs(c)}
    uncited = sorted(allowed - {d for c in claims for d in claim_docs(c)})
    rng.shuffle(uncited)
    val_doc_ids = sorted(uncited[: round(len(allowed) * 0.04)])
    train_doc_ids = sorted(allowed - val_cited - set(val_doc_ids))
    train_docs = [sci.corpus[d] for d in train_doc_ids]
    lexicon = EntityLexicon(d.text for d in train_docs)
    pool = [clean(s) for d in train_docs for s in d.sentences if usable(s)]
    changer = Changer(lexicon, TRAIN_CLAUSES, pool)

    sci_pairs = claim_pairs(claim_probes(train_claims, sci.corpus, allowed), rng)[:n_pairs]
    synthetic = training_pairs(train_docs, changer, max(0, n_pairs - len(sci_pairs)), rng)
    train = sci_pairs + synthetic
    rng.shuffle(train)

    val_items = claim_probes(val_claims, sci.corpus, allowed)
    val_docs = [sci.corpus[d] for d in val_doc_ids]
    val_changer = Changer(lexicon, TRAIN_CLAUSES, [clean(s) for d in val_docs for s in d.sentences if usable(s)])
    val_probes = probes(val_docs, val_changer, 60, rng)
    val_pairs = claim_pairs(val_items, rng) + training_pairs(val_docs, val_changer, 1500, rng)
    if stage > 1:
        fresh = random.Random(seed * 1000 + stage)
        sci_pairs = claim_pairs(claim_probes(train_claims, sci.corpus, allowed), fresh)[:stage_pairs]
        # Parts and rewordings join the fresh pairs only: the draws that fix the split and the validation slice stay.
        more = max(0, stage_pairs - len(sci_pairs))
        train = sci_pairs + training_pairs(train_docs, changer, more, fresh, part_share, reword_shares)
        fresh.shuffle(train)
    manifest = _manifest(
        seed, bench_dir, sci, banned, train_claims, val_claims, train_doc_ids, val_doc_ids, train, lexicon
    )
    manifest["stage"] = stage
    manifest["part_share"] = part_share
    manifest["reword_shares"] = dict(zip(REWORD_KINDS, reword_shares, strict=True))
    manifest["validation"] = {"claim_items": len(val_items), "probes": len(val_probes), "pairs": len(val_pairs)}
    return Dataset(train, val_items, val_probes, val_pairs, manifest)


Claims = list[dict[str, Any]]


def _manifest(
    seed: int, bench_dir: Path, sci: SciFact, banned: set[int], train_claims: Claims, val_claims: Claims,
    train_docs: list[int], val_docs: list[int], train: list[Pair], lexicon: EntityLexicon,
) -> dict[str, Any]:  # fmt: skip
    used = {int(d) for c in train_claims for d in claim_docs(c)} - banned
    dropped = [c["id"] for c in sci.train if not any(d not in banned for d in claim_docs(c))]
    counts = Counter(f"{p.source}/{p.kind}/{LABELS[p.label]}" for p in train)
    return {
        "seed": seed,
        "rule": "SciFact train claims and corpus documents cited by no SciFact dev claim (cited_doc_ids or evidence)",
        "dev_cited_docs_excluded": len(banned),
        "scifact_train_claims_used": sorted(c["id"] for c in train_claims),
        "scifact_train_claims_validation": sorted(c["id"] for c in val_claims),
        "scifact_train_claims_dropped_dev_docs": sorted(dropped),
        "scifact_claim_docs_used": sorted(used),
        "synthetic_corpus_docs": train_docs,
        "validation_corpus_docs": val_docs,
        "pairs_total": len(train),
        "pairs_by_label": dict(Counter(LABELS[p.label] for p in train)),
        "pairs_by_source_kind_label": dict(sorted(counts.items())),
        "entity_lexicon_sizes": lexicon.sizes(),
        "clauses_train": list(TRAIN_CLAUSES),
        "clauses_held_out_for_test": list(TEST_CLAUSES),
        "pubmedqa_used_in_training": False,
        "data_sha256": {
            name: _sha(bench_dir / "scifact" / name)
            for name in ("claims_train.jsonl", "claims_dev.jsonl", "corpus.jsonl")
        },
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_probes(seed: int, per_kind: int = 150, bench_dir: Path = BENCH_DIR, rewordings: bool = False) -> list[Probe]:
    """The perturbation test set: PubMedQA contexts only (lexicon, pool, held-out clauses all from there). With
    `rewordings`, the rewording test set instead: a direction verb said with another of its sense, or of the
    opposite sense (`rewording`), drawn with a random stream of its own."""
    rng = random.Random(seed + (2 if rewordings else 1))
    docs, changer = _test_side(bench_dir)
    return probes(docs, changer, per_kind, rng, REWORD_KINDS) if rewordings else probes(docs, changer, per_kind, rng)


def across_probes(seed: int, per_kind: int = 150, bench_dir: Path = BENCH_DIR) -> list[Probe]:
    """PubMedQA sentences with a direction verb said with one of the other sense of its direction ("inhibited" ->
    "reduced", `rewording.reword_across`), against their passages; a random stream of their own."""
    docs, changer = _test_side(bench_dir)
    return probes(docs, changer, per_kind, random.Random(seed + 3), (ACROSS_KIND,))


def _test_side(bench_dir: Path) -> tuple[list[Doc], Changer]:
    """The PubMedQA contexts and a changer with their own lexicon, sentence pool and the held-out clauses."""
    docs = pubmedqa_docs(bench_dir)
    lexicon = EntityLexicon(d.text for d in docs)
    return docs, Changer(lexicon, TEST_CLAUSES, [clean(s) for d in docs for s in d.sentences if usable(s)])
