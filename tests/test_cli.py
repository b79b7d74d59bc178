"""The real `assistant` command: bad input gets one clear line, a non-zero exit, and an intact index."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.conftest import run_cli


@pytest.fixture()
def index_copy(tmp_path: Path, seeded_dir: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(seeded_dir, target)
    return target


def _documents(index_dir: Path) -> list[str]:
    proc = run_cli("documents", index_dir=index_dir)
    assert proc.returncode == 0, proc.stderr
    return sorted(proc.stdout.splitlines())


def _bad_files(tmp: Path) -> dict[str, Path]:
    files = {
        "binary": tmp / "image.txt",
        "latin1": tmp / "latin1.txt",
        "empty": tmp / "empty.md",
        "missing": tmp / "missing.txt",
    }
    files["binary"].write_bytes(bytes(range(256)) * 40)
    files["latin1"].write_bytes("Imatinib réduit les cellules T régulatrices.".encode("latin-1"))
    files["empty"].write_bytes(b"")
    return files


@pytest.mark.parametrize("kind", ["binary", "latin1", "empty", "missing"])
def test_bad_file_is_one_clear_line_and_changes_nothing(index_copy: Path, tmp_path: Path, kind: str) -> None:
    before = _documents(index_copy)
    bad = _bad_files(tmp_path)[kind]
    proc = run_cli("index", str(bad), index_dir=index_copy)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and bad.name in errors[0], proc.stderr
    assert _documents(index_copy) == before


@pytest.mark.parametrize(("question", "needle"), [("", "empty"), ("x" * 20_000, "limit")])
def test_bad_question_is_one_clear_line(index_copy: Path, question: str, needle: str) -> None:
    proc = run_cli("ask", question, index_dir=index_copy)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_folder_with_bad_files_indexes_the_good_ones_and_lists_the_rest(index_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    _bad_files(folder)
    (folder / "paper.docx").write_bytes(b"PK\x03\x04")
    (folder / "good.md").write_text("# Note\n\nImiquimod cream is applied to the skin three times a week.\n")
    proc = run_cli("index", str(folder), index_dir=index_copy)
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout
    for name in ("image.txt", "latin1.txt", "empty.md", "paper.docx"):
        assert name in proc.stderr
    assert len(_documents(index_copy)) == 3


def test_remove_and_ask_json_from_the_shell(index_copy: Path) -> None:
    proc = run_cli("remove", "000_d70bce7e43d09f54.txt", index_dir=index_copy)
    assert proc.returncode == 0 and "removed" in proc.stdout
    proc = run_cli("ask", "how does imiquimod activate dendritic cells", "--json", index_dir=index_copy)
    answer = json.loads(proc.stdout)
    assert all(c["source"] != "000_d70bce7e43d09f54.txt" for c in answer["citations"])


@pytest.mark.parametrize("args", [("--top-k", "abc"), ("--mode", "bogus")])
def test_an_argument_error_is_one_line_and_json_with_json(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_cli("ask", "imatinib", *args, "--json", index_dir=tmp_path / "index", timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert args[0] in json.loads(done.stdout)["error"]


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """`assistant settings | true`: the pipe closes before the table is written."""
    command = [sys.executable, "-m", "assistant.app.cli", "settings"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    errors = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1 and "Traceback" not in errors, errors
