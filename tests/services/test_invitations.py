"""Invitation lifecycle as services: token rules, resend, reminders, quiet hours, listing."""
# ruff: noqa: F401, F811 - fixtures imported from tests.smtp_servers are used as parameters

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bankon_cli.db.models import Client, InviteToken, OutboxMessage
from bankon_cli.errors import ConfigError, Conflict, ExitStatus, NotFound
from bankon_cli.services.invitations import (
    InviteTokenExpired,
    InviteTokenRevoked,
    InviteTokenUsed,
    UnknownInviteToken,
    check_token,
    list_invitations,
    mark_used,
    resend_all_pending,
    resend_invitations,
    set_reminders_paused,
)
from bankon_cli.services.reminders import parse_quiet_hours, run_reminders
from bankon_cli.services.tokens import token_hash
from tests.invitation_helpers import (
    ATTACHED,
    PENDING,
    add_clients,
    attach,
    deliver_all,
    email_for,
    invitations_of,
    invited,
    link_tokens,
    outbox_rows,
    use_smtp,
    with_settings,
)
from tests.smtp_servers import smtp_server

NOVAYA = PENDING[0]  # Новая Техника, 4346051140
KRAHMAL = PENDING[1]


@pytest.fixture
def ready(app_ctx, smtp_server):
    """Four pending seed clients, each with its invitation delivered to a real SMTP server."""
    use_smtp(app_ctx, smtp_server)
    invited(app_ctx)
    return smtp_server


def check(app_ctx, token):
    with app_ctx.session_factory.begin() as session:
        return check_token(session, token, app_ctx.clock())


def remind(app_ctx, **kwargs):
    return run_reminders(
        app_ctx.session_factory, app_ctx.mail_backend(), app_ctx.settings, app_ctx.clock, **kwargs
    )


# --- tokens -----------------------------------------------------------------------------------


def test_delivered_link_opens_its_invitation_and_only_its_hash_is_stored(app_ctx, ready):
    token = link_tokens(ready.messages, email_for(NOVAYA[1]))[0]
    invitation = check(app_ctx, token)
    assert invitation.id == invitations_of(app_ctx, NOVAYA[1])[0].id
    # the whole link from the email is accepted too
    assert check(app_ctx, f"https://portal.example/register?token={token}").id == invitation.id
    with app_ctx.session_factory.begin() as session:
        hashes = set(session.scalars(select(InviteToken.token_hash)))
        bodies = " ".join(m.body_text + m.body_html for m in session.scalars(select(OutboxMessage)))
    assert token_hash(token) in hashes
    assert token not in hashes
    assert token not in bodies


def test_unknown_token_is_refused_with_a_reason(app_ctx, ready):
    with pytest.raises(UnknownInviteToken) as raised:
        check(app_ctx, "not-a-real-token")
    assert raised.value.exit_status == ExitStatus.INVALID_INPUT
    assert raised.value.reason == "unknown"
    assert raised.value.message == (
        "ссылка приглашения недействительна: проверьте, что она скопирована целиком"
    )


def test_token_is_single_use(app_ctx, ready):
    token = link_tokens(ready.messages, email_for(NOVAYA[1]))[0]
    with app_ctx.session_factory.begin() as session:
        invitation = check_token(session, token, app_ctx.clock())
        mark_used(session, invitation, app_ctx.clock())
    with pytest.raises(InviteTokenUsed) as raised:
        check(app_ctx, token)
    assert raised.value.exit_status == ExitStatus.CONFLICT
    assert raised.value.message == "приглашение уже использовано: регистрация по нему завершена"
    with app_ctx.session_factory.begin() as session, pytest.raises(InviteTokenUsed):
        mark_used(session, invitation, app_ctx.clock())


def test_token_past_expiry_is_refused(app_ctx, ready):
    token = link_tokens(ready.messages, email_for(NOVAYA[1]))[0]
    app_ctx.clock.advance(days=14)
    with pytest.raises(InviteTokenExpired) as raised:
        check(app_ctx, token)
    assert raised.value.reason == "expired"
    assert raised.value.message == (
        "срок действия приглашения истёк 17.12.2026 12:00 UTC; агент может отправить его повторно"
    )


def test_link_of_an_undelivered_email_does_not_exist_yet(app_ctx):
    add_clients(app_ctx, [NOVAYA])
    with app_ctx.session_factory.begin() as session:
        placeholder = session.scalars(select(InviteToken.token_hash)).one()
    # the placeholder hash matches no token: nothing can be registered before delivery
    with pytest.raises(UnknownInviteToken):
        check(app_ctx, placeholder)


# --- resend -----------------------------------------------------------------------------------


