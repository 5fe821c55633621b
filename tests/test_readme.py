"""The README says what the bot does: its first commands, and its command list, which
must be the command table's."""

from __future__ import annotations

from pathlib import Path

from adapters.discord.syntax import group_of
from bot.commands import COMMANDS, TEXT, command_lines

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


def test_the_readme_lists_the_command_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = "\n".join(command_lines(TEXT))
    assert f"```\n{block}\n```" in readme, "regenerate the list: bot.commands.command_lines"


def test_the_discord_readme_names_every_discord_command() -> None:
    readme = (ROOT / "adapters" / "discord" / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        group = group_of(command)
        assert f"/{group} {command.name}" in readme or f"`{command.name}`" in readme, command.name


def test_the_benchmarks_table_is_bench_runs() -> None:
    # `python -m bench.run --table --readme` writes bench/results/summary.md into it.
    from bench.run import README_END, README_START

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = (ROOT / "bench" / "results" / "summary.md").read_text(encoding="utf-8")
    assert f"{README_START}\n{table}{README_END}" in readme
