"""Run a gold set through the assistant on a fresh temporary index of the seeds.

The mode is a parameter: a mode is usable when `AnswerSettings.mode` accepts it, so the LLM mode
plugs in by adding it there (and an LLM judge, if any, through `judge`). The user's `index/` and
any configured Chroma server are never touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import InputError
from assistant.evaluation.gold import GoldRecord, load_gold, suite_path
from assistant.evaluation.metrics import MRR_DEPTH, Outcome
from assistant.models import ANSWER_MODES
from assistant.settings import Settings, load_settings

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.models import Answer
    from assistant.store.embeddings import Embedder

Judge = Callable[[GoldRecord, "Answer"], float]  # correctness in [0, 1] of an answer against the gold record


@dataclass(frozen=True)
class EvalRun:
    """The outcomes of one gold set in one mode, with the settings that produced them."""

    suite: str
    mode: str
    outcomes: tuple[Outcome, ...]
    setup: dict[str, object] = field(default_factory=dict)  # what the report prints about the run


def check_mode(mode: str) -> None:
    """Raise a one-line InputError when the answer step cannot run in `mode`."""
    if mode not in ANSWER_MODES:
        raise InputError(f"unknown mode {mode!r}; modes: {', '.join(ANSWER_MODES)}")


def eval_settings(base: Settings, mode: str, index_dir: Path) -> Settings:
    """`base` with a private index folder, no Chroma server, and the answer mode under test."""
    return base.model_copy(
        update={
            "paths": base.paths.model_copy(update={"index_dir": index_dir}),
            "store": base.store.model_copy(update={"chroma_url": ""}),
            "answer": base.answer.model_copy(update={"mode": mode}),
        }
    )


def run_eval(
    suite: str = "seeds",
    mode: str = "extractive",
    *,
    base: Settings | None = None,
    embedder: Embedder | None = None,
    judge: Judge | None = None,
    gold: list[GoldRecord] | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalRun:
    """Index the seeds into a temporary folder, ask every gold question, and collect the outcomes."""
    check_mode(mode)  # before the heavy imports: a mode that cannot run fails at once
    from assistant.api import Assistant

    say = progress or (lambda _: None)
    records = gold if gold is not None else load_gold(suite_path(suite))
    base = base or load_settings()
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        settings = eval_settings(base, mode, Path(tmp) / "index")
        say(f"indexing {settings.paths.seeds_dir} into a temporary index")
        assistant = Assistant(settings, embedder=embedder)
        say(f"asking {len(records)} questions in {mode} mode")
        outcomes = tuple(_outcome(assistant, r, judge) for r in records)
        setup = _setup(assistant)
    return EvalRun(suite, mode, outcomes, setup)


def _outcome(assistant: Assistant, record: GoldRecord, judge: Judge | None) -> Outcome:
    answer = assistant.ask(record.question)
    # Retrieval is deterministic, so a second, deeper call sees the passages the answer saw, and more.
    passages = assistant.retriever.retrieve(record.question, MRR_DEPTH)
    retrieved = tuple((p.document.source, p.chunk.text) for p in passages)
    judgement = judge(record, answer) if judge and record.answerable else None
    return Outcome(record, answer, retrieved, judgement)


def _setup(assistant: Assistant) -> dict[str, object]:
    s = assistant.settings
    return {
        "index": "a fresh temporary index of the seeds folder",
        "documents": sorted(r.source for r in assistant.documents()),
        "embedding_model": s.embedding.model,
        "chunk_tokens": s.chunking.chunk_tokens,
        "overlap_tokens": s.chunking.overlap_tokens,
        "top_k": s.retrieval.top_k,
        "answer": s.answer.model_dump(),
    }
