"""The README's first lines are the commands a new user runs; CI runs the same test one."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent


def first_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("```sh") + 1
    return lines[start : start + 2]


def test_readme_opens_with_the_two_commands() -> None:
    main_job, tests = first_commands()
    assert main_job.endswith("pip install . && paperbot trending")
    assert tests.endswith("python -m pytest")
    assert (ROOT / "README.md").read_text(encoding="utf-8").index("```sh") < 40


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, tests = first_commands()
    command = tests.split(". .venv/bin/activate && ", 1)[1]  # CI makes its own venv
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci
