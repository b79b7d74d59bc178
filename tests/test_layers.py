"""The data path as an import rule: a module may import its own layer and the layers below it, never one above.

The order is written once, in the README's "How it works", and here: `LAYERS`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "assistant"
# Lowest first. The store sits below ingest: indexing writes into it and retrieval reads from it.
LAYERS: list[set[str]] = [
    {"models", "settings", "errors", "environment"},
    {"text"},
    {"store"},
    {"ingest"},
    {"retrieval"},
    {"answer"},
    {"api"},
    {"evaluation"},
    {"app"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> str:
    """`assistant.answer.gate.linking` -> `answer`; `assistant.api` -> `api`."""
    return module.split(".")[1]


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1:  # the package root only re-exports `Assistant`, lazily
            found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every `assistant.*` module imported anywhere in the file, lazy and TYPE_CHECKING imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.startswith("assistant.")]
    return found


def test_every_module_belongs_to_a_layer() -> None:
    unknown = sorted({_layer(m) for m, _ in _modules()} - set(RANK))
    assert not unknown, f"add these to LAYERS (and to the README's How it works): {unknown}"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_no_module_imports_a_layer_above_its_own(module: str, path: Path) -> None:
    own = RANK[_layer(module)]
    upward = [f"line {line}: {name}" for line, name in _imports(path) if RANK[_layer(name)] > own]
    assert not upward, f"{module} ({_layer(module)}) imports up the data path: {upward}"


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a store module importing the answer step is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from assistant.answer.extractive import ExtractiveAnswerer\n")
    assert [RANK[_layer(n)] for _, n in _imports(bad)] == [RANK["answer"]] and RANK["answer"] > RANK["store"]
