"""The README and CI stay true to the code."""

from __future__ import annotations

from assistant.settings import PROJECT_ROOT, settings_table

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for env, _typ, default, description in settings_table():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{env}` |")), None)
        assert row is not None, f"{env} is missing from the README settings table"
        assert f"`{default}`" in row and description in row, f"README row for {env} is out of date"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make run" in README and "make test" in README
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
