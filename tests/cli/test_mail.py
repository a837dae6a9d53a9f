"""`bankon mail …` through the CLI: summary line, JSON, limit, lock held by another run."""

from __future__ import annotations

import json

import pytest

from bankon_cli.services.locks import acquire
from tests.invitation_helpers import PENDING, email_for


@pytest.fixture
def waiting(app_ctx, monkeypatch):
    monkeypatch.setenv("BANKON_NOW", "2026-12-03T12:00:00+00:00")
    from tests.invitation_helpers import add_clients

    add_clients(app_ctx)  # four invitations queued, not delivered
    return app_ctx


def test_mail_send_delivers_with_one_line_summary_and_limit(cli, waiting, home):
    first = cli("mail", "send", "--limit", "3")
    assert (first.exit_code, first.stdout, first.stderr) == (
        0,
        "Отправлено: 3; ожидают повтора: 0; не доставлено: 0\n",
        "",
    )
    second = cli("mail", "send", "--format", "json")
    data = json.loads(second.stdout)
    assert (data["sent"], data["retrying"], data["failed"], data["failures"]) == (1, 0, 0, [])
    assert len(list((home / "outbox").glob("*.eml"))) == 4


def test_mail_list_shows_status_attempts_and_errors(cli, waiting):
    listed = json.loads(cli("mail", "list", "--format", "json").stdout)
    assert listed["total"] == 4
    first = listed["messages"][-1]
    assert {
        k: first[k]
        for k in (
            "kind",
            "recipient",
            "client_inn",
            "status",
            "status_label",
            "attempts",
            "last_error",
        )
    } == {
        "kind": "invite",
        "recipient": email_for(PENDING[0][1]),
        "client_inn": PENDING[0][1],
        "status": "queued",
        "status_label": "в очереди",
        "attempts": 0,
        "last_error": None,
    }
    cli("mail", "send")
    assert (
        json.loads(cli("mail", "list", "--status", "queued", "--format", "json").stdout)["total"]
        == 0
    )
    table = cli("mail", "list")
    assert table.exit_code == 0 and "отправлено" in table.stdout
    bad = cli("mail", "list", "--status", "lost")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "Ошибка: --status: «lost» — допустимо: queued, sending, sent, failed\n",
    )


def test_a_run_finding_the_work_held_exits_quietly_or_75_when_told_to_wait(cli, waiting):
    lease = acquire(waiting.session_factory, waiting.clock, "mail-send")
    assert lease is not None
    quiet = cli("mail", "send")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    waited = cli("mail", "send", "--wait", "1")
    assert (waited.exit_code, waited.stdout) == (75, "")
    assert waited.stderr == (
        "Ошибка: другой запуск ещё выполняет «mail-send»; ожидание 1 с истекло, повторите позже\n"
    )
    remind_lease = acquire(waiting.session_factory, waiting.clock, "invite-remind")
    assert remind_lease is not None
    assert (cli("invite", "remind").exit_code, cli("invite", "remind").stdout) == (0, "")
    lease.release()
    assert cli("mail", "send").stdout == "Отправлено: 4; ожидают повтора: 0; не доставлено: 0\n"


def test_retried_reminders_wait_for_the_end_of_quiet_hours(cli, app_ctx, monkeypatch, tmp_path):
    """A reminder that failed by day is not sent by a night-time `mail send`; invitations are."""
    from tests.invitation_helpers import add_clients, deliver_all, use_smtp
    from tests.smtp_servers import Behaviour, SmtpServer

    with SmtpServer(Behaviour(always_temporary=True)) as server:
        use_smtp(app_ctx, server)
        add_clients(app_ctx, PENDING[:1])
        server.handler.behaviour.always_temporary = False
        assert deliver_all(app_ctx).sent == 1
        server.handler.behaviour.always_temporary = True
        app_ctx.clock.advance(days=3)
        from bankon_cli.services.reminders import run_reminders

        report = run_reminders(
            app_ctx.session_factory, app_ctx.mail_backend(), app_ctx.settings, app_ctx.clock
        )
        assert report.delivery.retrying == 1
        add_clients(app_ctx, PENDING[1:2])  # a new client's invitation, queued
        server.handler.behaviour.always_temporary = False
        config = tmp_path / "config.toml"
        config.write_text(server.config_toml(), encoding="utf-8")
        monkeypatch.setenv("BANKON_CONFIG", str(config))
        monkeypatch.setenv("BANKON_NOW", "2026-12-06T20:00:00+00:00")  # 23:00 in Moscow
        night = cli("mail", "send")
        assert night.stdout == "Отправлено: 1; ожидают повтора: 0; не доставлено: 0\n"
        assert [m.rcpt_tos[0] for m in server.messages][-1] == email_for(PENDING[1][1])
        monkeypatch.setenv("BANKON_NOW", "2026-12-07T06:00:00+00:00")  # 09:00 in Moscow
        morning = cli("mail", "send")
        assert morning.stdout == "Отправлено: 1; ожидают повтора: 0; не доставлено: 0\n"
        reminder = server.messages[-1]
        assert reminder.rcpt_tos[0] == email_for(PENDING[0][1])
        assert "Напоминаем" in reminder.text()
