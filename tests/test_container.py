"""The container set-up, checked without a Docker engine: the Dockerfile read line by line
and compose.yaml with a YAML parser, then every command they run (the image's default,
its health check, each compose service's bot) run here through the real `paperbot`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from adapters.cli import build_parser
from bot.config import DiscordSettings, Settings, SlackSettings, load
from tests.adapters.cli.conftest import PROCESS_TIMEOUT, environment, filled_db
from tests.adapters.discord.conftest import fake_discord
from tests.adapters.discord.fake_discord import FakeDiscord

__all__ = ["fake_discord", "filled_db"]  # fixtures of the adapters' tests, used here too

ROOT = Path(__file__).parent.parent
PAPERBOT = Path(sys.executable).parent / "paperbot"  # the command the image's pip installs

# Variables of paperbot's own names that no settings class reads: the image's health
# check reads this one (the README's Configuration and .env.example document it).
DOCKER_ONLY = {"PAPERBOT_HEALTH_URL"}
# Other programs' variables the files may set: Python's, pip's, the postgres image's.
THEIRS = {
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "POSTGRES_USER",
    "POSTGRES_DB",
    "POSTGRES_PASSWORD",
}
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|cc|make|cmake|rustc|cargo)\b")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def variable(model: type[BaseSettings], field: str) -> str:
    alias = model.model_fields[field].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


SETTINGS = {
    variable(m, f) for m in (Settings, SlackSettings, DiscordSettings) for f in m.model_fields
}


# --- the Dockerfile, line by line -----------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    stage: int
    name: str
    args: str

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list), f"{self.name} is not in exec form: {self.args}"
        return [str(v) for v in value]


def instructions() -> list[Instruction]:
    """Each instruction with its stage (0 for the first FROM); continuation lines joined,
    comments (and parser directives) left out, as Docker reads them."""
    found: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        name, _, args = pending.partition(" ")
        pending = ""
        if name.upper() == "FROM":
            stage += 1
        found.append(Instruction(stage, name.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def stage(n: int) -> list[Instruction]:
    every = instructions()
    last = max(i.stage for i in every)
    return [i for i in every if i.stage == (last if n == -1 else n)]


def only(name: str, of: list[Instruction]) -> Instruction:
    [found] = [i for i in of if i.name == name]
    return found


def health_check_command() -> str:
    """The shell command of the final stage's HEALTHCHECK."""
    check = only("HEALTHCHECK", stage(-1)).args
    options, _, command = check.partition("CMD ")
    assert all(o.startswith("--") for o in options.split()), check
    return command.strip()


def env_names(of: list[Instruction]) -> set[str]:
    names = set()
    for i in of:
        if i.name == "ENV":
            names |= {pair.split("=", 1)[0] for pair in shlex.split(i.args)}
        names |= set(VARIABLE.findall(i.args))
    return names


def env_values(of: list[Instruction]) -> dict[str, str]:
    return {
        name: value
        for i in of
        if i.name == "ENV"
        for name, _, value in (pair.partition("=") for pair in shlex.split(i.args))
    }


def test_the_image_is_built_in_stages_on_one_pinned_base() -> None:
    bases = [i.args.split()[0] for i in instructions() if i.name == "FROM"]
    assert len(bases) >= 2, "multi-stage: a builder, then the image"
    for base in bases:
        name, _, tag = base.partition(":")
        assert name == "python" and re.fullmatch(r"3\.11\.\d+-slim-bookworm", tag), base
    assert len(set(bases)) == 1, "the wheels are built on the Python they are installed on"


def test_the_dependencies_are_a_layer_of_their_own_before_the_code() -> None:
    builder = stage(0)
    copies = [i for i in builder if i.name == "COPY"]
    code = next(n for n, i in enumerate(builder) if i.name == "COPY" and i.args.startswith("bot"))
    wheels = next(
        n
        for n, i in enumerate(builder)
        if i.name == "RUN" and "pip wheel" in i.args and "--no-deps" not in i.args
    )
    assert wheels < code
    before = [i.args for i in copies if builder.index(i) < wheels]
    assert before == ["pyproject.toml ./"], "only what the dependencies come from"
    # In the image too: the dependencies, then paperbot, each a RUN of its own.
    installs = [i.args for i in stage(-1) if i.name == "RUN" and "pip install" in i.args]
    assert len(installs) == 2 and "/dist" not in installs[0] and "[all]" in installs[1]


