"""Start-up budget: what `bankon --version`, `--help` and `client list` may import.

Run in a fresh interpreter, exactly as the console script runs, with `-X importtime`;
the assertions are about which packages were imported, never about how long it took
(bench/startup.py measures that).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bankon_cli import __version__
from tests.conftest import AGENT_INN, R_PHARM

CONSOLE_SCRIPT = "import sys; from bankon_cli.main import main; sys.argv[0] = 'bankon'; main()"
NOT_FOR_VERSION_OR_HELP = (
    "sqlalchemy",
    "questionary",
    "cryptography",
    "email_validator",
    "alembic",
)
NOT_FOR_CLIENT_LIST = ("cryptography", "questionary", "email_validator", "alembic")
# typer parses option values through pydantic unless bankon_cli.cli.coercion takes over.
NOT_FOR_ANY = ("pydantic",)


def run_bankon(
    *args: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run bankon in a new interpreter; return the result and every module it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CONSOLE_SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = set()
    messages = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            if name != "package":
                modules.add(name)
        else:
            messages.append(line)
    result.stderr = "\n".join(messages)
    return result, modules


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.fixture
def clean_env(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """No database, no config: what a first `bankon --help` after install sees."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BANKON_")}
    env.update(BANKON_HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    return env


def test_version_imports_no_database_mail_or_signing_package(clean_env: dict[str, str]) -> None:
    result, modules = run_bankon("--version", env=clean_env)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"bankon {__version__}\n", "")
    imported = packages(modules)
    assert "bankon_cli" in imported
    assert imported.isdisjoint(NOT_FOR_VERSION_OR_HELP + NOT_FOR_ANY), sorted(
        imported & {*NOT_FOR_VERSION_OR_HELP, *NOT_FOR_ANY}
    )


@pytest.mark.parametrize("args", [("--help",), ("client", "--help"), ("client", "list", "--help")])
def test_help_imports_no_database_mail_or_signing_package(
    clean_env: dict[str, str], args: tuple[str, ...]
) -> None:
    result, modules = run_bankon(*args, env=clean_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: bankon {' '.join(args[:-1])}".rstrip() + " [OPTIONS]")
    imported = packages(modules)
    assert imported.isdisjoint(NOT_FOR_VERSION_OR_HELP + NOT_FOR_ANY), sorted(
        imported & {*NOT_FOR_VERSION_OR_HELP, *NOT_FOR_ANY}
    )
    assert not os.path.exists(clean_env["BANKON_HOME"])  # help creates no data folder


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), "Всего клиентов: 1\n"),
        (("--search", "р-фарм", "--format", "json"), '"total": 1,'),
        (("--agent", AGENT_INN, "--status", "pending", "--format", "csv"), "7726311464,АО"),
    ],
)
def test_client_list_imports_only_what_listing_needs(
    cli, agent: str, env: dict[str, str], options: tuple[str, ...], expected: str
) -> None:  # type: ignore[no-untyped-def]
    name, inn, contact, _region, email = R_PHARM
    added = cli("client", "add", "--inn", inn, "--contact", contact, "--name", name,
                "--email", email, "--no-invite")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    # The schema is current now: the listing must not even import Alembic to check it.
    result, modules = run_bankon("client", "list", *options, env=env)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    imported = packages(modules)
    assert "sqlalchemy" in imported
    assert imported.isdisjoint(NOT_FOR_CLIENT_LIST + NOT_FOR_ANY), sorted(
        imported & {*NOT_FOR_CLIENT_LIST, *NOT_FOR_ANY}
    )
    assert "bankon_cli.services.clients" not in modules  # it pulls in mail and invitations
    if "--agent" not in options:
        assert "bankon_cli.db.models" not in modules  # no ORM mapping is needed to list


def test_first_use_still_creates_the_schema(env: dict[str, str]) -> None:
    """On an empty database the first command migrates it (Alembic is allowed then)."""
    result, modules = run_bankon("client", "list", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Всего клиентов: 0\nНет данных для отображения\n"
    assert "alembic" in packages(modules)
