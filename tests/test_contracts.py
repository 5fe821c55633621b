"""The checks that keep the layout honest: import contracts (import-linter) and types (mypy).

Both read their configuration from pyproject.toml. The contracts say that the core
imports no chat platform SDK and never the adapters, that the front ends reach the core
only through its public face (facade, command table, outbound port, models, errors) and
not each other, and that the core's packages import only the layers below them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_import_contracts_are_kept() -> None:
    result = run(str(BIN / "lint-imports"), "--config", str(ROOT / "pyproject.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails(tmp_path: Path) -> None:
    # The same checker, told that the facade may not use the command table it runs.
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["bot"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "no table"\ntype = "forbidden"\n'
        'source_modules = ["bot.api"]\nforbidden_modules = ["bot.commands"]\n'
    )
    result = run(str(BIN / "lint-imports"), "--config", str(config))
    assert result.returncode != 0 and "BROKEN" in result.stdout


def test_types_check() -> None:
    result = run(sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_call_fails_the_type_check(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from bot.api import PaperService\n\nPaperService(store=3)\n")
    result = run(sys.executable, "-m", "mypy", "--ignore-missing-imports", str(wrong))
    assert result.returncode == 1 and "incompatible type" in result.stdout


def test_lint_is_clean() -> None:
    check = run(str(BIN / "ruff"), "check", ".")
    assert check.returncode == 0, check.stdout
    formatted = run(str(BIN / "ruff"), "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout
