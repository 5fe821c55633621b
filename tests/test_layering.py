"""The core (bot/) must never import a chat platform SDK."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"discord", "slack_bolt", "slack_sdk", "aiohttp"}
CORE = Path(__file__).parent.parent / "bot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_sdk() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        str(f.relative_to(CORE.parent)): sorted(imported_modules(f) & FORBIDDEN)
        for f in files
        if imported_modules(f) & FORBIDDEN
    }
    assert offenders == {}


def test_checker_sees_an_sdk_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom discord import Embed\nimport slack_bolt.app\n")
    assert imported_modules(bad) & FORBIDDEN == {"discord", "slack_bolt"}
