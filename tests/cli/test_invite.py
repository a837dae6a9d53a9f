"""`bankon invite …` through the CLI: messages, exit codes, JSON/CSV, the terminal-only link."""

from __future__ import annotations

import contextlib
import csv
import email
import email.policy
import io
import json
import os
import re

import pytest

from bankon_cli.main import run
from tests.conftest import AGENT_INN, AGENT_NAME, CliResult
from tests.invitation_helpers import LINK, PENDING, email_for

NOVAYA_INN = PENDING[0][1]


class TerminalOutput(io.StringIO):
    def isatty(self) -> bool:
        return True


def invoke_on_terminal(*args: str) -> CliResult:
    """Like the `cli` fixture, but stdout looks like the operator's terminal."""
    out, err = TerminalOutput(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def at(monkeypatch):
    def set_now(moment: str) -> None:
        monkeypatch.setenv("BANKON_NOW", moment)

    set_now("2026-12-03T12:00:00+00:00")
    return set_now


@pytest.fixture
def clients(cli, at):
    assert cli("agent", "add", "--inn", AGENT_INN, "--name", AGENT_NAME).exit_code == 0
    for name, inn, contact in PENDING:
        result = cli(
            "client",
            "add",
            "--inn",
            inn,
            "--contact",
            contact,
            "--name",
            name,
            "--email",
            email_for(inn),
        )
        assert result.exit_code == 0, result.stderr
    return [inn for _, inn, _ in PENDING]


def eml_tokens(home, recipient: str) -> list[str]:
    tokens = []
    for path in sorted((home / "outbox").glob("*.eml"), key=os.path.getmtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient in str(message["To"]):
            body = message.get_body(preferencelist=("plain",))
            tokens.extend(LINK.findall(body.get_content()))
    return tokens


def test_resend_needs_inns_or_all_pending(cli, clients):
    result = cli("invite", "resend")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: ИНН: укажите ИНН клиентов или --all-pending\n",
    )
    result = cli("invite", "resend", NOVAYA_INN, "--older-than", "3d")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: --older-than: действует только вместе с --all-pending\n",
    )
    result = cli("invite", "resend", "--all-pending", "--older-than", "три дня")
    assert result.exit_code == 2
    assert result.stderr == (
        "Ошибка: --older-than: «три дня» не является длительностью; пишите число и единицу: "
        "30m, 12h, 14d\n"
    )


def test_resend_bad_unknown_attached_and_cooldown(cli, clients, at):
    assert cli("invite", "resend", "123").exit_code == 2
    unknown = cli("invite", "resend", "7726311464")
    assert (unknown.exit_code, unknown.stderr) == (3, "Ошибка: Клиент с ИНН 7726311464 не найден\n")
    at("2026-12-03T12:10:00+00:00")
    cooldown = cli("invite", "resend", NOVAYA_INN)
    assert cooldown.exit_code == 4
    assert cooldown.stderr == (
        "Ошибка: ИНН 4346051140: приглашение отправлено 03.12.2026 15:00 (МСК); повторная "
        "отправка возможна через 50 мин (или с --force)\n"
    )