def test_resend_revokes_every_earlier_link_and_sends_a_working_one(app_ctx, ready):
    first = link_tokens(ready.messages, email_for(NOVAYA[1]))[0]
    app_ctx.clock.advance(hours=2)
    with app_ctx.session_factory.begin() as session:
        report = resend_invitations(
            session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock()
        )
    assert [(r.inn, r.revoked, r.link) for r in report.resent] == [(NOVAYA[1], 1, None)]
    assert deliver_all(app_ctx).sent == 1
    tokens = link_tokens(ready.messages, email_for(NOVAYA[1]))
    assert len(tokens) == 2
    with pytest.raises(InviteTokenRevoked) as raised:
        check(app_ctx, first)
    assert raised.value.message == (
        "ссылка отозвана: клиенту отправлено новое приглашение, используйте ссылку из него"
    )
    new = check(app_ctx, tokens[1])
    assert [(i.status, i.times_sent) for i in invitations_of(app_ctx, NOVAYA[1])] == [
        ("revoked", 1),
        ("sent", 1),
    ]
    assert new.id == invitations_of(app_ctx, NOVAYA[1])[1].id


def test_resend_within_cooldown_is_refused_with_time_left_unless_forced(app_ctx, ready):
    app_ctx.clock.advance(minutes=25)
    with app_ctx.session_factory.begin() as session, pytest.raises(Conflict) as raised:
        resend_invitations(
            session, [NOVAYA[1], KRAHMAL[1]], settings=app_ctx.settings, now=app_ctx.clock()
        )
    assert raised.value.message == (
        "ИНН 4346051140: приглашение отправлено 03.12.2026 15:00 (МСК); повторная отправка "
        "возможна через 35 мин (или с --force); ИНН 3257031038: приглашение отправлено "
        "03.12.2026 15:00 (МСК); повторная отправка возможна через 35 мин (или с --force)"
    )
    assert len(invitations_of(app_ctx, NOVAYA[1])) == 1  # nothing half done
    with app_ctx.session_factory.begin() as session:
        report = resend_invitations(
            session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock(), force=True
        )
    assert len(report.resent) == 1
    assert [i.status for i in invitations_of(app_ctx, NOVAYA[1])] == ["revoked", "sent"]


def test_resend_refuses_attached_and_unknown_clients(app_ctx, ready):
    attach(app_ctx, NOVAYA[1])
    with app_ctx.session_factory.begin() as session, pytest.raises(Conflict) as raised:
        resend_invitations(
            session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock(), force=True
        )
    assert raised.value.exit_status == ExitStatus.CONFLICT
    assert raised.value.message == (
        "ИНН 4346051140: клиент в статусе «Закреплен», приглашение ему не нужно"
    )
    with app_ctx.session_factory.begin() as session, pytest.raises(NotFound) as missing:
        resend_invitations(session, ["7726311464"], settings=app_ctx.settings, now=app_ctx.clock())
    assert missing.value.message == "Клиент с ИНН 7726311464 не найден"


def test_show_link_mints_a_working_link_now_and_stores_only_its_hash(app_ctx, ready):
    app_ctx.clock.advance(hours=2)
    with app_ctx.session_factory.begin() as session:
        report = resend_invitations(
            session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock(), show_link=True
        )
    link = report.resent[0].link
    assert link is not None and link.startswith("https://portal.example/register?token=")
    shown = link.rsplit("=", 1)[1]
    assert check(app_ctx, shown).id == invitations_of(app_ctx, NOVAYA[1])[1].id
    # the email carries its own link of the same invitation; both work, neither is stored
    assert deliver_all(app_ctx).sent == 1
    emailed = link_tokens(ready.messages, email_for(NOVAYA[1]))[-1]
    assert emailed != shown
    assert check(app_ctx, emailed).id == check(app_ctx, shown).id
    with app_ctx.session_factory.begin() as session:
        hashes = set(session.scalars(select(InviteToken.token_hash)))
    assert token_hash(shown) in hashes and shown not in hashes


def test_resend_cancels_queued_emails_whose_links_it_revokes(app_ctx):
    add_clients(app_ctx, [NOVAYA])  # never delivered: the email is still queued
    app_ctx.clock.advance(minutes=30)
    with app_ctx.session_factory.begin() as session, pytest.raises(Conflict):
        # a queued invitation counts as a sending for the cooldown
        resend_invitations(session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock())
    app_ctx.clock.advance(minutes=30)
    with app_ctx.session_factory.begin() as session:
        resend_invitations(session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock())
    assert [(m.kind, m.status, m.last_error) for m in outbox_rows(app_ctx)] == [
        ("invite", "failed", "отменено: приглашение заменено повторной отправкой"),
        ("invite", "queued", None),
    ]


