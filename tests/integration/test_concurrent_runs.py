"""Exactly once across processes: two cron runs at the same moment, a run killed mid-send."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bankon_cli.context import AppContext
from tests.conftest import FIXED_NOW
from tests.invitation_helpers import add_clients, company_inns, deliver_all, outbox_rows, use_smtp
from tests.smtp_servers import Behaviour, SmtpServer

CLIENTS = 60


def _clients(count: int) -> list[tuple[str, str, str]]:
    return [(f"Компания {i}", inn, f"Контакт {i}") for i, inn in enumerate(company_inns(0, count))]


def _bankon(env: dict[str, str], config: Path, now: str, *args: str) -> subprocess.Popen[str]:
    run_env = dict(env, BANKON_CONFIG=str(config), BANKON_NOW=now)
    return subprocess.Popen(
        [sys.executable, "-m", "bankon_cli.main", *args],
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _both(env: dict[str, str], config: Path, now: str, *args: str) -> list[tuple[int, str, str]]:
    """Start two identical runs at the same moment and wait for both."""
    processes = [_bankon(env, config, now, *args) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append((process.returncode, out, err))
    return results


@pytest.fixture
def server():
    with SmtpServer() as smtp:
        yield smtp


@pytest.fixture
def config(tmp_path: Path, server: SmtpServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(server.config_toml(), encoding="utf-8")
    return path


def test_two_invite_remind_runs_send_each_reminder_once(app_ctx: AppContext, env, server, config):
    use_smtp(app_ctx, server)
    add_clients(app_ctx, _clients(CLIENTS))
    assert deliver_all(app_ctx).sent == CLIENTS
    server.handler.messages.clear()
    later = (FIXED_NOW + timedelta(days=3)).isoformat()
    results = _both(env, config, later, "invite", "remind", "--format", "json")
    assert [code for code, _, _ in results] == [0, 0], results
    reminded = sum(json.loads(out)["delivery"]["sent"] for _, out, _ in results if out)
    assert reminded == CLIENTS
    recipients = [m.rcpt_tos[0] for m in server.messages]
    assert len(recipients) == CLIENTS and len(set(recipients)) == CLIENTS
    assert all(err == "" for _, _, err in results)
    # and a third run finds nothing left to do
    code, out, _ = _both(env, config, later, "invite", "remind", "--format", "json")[0]
    assert code == 0 and (out == "" or json.loads(out)["reminded"] == 0)
    assert len(server.messages) == CLIENTS


def test_two_mail_send_runs_send_each_message_once(app_ctx: AppContext, env, server, config):
    add_clients(app_ctx, _clients(CLIENTS))  # queued, not delivered
    results = _both(env, config, FIXED_NOW.isoformat(), "mail", "send", "--format", "json")
    assert [code for code, _, _ in results] == [0, 0], results
    assert sum(json.loads(out)["sent"] for _, out, _ in results if out) == CLIENTS
    recipients = [m.rcpt_tos[0] for m in server.messages]
    assert len(recipients) == CLIENTS and len(set(recipients)) == CLIENTS
    assert {row.status for row in outbox_rows(app_ctx)} == {"sent"}


def test_a_run_told_to_wait_does_so_and_still_sends_nothing_twice(
    app_ctx: AppContext, env, server, config
):
    add_clients(app_ctx, _clients(20))
    results = _both(
        env, config, FIXED_NOW.isoformat(), "mail", "send", "--wait", "60", "--format", "json"
    )
    assert [code for code, _, _ in results] == [0, 0], results
    # with --wait neither run gives up: both report, and the sends add up to 20
    assert sorted(json.loads(out)["sent"] for _, out, _ in results) in ([0, 20], [20, 0])
    assert len(server.messages) == 20


def test_a_process_killed_between_claiming_and_sending_leaves_the_message_for_later(
    app_ctx: AppContext, env, tmp_path
):
    blocked = Behaviour()
    import threading

    blocked.block_data = threading.Event()
    with SmtpServer(blocked) as hanging:
        config = tmp_path / "hanging.toml"
        config.write_text(hanging.config_toml(timeout=60), encoding="utf-8")
        add_clients(app_ctx, _clients(1))
        process = _bankon(env, config, FIXED_NOW.isoformat(), "mail", "send")
        deadline = time.monotonic() + 90
        while hanging.handler.data_commands == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hanging.handler.data_commands == 1
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        [row] = outbox_rows(app_ctx)
        assert (row.status, row.attempts) == ("sending", 0)
        accepted_before = len(hanging.messages)
    assert accepted_before == 0

    with SmtpServer() as working:
        config = tmp_path / "working.toml"
        config.write_text(working.config_toml(), encoding="utf-8")
        # a minute later the dead run still holds the lease: a new run exits 0 quietly
        soon = (FIXED_NOW + timedelta(minutes=1)).isoformat()
        quiet = _bankon(env, config, soon, "mail", "send")
        out, err = quiet.communicate(timeout=60)
        assert (quiet.returncode, out, err) == (0, "", "")
        assert working.messages == []
        # once the claim's lease has run out the message goes out, once
        later = (FIXED_NOW + timedelta(minutes=16)).isoformat()
        retry = _bankon(env, config, later, "mail", "send")
        out, err = retry.communicate(timeout=60)
        assert retry.returncode == 0, err
        assert out == "Отправлено: 1; ожидают повтора: 0; не доставлено: 0\n"
        assert len(working.messages) == 1
    [row] = outbox_rows(app_ctx)
    assert (row.status, row.attempts) == ("sent", 1)
