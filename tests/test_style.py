"""The house's size rules, checked on every Python file of the project: no module past 400 lines, no function past
60 (a longer one is two ideas; a longer module, two homes), and no `utils` grab-bag module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("assistant", "bench", "eval", "tests")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def python_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if ".bench-cache" not in p.parts)


def oversized(path: Path, root: Path = ROOT) -> list[str]:
    """What in one file breaks a size rule, as 'file: what (n lines)'."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(root).as_posix()
    found = []
    if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
        found.append(f"{name}: the module ({lines} lines)")
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.end_lineno is None:
            continue
        if (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
            found.append(f"{name}: {node.name} ({length} lines)")
    return found


def test_the_project_has_python_files_to_check() -> None:
    assert len(python_files()) > 100


def test_no_module_or_function_past_its_size() -> None:
    assert [line for path in python_files() for line in oversized(path)] == []


def test_no_utils_module() -> None:
    assert [p for p in python_files() if p.stem in {"utils", "util", "misc", "common"}] == []


@pytest.mark.parametrize(("body", "lines"), [("    x = 1\n" * 60, 61), ("    x = 1\n" * 59, None)])
def test_the_rule_catches_a_long_function(tmp_path: Path, body: str, lines: int | None) -> None:
    path = tmp_path / "probe.py"
    path.write_text("def long_one():\n" + body, encoding="utf-8")
    assert oversized(path, tmp_path) == ([f"probe.py: long_one ({lines} lines)"] if lines else [])


def test_the_rule_catches_a_long_module(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text("x = 1\n" * 401, encoding="utf-8")
    assert oversized(path, tmp_path) == ["probe.py: the module (401 lines)"]
