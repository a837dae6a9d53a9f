"""Outbox delivery: retries, permanent failures, stale claims, one connection, locks."""
# ruff: noqa: F401, F811 - fixtures imported from tests.smtp_servers are used as parameters

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bankon_cli.errors import ExitStatus, TemporaryFailure
from bankon_cli.services.locks import LockLost, acquire, try_acquire
from bankon_cli.services.outbox import claim_batch, list_outbox
from tests.invitation_helpers import (
    PENDING,
    add_clients,
    company_inns,
    deliver_all,
    email_for,
    outbox_rows,
    use_smtp,
)
from tests.smtp_servers import (
    Behaviour,
    SmtpServer,
    smtp_rejecting,
    smtp_server,
    smtp_temporary_failure,
    smtp_utf8,
)

TEMPORARY = "сервер ответил 451 4.3.0 Temporary local problem, try again later"


def test_temporary_failure_stays_queued_and_is_retried_with_backoff(
    app_ctx, smtp_temporary_failure
):
    use_smtp(app_ctx, smtp_temporary_failure)
    add_clients(app_ctx, PENDING[:1])
    report = deliver_all(app_ctx)
    assert (report.sent, report.retrying, report.permanently_failed) == (0, 1, 0)
    [row] = outbox_rows(app_ctx)
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, TEMPORARY)
    assert row.next_attempt_at == app_ctx.clock() + timedelta(minutes=5)
    assert deliver_all(app_ctx).retrying == 0  # not due yet: nothing tried
    assert smtp_temporary_failure.handler.data_commands == 1
    app_ctx.clock.advance(minutes=5)
    deliver_all(app_ctx)
    [row] = outbox_rows(app_ctx)
    assert (row.attempts, row.next_attempt_at) == (2, app_ctx.clock() + timedelta(minutes=10))
    smtp_temporary_failure.handler.behaviour.always_temporary = False
    app_ctx.clock.advance(minutes=10)
    assert deliver_all(app_ctx).sent == 1
    [row] = outbox_rows(app_ctx)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(smtp_temporary_failure.messages) == 1


def test_temporary_failures_stop_at_max_attempts(app_ctx, smtp_temporary_failure):
    use_smtp(app_ctx, smtp_temporary_failure)
    add_clients(app_ctx, PENDING[:1])
    for _ in range(8):
        deliver_all(app_ctx)
        app_ctx.clock.advance(hours=7)
    [row] = outbox_rows(app_ctx)
    assert (row.status, row.attempts) == ("failed", 8)
    deliver_all(app_ctx)
    assert smtp_temporary_failure.handler.data_commands == 8  # never retried after that


def test_permanent_rejection_fails_at_once_and_is_listed(app_ctx, smtp_rejecting):
    use_smtp(app_ctx, smtp_rejecting)
    add_clients(app_ctx, PENDING[:2])
    report = deliver_all(app_ctx)
    assert (report.sent, report.permanently_failed) == (0, 2)
    app_ctx.clock.advance(days=1)
    deliver_all(app_ctx)
    assert smtp_rejecting.handler.data_commands == 2
    with app_ctx.session_factory.begin() as session:
        failed = list_outbox(session, status="failed", limit=10)
    assert [(r.client_inn, r.attempts, r.last_error, r.status_label) for r in failed] == [
        (inn, 1, "сервер ответил 554 5.7.1 Message rejected by policy", "не доставлено")
        for _, inn, _ in reversed(PENDING[:2])
    ]


@pytest.fixture
def bad_recipient_server():
    with SmtpServer(Behaviour(reject_recipients={email_for(PENDING[1][1])})) as server:
        yield server


def test_bad_recipient_fails_alone_over_one_connection(app_ctx, bad_recipient_server):
    use_smtp(app_ctx, bad_recipient_server)
    add_clients(app_ctx, PENDING)
    report = deliver_all(app_ctx)
    assert report.sent == 3
    assert [(f.recipient, f.permanent) for f in report.failed] == [(email_for(PENDING[1][1]), True)]
    assert report.failed[0].error == (
        f"сервер отклонил адрес {email_for(PENDING[1][1])}: 550 5.1.1 "
        f"<{email_for(PENDING[1][1])}>: mailbox unavailable"
    )
    assert bad_recipient_server.handler.connections == 1  # one SMTP session for the batch