def test_resend_with_force_revokes_and_sends(cli, clients, at, home):
    first = eml_tokens(home, email_for(NOVAYA_INN))
    result = cli("invite", "resend", NOVAYA_INN, "--force", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["resent"] == [
        {
            "inn": NOVAYA_INN,
            "short_name": "Новая Техника",
            "email": email_for(NOVAYA_INN),
            "revoked_invitations": 1,
        }
    ]
    assert data["delivery"]["sent"] == 1
    tokens = eml_tokens(home, email_for(NOVAYA_INN))
    assert len(tokens) == 2 and tokens[0] == first[0]
    listing = json.loads(cli("invite", "list", "--format", "json").stdout)
    assert listing["total"] == 5
    mine = [i["status"] for i in listing["invitations"] if i["inn"] == NOVAYA_INN]
    assert mine == ["sent", "revoked"]


def test_show_link_is_refused_when_stdout_is_not_a_terminal(cli, clients, at):
    at("2026-12-03T14:00:00+00:00")
    result = cli("invite", "resend", NOVAYA_INN, "--show-link")
    assert result.exit_code == 2
    assert result.stderr == (
        "Ошибка: --show-link: ссылка показывается только в терминале, а вывод перенаправлен: "
        "ссылке не место в файлах, журналах и письмах cron\n"
    )
    assert "token=" not in result.stdout


def test_show_link_prints_a_working_link_on_the_terminal(cli, clients, at, app_ctx):
    at("2026-12-03T14:00:00+00:00")
    result = invoke_on_terminal("invite", "resend", NOVAYA_INN, "--show-link")
    assert result.exit_code == 0, result.stderr
    inn, link = result.stdout.rstrip("\n").split("\t")
    assert inn == NOVAYA_INN
    [token] = LINK.findall(link)
    assert token not in result.stderr
    from bankon_cli.services.invitations import check_token
    from tests.conftest import FIXED_NOW

    with app_ctx.session_factory.begin() as session:
        invitation = check_token(session, token, FIXED_NOW)
        assert invitation.status == "sent"


def test_remind_reports_in_one_line_and_json(cli, clients, at, home):
    at("2026-12-06T12:00:00+00:00")
    dry = cli("invite", "remind", "--dry-run")
    assert dry.exit_code == 0
    assert dry.stdout == ("Пробный запуск: напоминаний к отправке: 4; истечёт приглашений: 0\n")
    result = cli("invite", "remind", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["reminded"], data["delivery"]["sent"], data["expired"]) == (4, 4, [])
    again = cli("invite", "remind")
    assert again.stdout == (
        "Напоминаний отправлено: 0; ожидают повтора: 0; не доставлено: 0; истекло приглашений: 0\n"
    )
    assert len(eml_tokens(home, email_for(NOVAYA_INN))) == 2


def test_remind_in_quiet_hours_and_expiry_report(cli, clients, at):
    at("2026-12-06T19:00:00+00:00")  # 22:00 in Moscow
    result = cli("invite", "remind")
    assert result.stdout == (
        "Напоминаний отправлено: 0; ожидают повтора: 0; не доставлено: 0; истекло "
        "приглашений: 0; тихие часы (21:00-09:00 Europe/Moscow): напоминания не отправлялись\n"
    )
    at("2026-12-17T12:00:00+00:00")
    expired = cli("invite", "remind")
    assert expired.exit_code == 0
    assert expired.stdout.endswith("истекло приглашений: 4\n")
    assert (
        "Приглашение истекло: ИНН 4346051140 «Новая Техника», срок 17.12.2026 15:00 "
        "(МСК); отправить заново: bankon invite resend 4346051140\n"
    ) in expired.stderr


def test_list_formats_and_bad_status(cli, clients):
    table = cli("invite", "list")
    assert table.exit_code == 0
    assert table.stdout.startswith("Всего приглашений: 4\n")
    assert "Новая Техника" in table.stdout
    rows = list(csv.reader(io.StringIO(cli("invite", "list", "--format", "csv").stdout)))
    assert rows[0][:4] == ["inn", "short_name", "email", "status"]
    assert sorted(row[0] for row in rows[1:]) == sorted(inn for _, inn, _ in PENDING)
    bad = cli("invite", "list", "--status", "lost")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "Ошибка: --status: «lost» — допустимо: sent, expired, used, revoked\n",
    )


def test_pause_and_unpause(cli, clients, at):
    result = cli("invite", "pause", NOVAYA_INN)
    assert (result.exit_code, result.stderr) == (
        0,
        "Напоминания приостановлены: ИНН 4346051140 «Новая Техника»\n",
    )
    again = cli("invite", "pause", NOVAYA_INN)
    assert again.stderr == "Напоминания приостановлены (уже были): ИНН 4346051140 «Новая Техника»\n"
    at("2026-12-06T12:00:00+00:00")
    data = json.loads(cli("invite", "remind", "--format", "json").stdout)
    assert NOVAYA_INN not in [r["inn"] for r in data["reminders"]]
    assert cli("invite", "unpause", NOVAYA_INN).stderr == (
        "Напоминания возобновлены: ИНН 4346051140 «Новая Техника»\n"
    )
    missing = cli("invite", "pause", "7726311464")
    assert (missing.exit_code, missing.stderr) == (3, "Ошибка: Клиент с ИНН 7726311464 не найден\n")


def test_every_invite_and_mail_command_has_help(cli):
    for group, commands in (
        ("invite", ("resend", "remind", "list", "pause", "unpause")),
        ("mail", ("send", "list")),
    ):
        for command in commands:
            result = cli(group, command, "--help")
            assert result.exit_code == 0
            assert re.search(r"^  [А-ЯЁ]", result.stdout, re.MULTILINE), (group, command)
