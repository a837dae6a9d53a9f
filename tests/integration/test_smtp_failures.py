"""`bankon mail send` against real SMTP servers that fail: nothing lost, clear errors, no hangs."""
# ruff: noqa: F401, F811 - fixtures imported from tests.smtp_servers are used as parameters

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW
from tests.invitation_helpers import PENDING, add_clients, outbox_rows
from tests.smtp_servers import (
    SmtpServer,
    free_port,
    smtp_no_starttls,
    smtp_rejecting,
    smtp_server,
    smtp_ssl,
    smtp_starttls,
    smtp_temporary_failure,
    tls_files,
    trust_test_ca,
)


@pytest.fixture
def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env):
    """Point bankon at an SMTP server (in-process runs read BANKON_CONFIG and BANKON_NOW)."""

    def point(server: SmtpServer | None = None, *, port: int | None = None, **kwargs) -> None:
        path = tmp_path / "config.toml"
        if server is None:
            text = (
                '[mail]\nbackend = "smtp"\n[mail.smtp]\nhost = "localhost"\n'
                f'port = {port}\nsecurity = "none"\ntimeout = 3\n'
            )
        else:
            text = server.config_toml(**kwargs)
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("BANKON_CONFIG", str(path))
        monkeypatch.setenv("BANKON_NOW", FIXED_NOW.isoformat())

    return point


@pytest.fixture
def queued(app_ctx):
    add_clients(app_ctx, PENDING[:2])
    return app_ctx


def _listed(cli, *args: str) -> list[dict]:
    result = cli("mail", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["messages"]


def test_unreachable_server_keeps_messages_queued_with_error_and_exit_75(cli, configure, queued):
    port = free_port()
    configure(port=port)
    result = cli("mail", "send")
    assert result.exit_code == 75
    assert result.stdout == "Отправлено: 0; ожидают повтора: 2; не доставлено: 0\n"
    assert result.stderr == (
        f"Ошибка: нет соединения с SMTP-сервером localhost:{port}: Connection refused. "
        "Писем осталось в очереди: 2; повторить: bankon mail send\n"
    )
    rows = _listed(cli)
    assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 1), ("queued", 1)]
    assert (
        rows[0]["last_error"]
        == f"нет соединения с SMTP-сервером localhost:{port}: Connection refused"
    )


def test_starttls_against_a_server_without_it_is_a_clear_error(
    cli, configure, queued, smtp_no_starttls
):
    configure(smtp_no_starttls, security="starttls")
    started = time.monotonic()
    result = cli("mail", "send")
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr == (
        f"Ошибка: SMTP-сервер localhost:{smtp_no_starttls.port} не поддерживает STARTTLS; "
        "проверьте mail.smtp.security и порт (ssl — обычно 465, starttls — 587). "
        "Писем осталось в очереди: 2; повторить: bankon mail send\n"
    )
    assert {r["status"] for r in _listed(cli)} == {"queued"}
    assert smtp_no_starttls.messages == []


def test_ssl_against_a_plain_server_is_a_clear_error(cli, configure, queued, smtp_server):
    configure(smtp_server, security="ssl")
    started = time.monotonic()
    result = cli("mail", "send")
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Ошибка: ошибка TLS при соединении с localhost:{smtp_server.port} ("
    )
    assert "проверьте mail.smtp.security: ssl — обычно порт 465, starttls — 587" in result.stderr


def test_plain_client_against_implicit_tls_gives_up_after_the_timeout(
    cli, configure, queued, smtp_ssl
):
    configure(smtp_ssl, security="starttls", timeout=2)
    started = time.monotonic()
    result = cli("mail", "send")
    assert time.monotonic() - started < 10
    assert result.exit_code == 75
    assert result.stderr.startswith(f"Ошибка: SMTP-сервер localhost:{smtp_ssl.port} ")
    assert "mail.smtp.security" in result.stderr


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_explicit_tls_modes_deliver(cli, configure, queued, trust_test_ca, mode):
    with SmtpServer(tls=mode, tls_files=trust_test_ca) as server:
        configure(server)
        result = cli("mail", "send", "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["sent"] == 2
        assert len(server.messages) == 2


def test_permanent_rejection_is_failed_shown_and_never_retried(
    cli, configure, queued, smtp_rejecting, monkeypatch
):
    configure(smtp_rejecting)
    result = cli("mail", "send")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Ошибка: не доставлено писем: 2 (подробности: bankon mail list --status failed)"
    )
    failed = _listed(cli, "--status", "failed")
    assert [(r["attempts"], r["last_error"]) for r in failed] == [
        (1, "сервер ответил 554 5.7.1 Message rejected by policy")
    ] * 2
    monkeypatch.setenv("BANKON_NOW", "2026-12-10T12:00:00+00:00")
    again = cli("mail", "send")
    assert again.exit_code == 0
    assert smtp_rejecting.handler.data_commands == 2


def test_temporary_failure_is_retried_by_a_later_run(
    cli, configure, queued, smtp_temporary_failure, monkeypatch
):
    configure(smtp_temporary_failure)
    first = cli("mail", "send")
    assert first.exit_code == 75
    assert first.stderr.splitlines()[-1] == (
        "Ошибка: писем ожидают повтора: 2; следующий bankon mail send повторит"
    )
    smtp_temporary_failure.handler.behaviour.always_temporary = False
    too_soon = cli("mail", "send")
    assert (too_soon.exit_code, too_soon.stdout) == (
        0,
        "Отправлено: 0; ожидают повтора: 0; не доставлено: 0\n",
    )
    monkeypatch.setenv("BANKON_NOW", "2026-12-03T12:05:00+00:00")
    retried = cli("mail", "send")
    assert (retried.exit_code, retried.stdout) == (
        0,
        "Отправлено: 2; ожидают повтора: 0; не доставлено: 0\n",
    )
    assert [(r["status"], r["attempts"]) for r in _listed(cli)] == [("sent", 2), ("sent", 2)]