def test_resend_all_pending_takes_old_ones_and_skips_cooldown(app_ctx, ready):
    app_ctx.clock.advance(days=4)
    with app_ctx.session_factory.begin() as session:
        resend_invitations(session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock())
    deliver_all(app_ctx)
    with app_ctx.session_factory.begin() as session:
        report = resend_all_pending(
            session, settings=app_ctx.settings, now=app_ctx.clock(), older_than=timedelta(days=3)
        )
    assert sorted(r.inn for r in report.resent) == sorted(inn for _, inn, _ in PENDING[1:])
    assert report.skipped == []
    with app_ctx.session_factory.begin() as session:
        everyone = resend_all_pending(session, settings=app_ctx.settings, now=app_ctx.clock())
    assert [s.inn for s in everyone.skipped] == [c[1] for c in PENDING]
    assert {s.code for s in everyone.skipped} == {"cooldown"}


# --- reminders --------------------------------------------------------------------------------


def test_reminder_after_remind_after_carries_a_fresh_link_and_old_links_stay_valid(app_ctx, ready):
    app_ctx.clock.advance(days=2, hours=23)
    report = remind(app_ctx)
    assert (len(report.reminded), report.delivery.sent) == (0, 0)
    app_ctx.clock.advance(hours=1)
    report = remind(app_ctx)
    assert sorted(d.inn for d in report.reminded) == sorted(c[1] for c in PENDING)
    assert report.delivery.sent == 4
    tokens = link_tokens(ready.messages, email_for(NOVAYA[1]))
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert check(app_ctx, tokens[0]).id == check(app_ctx, tokens[1]).id
    reminder = [m for m in ready.messages if email_for(NOVAYA[1]) in m.rcpt_tos][-1]
    assert "Напоминаем, что агент ООО" in reminder.text()
    assert next(m.subject for m in outbox_rows(app_ctx) if m.kind == "invite_reminder") == (
        "Напоминание: завершите регистрацию на портале Банкон24"
    )
    [invitation] = invitations_of(app_ctx, NOVAYA[1])
    assert (invitation.reminders_sent, invitation.times_sent) == (1, 2)
    assert remind(app_ctx).reminded == []  # the next one waits another remind_after


def test_at_most_max_reminders(app_ctx, ready):
    sent = []
    for _ in range(4):
        app_ctx.clock.advance(days=3)
        sent.append(remind(app_ctx).delivery.sent)
    assert sent == [4, 4, 4, 0]  # default max_reminders = 3


def test_max_reminders_bound_with_a_long_ttl(app_ctx, smtp_server):
    with_settings(app_ctx, ttl=timedelta(days=60), max_reminders=3)
    use_smtp(app_ctx, smtp_server)
    invited(app_ctx, [NOVAYA])
    sent = []
    for _ in range(5):
        app_ctx.clock.advance(days=3)
        sent.append(remind(app_ctx).delivery.sent)
    assert sent == [1, 1, 1, 0, 0]
    assert invitations_of(app_ctx, NOVAYA[1])[0].reminders_sent == 3


@pytest.mark.parametrize(
    ("utc_hour", "quiet"),
    [(17, False), (18, True), (23, True), (5, True), (6, False)],  # MSK = UTC+3
)
def test_quiet_hours_in_moscow_time(app_ctx, ready, utc_hour, quiet):
    app_ctx.clock.now = datetime(2026, 12, 7, utc_hour, 0, tzinfo=UTC)
    report = remind(app_ctx)
    assert report.quiet_hours == ("21:00-09:00 Europe/Moscow" if quiet else None)
    assert report.delivery.sent == (0 if quiet else 4)


def test_empty_quiet_hours_disable_them(app_ctx, ready):
    with_settings(app_ctx, quiet_hours="")
    app_ctx.clock.now = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    assert remind(app_ctx).delivery.sent == 4


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        (
            "21-9-3",
            "Europe/Moscow",
            "Параметр invite.quiet_hours конфигурации: «21-9-3» — "
            "пишите ЧЧ:ММ-ЧЧ:ММ, например 21:00-09:00, или пустую строку",
        ),
        (
            "25:00-09:00",
            "Europe/Moscow",
            "Параметр invite.quiet_hours конфигурации: "
            "«25:00-09:00» — пишите ЧЧ:ММ-ЧЧ:ММ, например 21:00-09:00, или пустую строку",
        ),
        (
            "21:00-09:00",
            "Mars/Olympus",
            "Параметр invite.timezone конфигурации: неизвестный "
            "часовой пояс «Mars/Olympus» (например, Europe/Moscow)",
        ),
    ],
)
def test_bad_quiet_hours_config_is_named(text, zone, message):
    with pytest.raises(ConfigError) as raised:
        parse_quiet_hours(text, zone)
    assert raised.value.message == message


