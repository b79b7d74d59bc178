"""The retrieval benchmark on a slice of the real SciFact data, with a floor; metrics; aliases stored with the index."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.app import cli as assistant_cli
from assistant.evaluation import report as eval_report
from assistant.evaluation.retrieval import cli
from assistant.evaluation.retrieval.build import Throughput, open_index
from assistant.evaluation.retrieval.datasets import Dataset, load_dataset
from assistant.evaluation.retrieval.metrics import ndcg, recall, reciprocal_rank
from assistant.evaluation.retrieval.runner import evaluate, open_retriever
from assistant.retrieval.hybrid import HYBRID, PIPELINES, HybridRetriever
from assistant.settings import PROJECT_ROOT, Settings, load_settings
from assistant.store.embeddings import Embedder

BENCH = PROJECT_ROOT.parent / "shared" / "bench"
CLAIMS, DISTRACTORS = 50, 300  # the first 50 dev claims against their cited abstracts and 300 others
# Measured on this slice (see README, "Retrieval benchmarks"), less a small margin.
FLOOR_NDCG10 = 0.91
FLOOR_RECALL10 = 0.94


def _bench_settings(index_dir: Path) -> Settings:
    assert (BENCH / "scifact" / "corpus.jsonl").is_file(), (
        f"the SciFact benchmark data is missing from {BENCH}: these tests read ../shared/bench (see its README)"
    )
    return load_settings(paths={"index_dir": index_dir, "bench_dir": BENCH})


@pytest.fixture(scope="module")
def scifact_slice(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Dataset, Settings, HybridRetriever, Throughput | None, float]:
    settings = _bench_settings(tmp_path_factory.mktemp("bench") / "index")
    dataset = load_dataset("scifact", BENCH).sliced(CLAIMS, DISTRACTORS)
    started = time.perf_counter()
    retriever, throughput = open_retriever(dataset, settings, embedder, say=print)
    return dataset, settings, retriever, throughput, time.perf_counter() - started


def test_the_slice_builds_through_the_product_and_a_second_run_embeds_nothing(
    scifact_slice: tuple[Dataset, Settings, HybridRetriever, Throughput | None, float], embedder: Embedder
) -> None:
    dataset, settings, retriever, throughput, seconds = scifact_slice
    assert throughput is not None and throughput.passages == retriever.store.chunk_count()
    assert len(retriever.store.ready_ids()) == len(dataset.documents)
    print(f"slice built in {seconds:.1f} s; {throughput}")
    before = embedder.encoded
    _store, again = open_index(dataset, settings, embedder, say=print)
    assert again is None and embedder.encoded == before


def test_the_default_pipeline_clears_its_floor_and_beats_each_retriever_alone(
    scifact_slice: tuple[Dataset, Settings, HybridRetriever, Throughput | None, float],
) -> None:
    dataset, _settings, retriever, _throughput, _seconds = scifact_slice
    rows = {p.name: evaluate(retriever, dataset.queries, p) for p in PIPELINES if not p.rerank}
    print({name: round(row.ndcg10, 4) for name, row in rows.items()})
    default = rows[HYBRID.name]
    assert default.ndcg10 >= FLOOR_NDCG10 and default.recall[10] >= FLOOR_RECALL10
    assert default.ndcg10 > max(rows["bm25"].ndcg10, rows["dense"].ndcg10)


def test_the_command_prints_the_json_and_writes_reports(
    scifact_slice: tuple[Dataset, Settings, HybridRetriever, Throughput | None, float],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _dataset, settings, _retriever, _throughput, _seconds = scifact_slice
    monkeypatch.setenv("ASSISTANT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    monkeypatch.setenv("ASSISTANT_PATHS__BENCH_DIR", str(BENCH))
    monkeypatch.setattr(eval_report, "REPORTS_DIR", tmp_path)
    argv = ["--dataset", "scifact", "--limit", str(CLAIMS), "--distractors", str(DISTRACTORS), "--json"]
    assert assistant_cli.main(["eval", "retrieval", *argv]) == 0  # as `assistant eval retrieval ...`
    out = json.loads(capsys.readouterr().out)
    assert out["n_queries"] == CLAIMS and out["default"] == HYBRID.name
    assert {r["pipeline"] for r in out["rows"]} == {"bm25", "dense", "hybrid-rrf", "hybrid", "hybrid+aliases"}
    keys = {"pipeline", "ndcg@10", "recall@1", "recall@5", "recall@10", "recall@100", "mrr@10", "p50_ms"}
    assert all(set(r) == keys for r in out["rows"])
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".md"]


def test_a_missing_dataset_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as m:
        m.setenv("ASSISTANT_PATHS__BENCH_DIR", str(tmp_path))
        assert cli.main(["--dataset", "pubmedqa"]) == 2
    assert "benchmark data not found" in capsys.readouterr().err


def test_ir_metrics_on_a_hand_worked_ranking() -> None:
    ranked, relevant = ["a", "x", "b", "y"], {"a", "b", "c"}
    assert ndcg(ranked, relevant, 10) == pytest.approx((1 + 1 / 2) / (1 + 1 / 1.584962500721156 + 1 / 2))
    assert recall(ranked, relevant, 1) == pytest.approx(1 / 3) and recall(ranked, relevant, 10) == pytest.approx(2 / 3)
    assert reciprocal_rank(["x", "a"], relevant) == 0.5 and reciprocal_rank(["x"], relevant) == 0.0


def test_aliases_are_learned_while_indexing_and_stored_with_the_index(seeded: Assistant) -> None:
    pairs, stale = seeded.store.learned_aliases()
    assert not stale
    assert {("Imiquimod", "Imi"), ("Imatinib mesylate", "STI571"), ("Imatinib mesylate", "Gleevec")} <= set(pairs)
    assert "STI571" in seeded.retriever.expand("what does Gleevec do")


def test_scores_are_absolute_not_relative_to_the_best_hit(seeded: Assistant) -> None:
    on_topic = seeded.retriever.retrieve("how does imiquimod activate mast cells")
    off_topic = seeded.retriever.retrieve("what is the boiling point of liquid nitrogen")
    assert all(0.0 <= p.score <= 1.0 for p in on_topic + off_topic)
    assert on_topic[0].score > 2 * off_topic[0].score