@pytest.mark.parametrize("offered", [True, False])
def test_smtputf8_recipient_only_where_offered(app_ctx, offered):
    emails = {PENDING[0][1]: "бухгалтер@пример.рф"}
    with SmtpServer(smtputf8=offered) as server:
        use_smtp(app_ctx, server)
        add_clients(app_ctx, PENDING[:2], emails=emails)
        report = deliver_all(app_ctx)
        received = [m.rcpt_tos for m in server.messages]
        options = [
            tuple(o for o in m.mail_options if not o.startswith("SIZE=")) for m in server.messages
        ]
    if offered:
        assert report.sent == 2
        assert received == [("бухгалтер@xn--e1afmkfd.xn--p1ai",), (email_for(PENDING[1][1]),)]
        assert options == [("SMTPUTF8", "BODY=8BITMIME"), ()]
    else:
        assert report.sent == 1
        assert [(f.error, f.permanent) for f in report.failed] == [
            ("адрес бухгалтер@пример.рф требует SMTPUTF8, а сервер его не поддерживает", True)
        ]
        assert received == [(email_for(PENDING[1][1]),)]


def test_message_claimed_by_a_process_that_died_is_retried_after_the_lease(
    app_ctx,
    smtp_server,
):
    use_smtp(app_ctx, smtp_server)
    add_clients(app_ctx, PENDING[:1])
    with app_ctx.session_factory.begin() as session:
        claimed = claim_batch(session, settings=app_ctx.settings, now=app_ctx.clock(), limit=10)
    assert len(claimed) == 1  # ... and the process dies here, before sending
    assert outbox_rows(app_ctx)[0].status == "sending"
    app_ctx.clock.advance(minutes=14)
    assert deliver_all(app_ctx).sent == 0
    app_ctx.clock.advance(minutes=2)
    assert deliver_all(app_ctx).sent == 1
    assert len(smtp_server.messages) == 1
    assert outbox_rows(app_ctx)[0].status == "sent"


def test_two_deliveries_at_once_send_each_message_once(app_ctx, smtp_server):
    """Claims alone (no lock) keep concurrent senders apart."""
    use_smtp(app_ctx, smtp_server)
    for start in range(0, 40, 4):
        add_clients(
            app_ctx,
            [
                (f"Клиент {start + i}", inn, "Контакт")
                for i, inn in enumerate(company_inns(start, 4))
            ],
        )
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(deliver_all(app_ctx))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 40
    recipients = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert len(recipients) == 40 and len(set(recipients)) == 40


# --- locks ------------------------------------------------------------------------------------


def test_lock_is_exclusive_until_released_or_expired(app_ctx):
    factory = app_ctx.session_factory
    lease = acquire(factory, app_ctx.clock, "mail-send")
    assert lease is not None
    assert acquire(factory, app_ctx.clock, "mail-send") is None
    assert acquire(factory, app_ctx.clock, "invite-remind") is not None  # other names are free
    lease.release()
    second = acquire(factory, app_ctx.clock, "mail-send")
    assert second is not None
    # the holder crashes: after the lease runs out, another run takes over
    app_ctx.clock.advance(minutes=10)
    third = acquire(factory, app_ctx.clock, "mail-send")
    assert third is not None
    with pytest.raises(LockLost):
        second.renew()
    third.renew()


def test_lock_wait_runs_out_with_exit_75(app_ctx):
    factory = app_ctx.session_factory
    assert acquire(factory, app_ctx.clock, "mail-send") is not None
    with pytest.raises(TemporaryFailure) as raised:
        acquire(factory, app_ctx.clock, "mail-send", wait_seconds=0.3)
    assert raised.value.exit_status == ExitStatus.TEMPORARY
    assert raised.value.message == (
        "другой запуск ещё выполняет «mail-send»; ожидание 0.3 с истекло, повторите позже"
    )


def test_lock_row_update_is_conditional(app_ctx):
    now = app_ctx.clock()
    with app_ctx.session_factory.begin() as session:
        assert try_acquire(session, "x", "a", now, timedelta(minutes=1))
        assert not try_acquire(session, "x", "b", now, timedelta(minutes=1))
        assert try_acquire(session, "x", "b", now + timedelta(minutes=1), timedelta(minutes=1))


def test_a_slow_batch_hands_its_claims_back_before_they_go_stale(app_ctx, smtp_server):
    """Each send takes "4 minutes": the batch re-claims instead of outliving its lease."""
    use_smtp(app_ctx, smtp_server)
    add_clients(app_ctx, PENDING)
    fake = app_ctx.clock

    def slow_clock():
        fake.advance(minutes=4)
        return fake()

    from bankon_cli.services.outbox import deliver

    report = deliver(app_ctx.session_factory, app_ctx.mail_backend(), app_ctx.settings, slow_clock)
    assert report.sent == 4
    recipients = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert recipients == sorted(email_for(inn) for _, inn, _ in PENDING)
    assert {(row.status, row.attempts) for row in outbox_rows(app_ctx)} == {("sent", 1)}
