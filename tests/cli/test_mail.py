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