def test_the_image_runs_as_a_user_without_a_compiler() -> None:
    image = stage(-1)
    users = [i.args for i in image if i.name == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    assert image.index(only("USER", image)) < image.index(only("ENTRYPOINT", image))
    for i in image:
        if i.name in ("RUN", "COPY", "ADD"):
            assert not COMPILERS.search(i.args), i.args
    assert any(COMPILERS.search(i.args) for i in stage(0) if i.name == "RUN"), (
        "the builder is where a compiler belongs"
    )


def test_the_image_serves_slack_checks_its_health_and_is_paperbot() -> None:
    image = stage(-1)
    assert "3000" in only("EXPOSE", image).args.split()
    assert health_check_command().startswith("paperbot health")
    assert only("ENTRYPOINT", image).exec_form() == ["paperbot"]
    assert only("VOLUME", image).exec_form() == ["/data"]
    env = dict(pair.split("=", 1) for pair in shlex.split(only("ENV", image).args))
    assert env["PAPERBOT_DATABASE_URL"] == "sqlite:////data/paperbot.sqlite3"


def test_the_context_leaves_out_tests_benchmarks_caches_and_secrets() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    wanted = {".git", ".venv", ".env", "tests", "bench", "**/__pycache__", ".pytest_cache"}
    assert wanted <= ignored
    assert {".mypy_cache", ".ruff_cache", ".hypothesis"} <= ignored


# --- compose.yaml ---------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def bots() -> dict[str, dict[str, Any]]:
    """The services that run the paperbot image."""
    return {n: s for n, s in compose()["services"].items() if s.get("build") == "."}


def test_postgres_is_pinned_kept_in_a_volume_and_checked() -> None:
    db = compose()["services"]["db"]
    name, _, tag = db["image"].partition(":")
    assert name == "postgres" and re.fullmatch(r"15\.\d+(-\w+)?", tag), db["image"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "POSTGRES_PASSWORD" in db["environment"]


def test_every_bot_waits_for_the_database_and_shares_it() -> None:
    for name, service in bots().items():
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["environment"]["PAPERBOT_DATABASE_URL"].startswith("postgresql://"), name
        assert {"path": ".env", "required": False} in service["env_file"], name


def test_two_slack_replicas_and_the_discord_shards_in_a_profile() -> None:
    services = bots()
    slack = {n: s for n, s in services.items() if s["command"][:2] == ["run", "slack"]}
    assert len(slack) == 2
    published = [s["ports"][0].split(":")[0] for s in slack.values()]
    assert len(set(published)) == 2, "one host port per replica"
    discord = {n: s for n, s in services.items() if s["command"][:2] == ["run", "discord"]}
    assert all(s["profiles"] == ["discord"] for s in discord.values())
    shards = sorted(s["environment"]["PAPERBOT_DISCORD_SHARDS"] for s in discord.values())
    assert shards == ["0/2", "1/2"], "every shard in exactly one process"


def compose_names() -> set[str]:
    names = set()
    for service in compose()["services"].values():
        names |= set(service.get("environment") or {})
        for value in (service.get("environment") or {}).values():
            names |= set(VARIABLE.findall(str(value)))
    return names


def test_every_variable_named_is_a_setting_or_documented() -> None:
    named = env_names(instructions()) | compose_names()
    ours = {n for n in named if n.startswith(("PAPERBOT_", "SLACK_", "DISCORD_"))}
    assert ours - SETTINGS - DOCKER_ONLY == set()
    assert named - ours - THEIRS == set()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in DOCKER_ONLY | {"POSTGRES_PASSWORD"}:
        assert f"`{name}`" in configuration and f"{name}=" in example, name


def test_every_value_compose_and_the_image_set_is_one_the_settings_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The tests below run the bots on this machine's database; the URLs the files give
    # (postgresql://...@db, sqlite:////data/...) are checked here.
    image = {k: v for k, v in env_values(instructions()).items() if k in SETTINGS}
    services = [
        s for s in compose()["services"].values() if set(s.get("environment") or ()) & SETTINGS
    ]
    assert len(services) >= 3  # the bots; the database sets none of ours
    for service in [{"environment": image}, *services]:
        for name in list(os.environ):
            if name.startswith(("PAPERBOT_", "SLACK_", "DISCORD_")):
                monkeypatch.delenv(name)
        for name, value in (service.get("environment") or {}).items():
            if name in SETTINGS:
                # ${POSTGRES_PASSWORD:?...} as compose fills it in from .env.
                monkeypatch.setenv(name, re.sub(r"\$\{[^}]*\}", "secret", str(value)))
        settings = load()
        assert settings.database_url.startswith(("sqlite:////data/", "postgresql://paperbot:"))


# --- every command the image runs, run ------------------------------------------------


def image_commands() -> list[list[str]]:
    """The image's default command, its health check (without and with a bot to ask),
    and each compose service's command."""
    default = only("CMD", stage(-1)).exec_form()
    check = shlex.split(health_check_command().split("${", 1)[0])[1:]
    services = [s["command"] for s in compose()["services"].values() if "command" in s]
    return [default, check, [*check, "--url", "http://127.0.0.1:3000"], *services]


def test_every_command_is_one_the_cli_takes() -> None:
    parser = build_parser()
    for command in image_commands():
        parser.parse_args(command)  # exits 2 on a word or flag it does not know


def test_the_default_command_prints_the_trending_papers(filled_db: str) -> None:
    command = only("CMD", stage(-1)).exec_form()
    env = environment({"PAPERBOT_DATABASE_URL": filled_db})
    result = subprocess.run(
        [str(PAPERBOT), *command], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Trending the week to ")


async def health_check(env: dict[str, str]) -> tuple[int, str]:
    """The HEALTHCHECK as Docker runs it (``/bin/sh -c``), with ``paperbot`` on the PATH."""
    path = f"{PAPERBOT.parent}:{environment()['PATH']}"
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        health_check_command(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=environment(env | {"PATH": path}),
    )
    out, _ = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_health_check_asks_the_database_alone_by_default(filled_db: str) -> None:
    assert await health_check({"PAPERBOT_DATABASE_URL": filled_db}) == (
        0,
        "healthy: database answers\n",
    )
    nowhere = {"PAPERBOT_DATABASE_URL": filled_db, "PAPERBOT_HEALTH_URL": "http://127.0.0.1:9"}
    assert await health_check(nowhere) == (1, "paperbot: bot at http://127.0.0.1:9: no answer\n")


# The platform settings a compose user puts in .env, here pointing at the fakes.
SLACK_ENV = {"SLACK_SIGNING_SECRET": "shh", "SLACK_BOT_TOKEN": "xoxb-1"}


def bot_services() -> list[str]:
    """One service of each distinct bot command (the two Slack replicas are one)."""
    seen: dict[str, str] = {}
    for name, service in bots().items():
        if service["command"][0] == "run":
            shards = service["environment"].get("PAPERBOT_DISCORD_SHARDS", "")
            seen.setdefault(" ".join(service["command"]) + shards, name)
    return sorted(seen.values())


@pytest.mark.parametrize("name", bot_services())
async def test_each_bot_of_compose_runs_and_passes_the_health_check(
    name: str, filled_db: str, fake_discord: FakeDiscord
) -> None:
    service = bots()[name]
    # Its command and environment as compose gives them, but on a free port, this
    # machine's database and the fake platforms.
    command = ["0" if word == "3000" else word for word in service["command"]]
    env = dict(service["environment"]) | SLACK_ENV
    env |= {
        "PAPERBOT_DATABASE_URL": filled_db,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # HTTP mode asks Slack nothing at start
        "DISCORD_API_URL": f"{fake_discord.url}/api/v10",
        "DISCORD_TOKEN": "test-token",
    }
    bot = await asyncio.create_subprocess_exec(
        str(PAPERBOT),
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(env),
    )
    assert bot.stdout is not None
    try:
        line = (await asyncio.wait_for(bot.stdout.readline(), PROCESS_TIMEOUT)).decode()
        port = re.search(r"(?:on port|health at port) (\d+)", line)
        assert port is not None, line
        env["PAPERBOT_HEALTH_URL"] = env["PAPERBOT_HEALTH_URL"].replace("3000", port.group(1))
        code, said = await health_check(env)
        assert code == 0, said
        assert said.startswith("healthy: database answers; bot at http://127.0.0.1:")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGINT)
        await asyncio.wait_for(bot.communicate(), PROCESS_TIMEOUT)
    shards = service["environment"].get("PAPERBOT_DISCORD_SHARDS")
    if shards:
        ids, _, total = shards.partition("/")
        assert fake_discord.gateway.identified == [[int(ids), int(total)]]
