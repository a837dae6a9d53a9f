"""`client add` on a real terminal (a pty): asks for what is missing; never asks without one."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import R_PHARM
from tests.helpers import query_rows, table_counts

NAME, INN, CONTACT, REGION, EMAIL = R_PHARM
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
BANKON = [sys.executable, "-m", "bankon_cli.main"]
TIMEOUT = 30.0


class Terminal:
    """A bankon process on the slave side of a pseudo-terminal, driven from the master side."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: stdin, stdout and stderr are the terminal
            os.execve(BANKON[0], [*BANKON, *args], env)  # noqa: S606 - our own interpreter
        self.raw = b""

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the child has gone and closed the terminal
            return False
        if not chunk:
            return False
        self.raw += chunk
        if b"\x1b[6n" in chunk:  # prompt_toolkit asks where the cursor is: answer like a terminal
            os.write(self.fd, b"\x1b[1;1R")
        return True

    def expect(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while text not in self.screen:
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{text!r} not shown; screen so far:\n{self.screen}")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def wait(self) -> int:
        """Read everything the process writes until it closes the terminal, then reap it."""
        deadline = time.monotonic() + TIMEOUT
        while self._read(0.2):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"bankon did not finish; screen:\n{self.screen}")
        os.close(self.fd)
        _pid, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture
def term_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "TERM": "xterm", "COLUMNS": "100", "LINES": "40", "PYTHONUNBUFFERED": "1"}


def test_missing_fields_are_asked_for_and_the_client_is_added(cli, agent, db_url, home, term_env):  # type: ignore[no-untyped-def]
    terminal = Terminal(["client", "add", "--inn", INN], term_env)
    terminal.expect("ФИО контактного лица:")
    terminal.type(f"{CONTACT}\r")
    terminal.expect("Наименование компании:")
    terminal.type(f"{NAME}\r")
    terminal.expect("Email:")
    terminal.type("info@\r")  # refused by the prompt's validation, asked again
    terminal.expect("«info@» — нет домена после @")
    terminal.type("\x7f" * 10 + f"{EMAIL}\r")
    code = terminal.wait()
    assert code == 0, terminal.screen
    assert "Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»" in terminal.screen
    [row] = query_rows(db_url, "SELECT inn, short_name, contact_name, email, status FROM clients")
    assert row == {
        "inn": INN,
        "short_name": NAME,
        "contact_name": CONTACT,
        "email": EMAIL,
        "status": "pending",
    }
    assert len(list((home / "outbox").glob("*.eml"))) == 1


def test_ctrl_c_at_a_prompt_exits_130_and_writes_nothing(cli, agent, db_url, home, term_env):  # type: ignore[no-untyped-def]
    before = table_counts(db_url)
    terminal = Terminal(["client", "add", "--inn", INN, "--name", NAME], term_env)
    terminal.expect("ФИО контактного лица:")
    terminal.type("Игнат")
    terminal.type("\x03")
    assert terminal.wait() == 130
    assert "Прервано." in terminal.screen
    assert "Traceback" not in terminal.screen
    after = table_counts(db_url)
    assert after == before
    assert (after["clients"], after["outbox"]) == (0, 0)
    assert not list((home / "outbox").glob("*.eml"))


def test_without_a_terminal_it_never_prompts(cli, agent, db_url, env):  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [*BANKON, "client", "add", "--inn", INN],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Ошибка: не указаны обязательные параметры --contact, --name, --email "
        "(без терминала bankon ничего не спрашивает)\n"
    )
    assert table_counts(db_url)["clients"] == 0


def test_terminal_on_stdin_but_piped_stdout_never_prompts(cli, agent, db_url, env):  # type: ignore[no-untyped-def]
    master, slave = pty.openpty()
    try:
        result = subprocess.run(
            [*BANKON, "client", "add", "--inn", INN, "--name", NAME, "--contact", CONTACT],
            env=env,
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 2
    assert result.stderr == (
        "Ошибка: не указан обязательный параметр --email "
        "(без терминала bankon ничего не спрашивает)\n"
    )
    assert table_counts(db_url)["clients"] == 0