def test_expired_invitations_are_marked_and_reported_not_reminded(app_ctx, ready):
    app_ctx.clock.advance(days=14, minutes=1)
    report = remind(app_ctx)
    assert sorted(e.inn for e in report.expired) == sorted(c[1] for c in PENDING)
    assert report.reminded == [] and report.delivery.sent == 0
    assert invitations_of(app_ctx, NOVAYA[1])[0].status == "expired"
    assert remind(app_ctx).expired == []  # reported once
    # a resend revives the client
    with app_ctx.session_factory.begin() as session:
        resend_invitations(session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock())
    assert [i.status for i in invitations_of(app_ctx, NOVAYA[1])] == ["revoked", "sent"]


def test_paused_and_attached_clients_get_no_reminders(app_ctx, ready):
    with app_ctx.session_factory.begin() as session:
        _, changed = set_reminders_paused(session, NOVAYA[1], paused=True, now=app_ctx.clock())
    assert changed
    attach(app_ctx, KRAHMAL[1])
    app_ctx.clock.advance(days=3)
    report = remind(app_ctx)
    assert sorted(d.inn for d in report.reminded) == sorted(c[1] for c in PENDING[2:])
    with app_ctx.session_factory.begin() as session:
        set_reminders_paused(session, NOVAYA[1], paused=False, now=app_ctx.clock())
        client = session.scalars(select(Client).where(Client.inn == NOVAYA[1])).one()
        assert client.reminders_paused is False
    assert [d.inn for d in remind(app_ctx).reminded] == [NOVAYA[1]]


def test_dry_run_changes_nothing(app_ctx, ready):
    app_ctx.clock.advance(days=3)
    before = outbox_rows(app_ctx)
    report = remind(app_ctx, dry_run=True)
    assert len(report.reminded) == 4 and report.delivery.sent == 0
    assert len(outbox_rows(app_ctx)) == len(before)
    assert [i.reminders_sent for i in invitations_of(app_ctx, NOVAYA[1])] == [0]
    assert len(ready.messages) == 4


def test_limit_caps_one_run(app_ctx, ready):
    app_ctx.clock.advance(days=3)
    assert remind(app_ctx, limit=3).delivery.sent == 3
    assert remind(app_ctx).delivery.sent == 1


def test_a_reminder_stuck_in_the_queue_holds_the_next_one_back(app_ctx, ready):
    ready.handler.behaviour.always_temporary = True
    app_ctx.clock.advance(days=3)
    assert remind(app_ctx).delivery.retrying == 4
    app_ctx.clock.advance(days=3)
    assert remind(app_ctx).reminded == []
    assert len([m for m in outbox_rows(app_ctx) if m.kind == "invite_reminder"]) == 4


# --- listing and pausing ----------------------------------------------------------------------


def test_list_shows_effective_status_and_filters(app_ctx, ready):
    with app_ctx.session_factory.begin() as session:
        resend_invitations(
            session, [NOVAYA[1]], settings=app_ctx.settings, now=app_ctx.clock(), force=True
        )
    app_ctx.clock.advance(days=14)
    with app_ctx.session_factory.begin() as session:
        everything = list_invitations(session, status=None, now=app_ctx.clock())
        expired = list_invitations(session, status="expired", now=app_ctx.clock())
        revoked = list_invitations(session, status="revoked", now=app_ctx.clock())
        sent = list_invitations(session, status="sent", now=app_ctx.clock())
    assert len(everything) == 5
    assert sorted(r.inn for r in expired) == sorted(c[1] for c in PENDING)
    assert {r.status_label for r in expired} == {"истекло"}
    assert [(r.inn, r.status) for r in revoked] == [(NOVAYA[1], "revoked")]
    assert sent == []


def test_pause_unknown_client_is_not_found(app_ctx, ready):
    with app_ctx.session_factory.begin() as session, pytest.raises(NotFound) as raised:
        set_reminders_paused(session, ATTACHED[0][1], paused=True, now=app_ctx.clock())
    assert raised.value.message == "Клиент с ИНН 6149006872 не найден"


def test_two_operators_resending_at_once_leave_one_live_invitation(app_ctx, ready):
    import threading

    barrier = threading.Barrier(2)
    errors = []

    def operator() -> None:
        barrier.wait()
        try:
            with app_ctx.session_factory.begin() as session:
                resend_invitations(
                    session,
                    [NOVAYA[1]],
                    settings=app_ctx.settings,
                    now=app_ctx.clock(),
                    force=True,
                )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=operator) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(i.status for i in invitations_of(app_ctx, NOVAYA[1])) == [
        "revoked",
        "revoked",
        "sent",
    ]
