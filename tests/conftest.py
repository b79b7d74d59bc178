"""Shared fixtures: real Chroma indexes in temporary folders and the real embedding model."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import assistant  # noqa: F401  (offline environment first)
from assistant.api import Assistant
from assistant.settings import PROJECT_ROOT, Settings, load_settings
from assistant.store.embeddings import Embedder, SentenceTransformerEmbedder

SEEDS = PROJECT_ROOT / "seeds"
IMIQUIMOD = "000_d70bce7e43d09f54.txt"
IMATINIB = "003_82ced8ffe1d35513.txt"


def make_settings(index_dir: Path, **sections: dict[str, object]) -> Settings:
    paths = {"index_dir": index_dir, "seeds_dir": SEEDS}
    return load_settings(paths=paths | sections.pop("paths", {}), **sections)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return SentenceTransformerEmbedder(load_settings().embedding)


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """An index of the two seeds, built once per session; tests copy it rather than change it."""
    index_dir = tmp_path_factory.mktemp("seeded") / "index"
    Assistant(make_settings(index_dir), embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def seeded(seeded_dir: Path, embedder: Embedder) -> Assistant:
    """A read-only assistant over the seeds; do not index into it."""
    return Assistant(make_settings(seeded_dir), embedder=embedder)


@pytest.fixture()
def fresh(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> Iterator[Assistant]:
    """A writable copy of the seeded index, closed after the test (its descriptors given back)."""
    index_dir = tmp_path / "index"
    shutil.copytree(seeded_dir, index_dir)
    with Assistant(make_settings(index_dir), embedder=embedder) as writable:
        yield writable


def run_cli(
    *args: str, index_dir: Path, timeout: float = 180, prefix: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """The real `assistant` command in a new process (`prefix`: a command it runs under)."""
    environ = os.environ | {"ASSISTANT_PATHS__INDEX_DIR": str(index_dir), "ASSISTANT_PATHS__SEEDS_DIR": str(SEEDS)}
    command = [sys.executable, "-m", "assistant.app.cli", *args]
    return subprocess.run(
        [*prefix, shlex.join(command)] if prefix else command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ | env,
        cwd=PROJECT_ROOT,
    )


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    yield


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """A file in `tmp_path` with text (UTF-8) or bytes."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
