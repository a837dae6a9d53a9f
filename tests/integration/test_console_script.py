"""The installed `bankon` console script, run as a real process."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import R_PHARM

BANKON = str(Path(sys.executable).with_name("bankon"))
NAME, INN, CONTACT, REGION, EMAIL = R_PHARM
AGENT = ("7712345671", 'ООО "Региональный тестовый центр"')
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)[0-9;]*m")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BANKON, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def add_agent_and_client(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """The README's first steps: the guide's agent, then АО Р-ФАРМ; returns `client add`."""
    added_agent = run(env, "agent", "add", "--inn", AGENT[0], "--name", AGENT[1])
    assert added_agent.returncode == 0, added_agent.stderr
    added = run(
        env,
        "client",
        "add",
        "--inn",
        INN,
        "--contact",
        CONTACT,
        "--name",
        NAME,
        "--email",
        EMAIL,
        *extra,
    )
    assert added.returncode == 0, added.stderr
    return added


@pytest.fixture
def process_env(env: dict[str, str], db_url: str) -> dict[str, str]:
    """The environment of a fresh operator: empty BANKON_HOME, no config; SQLite by default."""
    clean = dict(env)
    if db_url.startswith("sqlite"):
        del clean["BANKON_DATABASE_URL"]  # the default: bankon.db in BANKON_HOME
    return clean


def test_readme_quickstart_from_an_empty_home(process_env, home, db_url):  # type: ignore[no-untyped-def]
    assert list(home.iterdir()) == []
    version = run(process_env, "--version")
    assert (version.returncode, version.stdout) == (0, "bankon 0.1.0\n")

    added = add_agent_and_client(process_env)
    assert added.stderr == (
        "Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»\n"
        "Приглашение отправлено на info@r-pharm.com\n"
    )
    if db_url.startswith("sqlite"):
        assert (home / "bankon.db").is_file()
    [eml] = list((home / "outbox").glob("*.eml"))
    assert b"Subject: =?utf-8?" in eml.read_bytes()

    table = run(process_env, "client", "list")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0] == "Всего клиентов: 1"
    row = next(line for line in lines if INN in line)
    cells = re.split(r"\s{2,}", row.strip())
    assert cells == [NAME, INN, f"{CONTACT}, {EMAIL}", REGION, "-", AGENT[1], "На рассмотрении"]
    assert lines[-1] == "Страница 1 из 1"

    data = json.loads(run(process_env, "client", "show", INN, "--format", "json").stdout)
    assert data["invitation"]["times_sent"] == 1
    status = json.loads(run(process_env, "db", "status", "--format", "json").stdout)
    assert status["up_to_date"] is True


ERRORS = [
    (
        (
            "client",
            "add",
            "--inn",
            "7726311465",
            "--contact",
            "И",
            "--name",
            "Н",
            "--email",
            "a@example.ru",
        ),
        2,
    ),
    (("client", "add", "--inn", INN), 2),
    (("client", "show", "4346051140"), 3),
    (("client", "list", "--per-page", "7"), 2),
    (("client", "lst"), 2),
    (("agent", "add", "--inn", AGENT[0], "--name", "Дубль"), 4),
    (("--config", "/nonexistent/bankon.toml", "client", "list"), 2),
]


def test_errors_are_one_russian_line_without_traceback(process_env):  # type: ignore[no-untyped-def]
    assert run(process_env, "agent", "add", "--inn", AGENT[0], "--name", AGENT[1]).returncode == 0
    for args, code in ERRORS:
        result = run(process_env, *args)
        assert result.returncode == code, args
        assert result.stdout == "", args
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("Ошибка: "), result.stderr
        assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_even_with_debug(process_env):  # type: ignore[no-untyped-def]
    env = {**process_env, "BANKON_DATABASE_URL": "postgresql+psycopg://u:pw-secret@127.0.0.1:9/x"}
    for args in (("client", "list"), ("--debug", "client", "list")):
        result = run(env, *args)
        assert result.returncode == 1
        assert result.stderr.startswith("Ошибка: База данных недоступна: ")
        assert result.stderr.count("\n") == 1
        assert "pw-secret" not in result.stderr


def _on_a_terminal(env: dict[str, str], *args: str) -> str:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BANKON, [BANKON, *args], env)  # noqa: S606 - the installed console script
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(fd)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    return output.decode("utf-8", "replace")


def test_no_color_is_honoured_on_a_terminal(process_env):  # type: ignore[no-untyped-def]
    assert run(process_env, "agent", "add", "--inn", AGENT[0], "--name", AGENT[1]).returncode == 0
    base = {**process_env, "TERM": "xterm-256color", "COLUMNS": "200"}
    base.pop("NO_COLOR", None)
    coloured = _on_a_terminal(base, "agent", "list")
    assert COLOUR.search(coloured), "a terminal gets coloured headers"
    plain = _on_a_terminal({**base, "NO_COLOR": "1"}, "agent", "list")
    assert not COLOUR.search(plain)
    assert "Наименование агента" in plain and AGENT[0] in plain


def test_piped_list_never_cuts_an_inn_or_a_long_email(process_env):  # type: ignore[no-untyped-def]
    env = {**process_env, "COLUMNS": "40"}
    assert run(env, "agent", "add", "--inn", AGENT[0], "--name", AGENT[1]).returncode == 0
    long_email = "glavnyi.buhgalter." + "x" * 40 + "@" + "very-long-domain-" * 3 + "example.ru"
    added = run(
        env,
        "client",
        "add",
        "--inn",
        "228999331903",
        "--contact",
        "Тестов Алексей Юрьевич",
        "--name",
        "ИП Тестов Алексей Юрьевич (крестьянское фермерское хозяйство)",
        "--email",
        long_email,
        "--no-invite",
    )
    assert added.returncode == 0, added.stderr
    out = run(env, "client", "list").stdout
    assert "\x1b" not in out
    [row] = [line for line in out.splitlines() if "228999331903" in line]
    assert long_email in row
    assert "…" not in out


@pytest.mark.parametrize(
    "args",
    [
        ("client", "list"),
        ("agent", "list"),
        ("client", "show", INN),
        ("client", "list", "-f", "json"),
    ],
)
def test_a_reader_that_leaves_early_is_no_failure(process_env, args):  # type: ignore[no-untyped-def]
    """`bankon client list | head -1`: exit 0 and no complaint when the pipe closes."""
    add_agent_and_client(process_env, "--no-invite")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before bankon writes a byte
    try:
        closed = subprocess.run(
            [BANKON, *args],
            env=process_env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert (closed.returncode, closed.stderr) == (0, "")


def test_a_data_folder_that_is_a_file_is_named_in_one_line(process_env, tmp_path, db_url):  # type: ignore[no-untyped-def]
    if not db_url.startswith("sqlite"):
        pytest.skip("the data folder holds the database only on SQLite")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = run({**process_env, "BANKON_HOME": str(blocker)}, "client", "list")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Ошибка: файловая система: {blocker}: уже существует, и это не папка\n"


def test_export_into_a_folder_is_refused_before_writing(process_env, tmp_path):  # type: ignore[no-untyped-def]
    result = run(process_env, "client", "export", "--out", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        f"Ошибка: --out: {tmp_path} — это папка; укажите имя файла, например "
        f"{tmp_path}/clients.csv\n"
    )
    assert not (tmp_path.parent / f"{tmp_path.name}.part").exists()


def test_arguments_that_are_not_utf8_are_refused_in_one_line(process_env):  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [BANKON.encode(), b"client", b"list", b"--search", "Иван".encode() + b"\xff"],
        env=process_env,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "Ошибка: в аргументах есть байты не в кодировке UTF-8; проверьте кодировку терминала\n"
    )


def test_a_sqlite_path_that_cannot_be_opened_is_named(process_env, tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = run({**process_env, "BANKON_DATABASE_URL": f"sqlite:///{folder}"}, "client", "list")
    assert result.returncode == 1
    assert result.stderr == (
        f"Ошибка: База данных {folder} недоступна: файл не открывается; проверьте, что это файл, "
        f"а папка {tmp_path} существует и доступна на запись\n"
    )
