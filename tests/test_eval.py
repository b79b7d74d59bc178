"""The eval suite: metrics on hand-made answers, report files, the `eval` command, and the CI gate.

The gate runs the seed gold set in extractive mode on a fresh temporary index with the real model and
checks every `[gate.extractive]` threshold of eval/thresholds.toml.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.app import cli
from assistant.errors import InputError
from assistant.evaluation import report, seeds
from assistant.evaluation.gold import Evidence, GoldRecord, load_gold, suite_path
from assistant.evaluation.metrics import METRICS, Outcome, compute, failure_reasons, holds, metric, percentile
from assistant.evaluation.report import Report, build_report, write_report
from assistant.evaluation.seeds import EvalRun, eval_settings, run_eval
from assistant.evaluation.thresholds import load_thresholds
from assistant.models import Answer, AnswerSentence, Citation
from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store.embeddings import Embedder
from tests.conftest import IMIQUIMOD, SEEDS, run_cli

GOLD = "In reaction to Imi, mast cells release CCL2 messenger substances – a starting signal for tumour killing."
OTHER = "The weather in Vienna was mild that year and nobody talked about it at all."
GATE = load_thresholds("gate", "extractive")
SPLIT_GATES = {suite: load_thresholds("gate", "extractive", suite=suite) for suite in ("heldout", "tune_paraphrase")}


def _record(answerable: bool = True, evidence: tuple[Evidence, ...] | None = None, rid: str = "q") -> GoldRecord:
    if not answerable:
        return GoldRecord(rid, "Is imiquimod sold in Mars?", "No.", False, "unanswerable")
    facts = (("toll-like receptor", "TLR"), ("CCL2",))
    return GoldRecord(
        rid, "What do mast cells release?", "CCL2", True, "mechanism", facts, evidence or (Evidence(IMIQUIMOD, GOLD),)
    )


def _citation(n: int, text: str, source: str = IMIQUIMOD) -> Citation:
    return Citation(n=n, doc_id="d", source=source, title="t", text=text, start=0, end=len(text), score=1.0)


def _answer(sentences: list[tuple[str, tuple[int, ...], bool]], citations: list[Citation]) -> Answer:
    text = " ".join(s for s, _, _ in sentences)
    return Answer("q", text, tuple(citations), False, tuple(AnswerSentence(*s) for s in sentences))


def _refusal(text: str = "I cannot answer that from the documents. TLR and CCL2") -> Answer:
    return Answer("q", text, (), True, (), (_citation(1, GOLD),))


# --- evidence ----------------------------------------------------------------------------------
def test_a_passage_holds_the_whole_gold_sentence_whatever_its_spacing() -> None:
    assert holds(IMIQUIMOD, f"Before.\n{GOLD.replace(' ', '  ', 3)} After.", Evidence(IMIQUIMOD, GOLD))
    assert not holds("other.txt", GOLD, Evidence(IMIQUIMOD, GOLD))
    assert not holds(IMIQUIMOD, OTHER, Evidence(IMIQUIMOD, GOLD))


def test_a_sentence_split_across_chunks_is_held_by_the_chunk_with_most_of_it() -> None:
    words = GOLD.split()
    head, tail = " ".join(words[:10]), " ".join(words[10:])  # 10 of 17 words, then 7
    evidence = Evidence(IMIQUIMOD, GOLD)
    assert holds(IMIQUIMOD, f"{OTHER} {head}", evidence)  # the chunk ends with the sentence's first words
    assert not holds(IMIQUIMOD, f"{tail} {OTHER}", evidence)  # less than half of it
    assert holds(IMIQUIMOD, f"{' '.join(words[5:])} {OTHER}", evidence)  # begins with its last 12 words
    assert not holds(IMIQUIMOD, f"{OTHER} {head} {OTHER}", evidence)  # a fragment inside a chunk is no split


def test_metadata_evidence_is_held_by_any_passage_of_its_document() -> None:
    assert holds(IMIQUIMOD, OTHER, Evidence(IMIQUIMOD, metadata="journal"))
    assert not holds("other.txt", OTHER, Evidence(IMIQUIMOD, metadata="journal"))


# --- metrics -----------------------------------------------------------------------------------
def test_citation_precision_counts_citations_that_hold_gold_or_verify() -> None:
    answer = _answer(
        [("Mast cells release CCL2.", (1,), True), ("The weather was mild.", (2,), False), ("TLR.", (3,), True)],
        [_citation(1, GOLD), _citation(2, OTHER), _citation(3, OTHER)],
    )
    values = compute([Outcome(_record(), answer)])
    assert values["citation_precision"] == pytest.approx(2 / 3)  # [1] holds, [3] verifies, [2] neither
    assert values["citation_evidence_precision"] == pytest.approx(1 / 3)
    assert failure_reasons(Outcome(_record(), answer))[-1] == "citation [2] neither holds gold evidence nor verifies"


def test_an_answer_citing_only_another_paper_is_from_the_wrong_document() -> None:
    right = _answer([("Mast cells release CCL2.", (1,), True)], [_citation(1, GOLD)])
    both = _answer([("CCL2.", (1,), True), ("Imatinib.", (2,), True)], [_citation(1, OTHER), _citation(2, OTHER, "x")])
    wrong = _answer([("Imatinib inhibits Treg.", (1,), True)], [_citation(1, OTHER, "imatinib.txt")])
    outcomes = [Outcome(_record(), right), Outcome(_record(), both), Outcome(_record(), wrong)]
    outcomes += [Outcome(_record(), _refusal()), Outcome(_record(False), wrong)]  # neither counts
    assert compute(outcomes)["right_document"] == pytest.approx(2 / 3)
    assert failure_reasons(Outcome(_record(), wrong))[0] == "answered from another document only"
    assert "answered from another document only" not in failure_reasons(Outcome(_record(), both))


def test_an_unsupported_sentence_lowers_faithfulness_and_refusals_are_left_out() -> None:
    supported = _answer([("Mast cells release CCL2.", (1,), True)], [_citation(1, GOLD)])
    mixed = _answer(
        [("CCL2.", (1,), True), ("Mild weather.", (1,), False), ("No cite.", (), True)], [_citation(1, GOLD)]
    )
    outcomes = [Outcome(_record(), supported), Outcome(_record(), mixed), Outcome(_record(False), _refusal())]
    assert compute(outcomes)["faithfulness"] == pytest.approx(2 / 4)


def test_refusal_precision_and_recall_treat_refusal_as_the_positive_prediction() -> None:
    answered = _answer([("Mast cells release CCL2.", (1,), True)], [_citation(1, GOLD)])
    outcomes = [
        Outcome(_record(False), _refusal()),  # true positive
        Outcome(_record(False), answered),  # false negative
        Outcome(_record(True), _refusal()),  # false positive: an answerable question refused
        Outcome(_record(True), answered),  # true negative
        Outcome(_record(True), answered),
    ]
    values = compute(outcomes)
    assert values["refusal_precision"] == pytest.approx(1 / 2)
    assert values["refusal_recall"] == pytest.approx(1 / 2)
    assert failure_reasons(outcomes[1]) == ["answered an unanswerable question"]
    assert failure_reasons(outcomes[2]) == ["refused an answerable question"]


def test_key_fact_recall_accepts_any_phrasing_and_a_refusal_scores_zero() -> None:
    half = _answer([("Mast cells react to TLR ligands.", (1,), True)], [_citation(1, GOLD)])
    outcomes = [Outcome(_record(), half), Outcome(_record(), _refusal()), Outcome(_record(False), half)]
    assert compute(outcomes)["key_fact_recall"] == pytest.approx((1 / 2 + 0) / 2)  # the unanswerable one is left out
    assert failure_reasons(outcomes[0]) == ["key fact missing: CCL2"]


def test_citation_recall_is_the_share_of_gold_evidence_cited() -> None:
    evidence = (Evidence(IMIQUIMOD, GOLD), Evidence(IMIQUIMOD, OTHER))
    answer = _answer([("Mast cells release CCL2 after TLR.", (1,), True)], [_citation(1, f"Intro. {GOLD}")])
    values = compute([Outcome(_record(evidence=evidence), answer), Outcome(_record(evidence=evidence), _refusal())])
    assert values["citation_recall"] == pytest.approx((1 / 2 + 0) / 2)


def test_hit_at_k_and_mrr_use_the_rank_of_the_first_passage_holding_evidence() -> None:
    at_two = ((IMIQUIMOD, OTHER), (IMIQUIMOD, GOLD), (IMIQUIMOD, GOLD))
    answer = _answer([("CCL2 and TLR.", (1,), True)], [_citation(1, GOLD)])
    values = compute([Outcome(_record(), answer, at_two), Outcome(_record(), answer, ((IMIQUIMOD, OTHER),))])
    assert (values["hit_at_1"], values["hit_at_5"], values["mrr"]) == (0.0, 0.5, pytest.approx(0.25))


def test_latency_percentiles_are_nearest_rank() -> None:
    assert percentile([float(v) for v in range(100, 0, -1)], 50) == 50.0
    assert percentile([float(v) for v in range(1, 101)], 95) == 95.0
    assert percentile([10.0, 20.0], 95) == 20.0
    assert percentile([], 50) is None


def test_a_new_metric_is_one_registered_function() -> None:
    @metric("refused_share")
    def refused_share(outcomes: Sequence[Outcome]) -> float:
        """Share of questions refused."""
        return sum(o.answer.refused for o in outcomes) / len(outcomes)

    try:
        values = compute([Outcome(_record(), _refusal()), Outcome(_record(False), _answer([], []))])
        assert values["refused_share"] == 0.5
        assert METRICS["refused_share"].definition == "Share of questions refused."
    finally:
        del METRICS["refused_share"]


# --- thresholds, gold, settings ----------------------------------------------------------------
def test_thresholds_hold_the_issue_targets_and_check_min_max_and_exact(tmp_path: Path) -> None:
    targets = {name: str(t) for name, t in load_thresholds("targets", "extractive").items()}
    assert targets == {
        "key_fact_recall": ">= 0.9",
        "refusal_recall": "= 1",
        "citation_precision": ">= 0.95",
        "faithfulness": "= 1",
    }
    toml = tmp_path / "t.toml"
    toml.write_text("[gate.m]\nmin_mrr = 0.5\nmax_latency_p95_ms = 100\nfaithfulness = 1.0\n")
    gate = load_thresholds("gate", "m", toml)
    assert gate["mrr"].met(0.5) and not gate["mrr"].met(0.49) and not gate["mrr"].met(None)
    assert gate["latency_p95_ms"].met(100) and not gate["latency_p95_ms"].met(101)
    assert gate["faithfulness"].met(1.0) and not gate["faithfulness"].met(0.99)
    toml.write_text("[gate.m]\nmin_typo = 0.5\n")
    with pytest.raises(InputError, match="typo"):
        load_thresholds("gate", "m", toml)


def test_gold_loads_typed_records() -> None:
    records = load_gold(suite_path("seeds"))
    assert len(records) >= 40 and all(isinstance(r, GoldRecord) for r in records)
    assert any(e.metadata == "journal" and e.sentence is None for r in records for e in r.evidence)
    assert suite_path("seeds") == suite_path("tune") and suite_path("seeds").name == "tune.jsonl"
    with pytest.raises(InputError, match="no gold set"):
        suite_path("nope")


def test_eval_settings_never_point_at_the_users_index_or_server(tmp_path: Path) -> None:
    base = load_settings(paths={"index_dir": PROJECT_ROOT / "index"}, store={"chroma_url": "http://db:8000"})
    settings = eval_settings(base, "extractive", tmp_path / "index")
    assert settings.paths.index_dir == tmp_path / "index" and settings.store.chroma_url == ""
    assert settings.retrieval == base.retrieval and settings.paths.seeds_dir == base.paths.seeds_dir


def test_llm_mode_fails_with_one_clear_line(tmp_path: Path) -> None:
    proc = run_cli("eval", "seeds", "--mode", "llm", index_dir=tmp_path / "index", timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "LLM" in proc.stderr and "none is configured" in proc.stderr


# --- reports -----------------------------------------------------------------------------------
def _run(refuse: bool) -> EvalRun:
    answer = _refusal() if refuse else _answer([("Mast cells release CCL2 via TLR.", (1,), True)], [_citation(1, GOLD)])
    return EvalRun("seeds", "extractive", (Outcome(_record(), answer), Outcome(_record(False), _refusal())))


def test_reports_compare_with_the_previous_one_and_list_failures(tmp_path: Path) -> None:
    old = write_report(build_report(_run(refuse=False), "2000-01-01"), tmp_path)
    assert [p.name for p in old] == [
        "2000-01-01-extractive.json",
        "2000-01-01-extractive.md",
        "2000-01-01-extractive.png",
    ]
    new = write_report(build_report(_run(refuse=True), "2000-01-02"), tmp_path)
    data = json.loads(new[0].read_text())
    assert data["metrics"]["key_fact_recall"] == 0.0 and data["n"] == 2
    assert data["gate"]["faithfulness"] == "= 1" and data["targets"]["key_fact_recall"] == ">= 0.9"
    assert [f["id"] for f in data["failures"]] == ["q"]
    markdown = new[1].read_text()
    assert "| key_fact_recall | 0.000 | 1.000 | >= 0.9 |" in markdown  # value, previous (2000-01-01), target
    assert "previous (2000-01-01)" in markdown and "**refused an answerable question**" in markdown
    assert "| mechanism | 1 |" in markdown and "- **faithfulness**:" in markdown
    assert new[2].read_bytes().startswith(b"\x89PNG")
    assert Report.from_json(data).metrics == data["metrics"]


@pytest.fixture(scope="module")
def seed_run(embedder: Embedder) -> EvalRun:
    return run_eval("seeds", "extractive", base=load_settings(paths={"seeds_dir": SEEDS}), embedder=embedder)


@pytest.fixture(scope="module")
def seed_report(seed_run: EvalRun) -> Report:
    return build_report(seed_run)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GATE))
def test_seed_eval_meets_the_gate(seed_report: Report, name: str) -> None:
    value, threshold = seed_report.metrics[name], GATE[name]
    failing = ", ".join(f["id"] for f in seed_report.failures)
    assert threshold.met(value), f"{name} = {value} misses the gate {threshold}; failing questions: {failing}"


@pytest.fixture(scope="module")
def split_reports(embedder: Embedder) -> dict[str, Report]:
    settings = load_settings(paths={"seeds_dir": SEEDS})
    return {s: build_report(run_eval(s, "extractive", base=settings, embedder=embedder)) for s in SPLIT_GATES}


@pytest.mark.slow
@pytest.mark.parametrize(("suite", "name"), [(s, n) for s, gate in SPLIT_GATES.items() for n in sorted(gate)])
def test_other_splits_meet_their_gates(split_reports: dict[str, Report], suite: str, name: str) -> None:
    """The held-out split and the paraphrased tune split are gated too: a change that answers them worse fails
    (their targets are reported, not met)."""
    value, threshold = split_reports[suite].metrics[name], SPLIT_GATES[suite][name]
    assert threshold.met(value), f"{suite} {name} = {value} misses the gate {threshold}"


def test_each_split_has_its_own_thresholds() -> None:
    assert all(gate and gate.keys() != GATE.keys() for gate in SPLIT_GATES.values())
    assert str(load_thresholds("targets", "extractive", suite="heldout")["key_fact_recall"]) == ">= 0.9"


@pytest.mark.slow
def test_seed_eval_asks_every_gold_question_on_the_seeds(seed_run: EvalRun) -> None:
    assert [o.record.id for o in seed_run.outcomes] == [r.id for r in load_gold(suite_path("seeds"))]
    assert seed_run.setup["documents"] == sorted(p.name for p in SEEDS.iterdir())
    assert all(o.retrieved for o in seed_run.outcomes)


@pytest.fixture()
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(report, "REPORTS_DIR", tmp_path)
    yield tmp_path


@pytest.mark.slow
def test_eval_command_prints_json_and_writes_the_report(
    seed_run: EvalRun, reports_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(seeds, "run_eval", lambda suite, mode, progress: replace(seed_run, mode=mode))
    assert cli.main(["eval", "seeds", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"n", "metrics", "failures"} and printed["n"] == len(seed_run.outcomes)
    assert set(printed["metrics"]) == set(METRICS) and printed["metrics"] == json.loads(
        json.dumps(compute(seed_run.outcomes))
    )
    assert all({"question", "answer", "citations", "reasons"} <= set(f) for f in printed["failures"])
    assert sorted(p.suffix for p in reports_dir.iterdir()) == [".json", ".md", ".png"]
