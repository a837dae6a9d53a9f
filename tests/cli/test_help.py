"""Meta-test: every command, group and option explains itself; `bankon --version`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main

from bankon_cli import __version__
from bankon_cli.main import app
from tests.conftest import invoke

# The commands of the main job (issue 2): their help is Russian, like everything said to people.
MAIN_JOB = {
    "agent",
    "agent add",
    "agent list",
    "client",
    "client add",
    "client list",
    "client show",
    "db",
    "db upgrade",
    "db status",
}


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Help and --version must not depend on (or touch) the developer's own config and data."""
    for name in ("BANKON_CONFIG", "BANKON_DATABASE_URL", "BANKON_AGENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANKON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    yield " ".join(path), command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


COMMANDS = list(walk(typer.main.get_command(app)))


def test_the_main_jobs_commands_are_all_there() -> None:
    assert MAIN_JOB <= {path for path, _command in COMMANDS}


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "bankon" for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{path or 'bankon'} has no help"
    for param in command.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{path}: {param.name} has no help"


@pytest.mark.parametrize("path", sorted(MAIN_JOB))
def test_main_job_help_is_russian(path: str) -> None:
    command = dict(COMMANDS)[path]
    assert re.search("[а-яА-ЯёЁ]", command.help)
    for param in command.params:
        if param.name != "help":
            assert re.search("[а-яА-ЯёЁ]", param.help), f"{path}: {param.name}"


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_help_flag_prints_usage_and_exits_0(path: str) -> None:
    result = invoke(*path.split(), "--help")
    assert result.exit_code == 0
    command = dict(COMMANDS)[path]
    first_line = command.help.strip().splitlines()[0]
    assert " ".join(first_line.split()[:3]) in " ".join(result.stdout.split())
    assert result.stderr == ""


def test_version(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("--version")
    assert not (tmp_path / "home").exists()  # no database, no folders
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"bankon {__version__}\n", "")
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_no_command() -> None:
    result = invoke()
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: не указана команда; справка: bankon --help\n",
    )


def test_unknown_command_suggests_the_right_one() -> None:
    result = invoke("client", "lsit")
    assert result.exit_code == 2
    assert result.stderr == (
        "Ошибка: неизвестная команда lsit (возможно, list); справка: bankon --help\n"
    )


HEAVY = ("sqlalchemy", "questionary", "cryptography", "email_validator", "alembic")


def _imported_after(args: list[str], env: dict[str, str]) -> set[str]:
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys\n"
        "from bankon_cli.main import run\n"
        f"code = run({args!r})\n"
        "names = sorted({name.split('.')[0] for name in sys.modules})\n"
        "sys.__stdout__.write('\\n' + json.dumps(names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["client", "--help"]])
def test_version_and_help_import_nothing_heavy(args: list[str]) -> None:
    import os

    loaded = _imported_after(args, dict(os.environ))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_client_list_imports_only_what_listing_needs(env: dict[str, str], cli, agent) -> None:  # type: ignore[no-untyped-def]
    loaded = _imported_after(["client", "list"], env)
    assert "sqlalchemy" in loaded
    assert loaded.isdisjoint({"questionary", "cryptography", "email_validator", "alembic"}), (
        loaded & set(HEAVY)
    )
