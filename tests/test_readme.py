"""The README and docs/ stay true to the code.

The settings page is exactly what `assistant settings --markdown` prints; the README's set-up commands are make
targets that do what the README says of them; CI runs `make test`; every path and link the pages name exists.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, IngestSettings
from tests.conftest import run_cli

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
PAGE_IDS = [str(p.relative_to(PROJECT_ROOT)) for p in PAGES]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
REPO_PREFIXES = ("assistant/", "tests/", "bench/", "eval/", "docs/", "prompts/", "seeds/", ".ci/")
PLACEHOLDER = re.compile(r"[<{*|]|\.\.\.")

# What the README's comment on each set-up command may claim, and the command the dry run must then show:
# a keyword of the comment -> (program, first argument or None).
CLAIMS: dict[str, tuple[str, str | None]] = {
    "index": ("assistant", "index"),
    "serve": ("assistant", "serve"),
    "ruff": ("ruff", "check"),
    "mypy": ("mypy", None),
    "pytest": ("pytest", None),
}
# What each set-up command must at least claim (and so do).
REQUIRED = {"run": {"index", "serve"}, "test": {"ruff", "mypy", "pytest"}}


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", _text(page))


def _commands(script: str) -> list[list[str]]:
    """Simple shell commands of a script (comments dropped; split at ;, &&, ||, |), each as its words with
    leading variable assignments and `exec`/`time`/`command` removed."""
    commands = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in [*lexer, ";"]:
            if set(token) <= set(";&|"):
                while current and (re.match(r"^\w+=", current[0]) or current[0] in {"exec", "time", "command"}):
                    current.pop(0)
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
    return commands


def _runs(commands: list[list[str]], program: str, argument: str | None) -> bool:
    return any(Path(words[0]).name == program and (argument is None or argument in words[1:]) for words in commands)


# --- the settings page is generated ---------------------------------------------------------------------------


def test_settings_page_is_exactly_the_generated_table(tmp_path: Path) -> None:
    printed = run_cli("settings", "--markdown", index_dir=tmp_path)
    assert printed.returncode == 0, printed.stderr
    table = printed.stdout.splitlines()
    assert len(table) > 2, "assistant settings --markdown printed no rows"
    page = [line for line in _text(DOCS / "settings.md").splitlines() if line.startswith("|")]
    assert page == table, "docs/settings.md is stale: regenerate it with `assistant settings --markdown`"


# --- the README's set-up commands ------------------------------------------------------------------------------


def _setup_commands() -> dict[str, str]:
    """{make target: the README's comment on it} for every `make` line of the README's code blocks."""
    found = {}
    for block in FENCE.findall(_text(README)):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            words = command.split()
            if words[:1] == ["make"]:
                assert len(words) == 2, f"a set-up command names one target: {line!r}"
                found[words[1]] = comment.lower()
    return found


def test_the_readme_sets_up_with_exactly_make_run_and_make_test() -> None:
    found = sorted(_setup_commands())
    assert found == ["run", "test"], f"the README's set-up is `make run` and `make test`, not {found}"


def _dry_run(target: str) -> list[list[str]]:
    """The commands `make TARGET` would run, without running them."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    done = subprocess.run(
        ["make", "-n", target], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, f"make -n {target} failed: {done.stderr}"
    return _commands(done.stdout)


@pytest.mark.parametrize("target", sorted(REQUIRED))
def test_each_setup_command_does_what_the_readme_says(target: str) -> None:
    comment = _setup_commands()[target]
    claimed = {keyword for keyword in CLAIMS if re.search(rf"\b{keyword}", comment)}
    assert claimed >= REQUIRED[target], f"the README's `make {target}` comment says only {sorted(claimed)}"
    commands = _dry_run(target)
    missing = [keyword for keyword in sorted(claimed) if not _runs(commands, *CLAIMS[keyword])]
    assert not missing, f"the README says `make {target}` does {missing}; its dry run does not: {commands}"


def test_make_run_indexes_before_it_serves() -> None:
    steps = [words[1] for words in _dry_run("run") if Path(words[0]).name == "assistant"]
    assert steps == ["index", "serve"]


# --- CI runs the README's test command ---------------------------------------------------------------------------


def test_ci_executes_make_test() -> None:
    script = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = _commands(script)
    runs_test = [i for i, words in enumerate(commands) if words[0] == "make" and "test" in words[1:]]
    assert runs_test, "`.ci/run` does not run `make test` (a comment does not count)"
    errexit = any(words[:1] == ["set"] and any(re.match(r"^-\w*e", w) for w in words[1:]) for words in commands)
    assert errexit or runs_test[-1] == len(commands) - 1, "a failing `make test` must fail CI"
    assert os.access(PROJECT_ROOT / ".ci" / "run", os.X_OK), "`.ci/run` is not executable"


def test_the_command_parser_ignores_comments() -> None:
    """The checker itself: a mention in a comment is no command; one after `&&` is."""
    assert not _runs(_commands("# then make test\necho make test"), "make", "test")
    assert _runs(_commands("cd /x && make test  # CI"), "make", "test")


# --- every path and link named exists ------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_\[\]()]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in HEADING.findall(_prose(page))}


def _repo_paths(page: Path) -> list[str]:
    """Backticked words of the page's prose that look like repository paths."""
    found = []
    for code in INLINE_CODE.findall(_prose(page)):
        for word in code.split():
            word = word.strip("()[],;:'\"").rstrip(".")
            if word.startswith(REPO_PREFIXES):
                found.append(word)
    return found


def _exists(path: str) -> bool:
    """A path, or for a pattern (`eval/reports/<date>-x.md`) the folder before its first placeholder."""
    hole = PLACEHOLDER.search(path)
    if hole:
        path = path[: hole.start()].rpartition("/")[0]
    return (PROJECT_ROOT / path).exists()


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_backticked_repo_path_exists(page: Path) -> None:
    missing = [path for path in _repo_paths(page) if not _exists(path)]
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(page)):
        if re.match(r"^[a-z][a-z+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        missing_anchor = bool(anchor) and linked.suffix == ".md" and linked.exists() and anchor not in _anchors(linked)
        if not linked.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{page.name} has broken links: {broken}"


def _layout() -> list[str]:
    """The paths of the README's Layout tree, one entry a line, nested by two spaces."""
    section = _text(README).split("\n## Layout\n", 1)[1]
    tree = FENCE.search(section)
    assert tree, "the README's Layout has no tree"
    paths: list[str] = []
    folders: list[str] = []
    for line in tree.group(1).splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        folders = folders[:depth]
        paths.append("/".join([*folders, name.rstrip("/")]))
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
    return paths


def test_every_path_of_the_layout_exists() -> None:
    paths = _layout()
    assert "assistant/api.py" in paths and "Makefile" in paths
    missing = [path for path in paths if not (PROJECT_ROOT / path).exists()]
    assert not missing, f"the README's Layout names paths that do not exist: {missing}"


def test_the_layout_shows_every_package_folder() -> None:
    folders = {
        str(path.parent.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "assistant").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    unlisted = sorted(folders - set(_layout()))
    assert not unlisted, f"add these folders to the README's Layout: {unlisted}"


def test_the_extending_example_passes_the_linters_and_loads_a_document(tmp_path: Path) -> None:
    """The README's new-format example, as a user would paste it: lint-clean under the project's rules, and working."""
    marker = "# assistant/ingest/documents/rst.py\n"
    (code,) = [block for block in FENCE.findall(_text(README)) if block.startswith(marker)]
    module = tmp_path / "rst.py"
    module.write_text(code)
    ruff = PROJECT_ROOT / ".venv" / "bin" / "ruff"
    lint = subprocess.run(
        [str(ruff), "check", "--config", str(PROJECT_ROOT / "pyproject.toml"), str(module)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    namespace: dict[str, object] = {}
    exec(compile(code, str(module), "exec"), namespace)
    data = b"Imatinib and Treg\n=================\n\n.. note:: a directive\n\nImatinib impaired Treg function.\n"
    (document,) = namespace["parse_rst"](Path("paper.rst"), data, "paper.rst", IngestSettings())  # type: ignore[operator]
    assert document.metadata.title == "Imatinib and Treg" and "impaired Treg" in document.text
    assert "directive" not in document.text
