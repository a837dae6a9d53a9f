"""Cron reminders: quiet hours, expiring old invitations, choosing and queueing reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bankon_cli.config import Settings
from bankon_cli.context import Clock
from bankon_cli.db.models import Agent, Client, ClientEvent, Invitation, OutboxMessage
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.errors import ConfigError
from bankon_cli.mail.backends import MailBackend
from bankon_cli.services.invites import InvitationStatus, OutboxStatus, queue_invitation_email
from bankon_cli.services.outbox import DeliveryReport, deliver

INVITE_KINDS = ("invite", "invite_reminder")
# Reminders are queued and delivered this many at a time, each chunk in its own transaction,
# so a long run never holds the database's write lock for long and a crash loses nothing.
CHUNK = 500


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo
    text: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight: 21:00-09:00


def _clock_time(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def parse_quiet_hours(text: str, zone_name: str) -> QuietHours | None:
    """`21:00-09:00` in `zone_name`; empty text disables quiet hours."""
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError):
        raise ConfigError(
            f"Параметр invite.timezone конфигурации: неизвестный часовой пояс «{zone_name}» "
            "(например, Europe/Moscow)"
        ) from None
    if not text.strip():
        return None
    try:
        first, second = text.split("-")
        start, end = _clock_time(first), _clock_time(second)
    except ValueError:
        raise ConfigError(
            f"Параметр invite.quiet_hours конфигурации: «{text}» — пишите ЧЧ:ММ-ЧЧ:ММ, "
            "например 21:00-09:00, или пустую строку"
        ) from None
    if start == end:
        raise ConfigError("Параметр invite.quiet_hours конфигурации: начало и конец совпадают")
    return QuietHours(start, end, zone, f"{text.strip()} {zone_name}")


def kinds_held_now(settings: Settings, now: datetime) -> tuple[str, ...]:
    """Outbox kinds that must wait: reminders (even retried ones) never go out in quiet hours."""
    quiet = parse_quiet_hours(settings.invite.quiet_hours, settings.invite.timezone)
    return ("invite_reminder",) if quiet is not None and quiet.contains(now) else ()


@dataclass(frozen=True)
class Due:
    invitation_id: int
    inn: str
    short_name: str
    email: str
    reminders_sent: int
    last_sent_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "email": self.email,
            "reminders_sent": self.reminders_sent,
            "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
        }


@dataclass(frozen=True)
class Expired:
    inn: str
    short_name: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "expires_at": self.expires_at.isoformat(),
        }


@dataclass
class RemindReport:
    dry_run: bool
    quiet_hours: str | None = None  # set when the run fell in quiet hours
    reminded: list[Due] = field(default_factory=list)  # queued (or, in a dry run, due)
    expired: list[Expired] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "quiet_hours": self.quiet_hours,
            "reminded": len(self.reminded),
            "reminders": [due.as_json() for due in self.reminded],
            "expired": [item.as_json() for item in self.expired],
            "delivery": self.delivery.as_json(),
        }


def expire_invitations(session: Session, now: datetime, *, dry_run: bool) -> list[Expired]:
    """Mark sent invitations past their expiry as expired and say which they were."""
    rows = session.execute(
        select(Invitation.id, Client.inn, Client.short_name, Invitation.expires_at)
        .join(Client, Client.id == Invitation.client_id)
        .where(Invitation.status == InvitationStatus.SENT, Invitation.expires_at <= now)
        .order_by(Invitation.expires_at, Invitation.id)
    ).all()
    if rows and not dry_run:
        ids = [row.id for row in rows]
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(Invitation)
                .where(
                    Invitation.id.in_(ids[start : start + CHUNK]),
                    Invitation.status == InvitationStatus.SENT,
                )
                .values(status=InvitationStatus.EXPIRED)
                .execution_options(synchronize_session=False)
            )
    return [Expired(row.inn, row.short_name, row.expires_at) for row in rows]


def due_reminders(session: Session, settings: Settings, now: datetime, limit: int) -> list[Due]:
    """Unused, unexpired invitations of pending, unpaused clients, sent `remind_after` ago."""
    invite = settings.invite
    if invite.max_reminders <= 0 or limit <= 0:
        return []
    # A reminder still in the outbox, or one tried within remind_after (even if it failed),
    # holds the next one back: a mail server that is down must not pile reminders up.
    recent = exists().where(
        OutboxMessage.client_id == Invitation.client_id,
        OutboxMessage.kind.in_(INVITE_KINDS),
        or_(
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
            OutboxMessage.created_at > now - invite.remind_after,
        ),
    )
    rows = session.execute(
        select(
            Invitation.id,
            Client.inn,
            Client.short_name,
            Client.email,
            Invitation.reminders_sent,
            Invitation.last_sent_at,
        )
        .join(Client, Client.id == Invitation.client_id)
        .where(
            Invitation.status == InvitationStatus.SENT,
            Invitation.last_sent_at <= now - invite.remind_after,
            Invitation.expires_at > now,
            Invitation.reminders_sent < invite.max_reminders,
            Client.status == ClientStatus.PENDING.value,
            Client.reminders_paused.is_(False),
            ~recent,
        )
        .order_by(Invitation.last_sent_at, Invitation.id)
        .limit(limit)
    ).all()
    return [Due(*row) for row in rows]


def queue_reminders(
    session: Session, due: list[Due], settings: Settings, now: datetime
) -> dict[int, int]:
    """Queue one reminder (with a fresh link of the same invitation) for each due invitation."""
    if not due:
        return {}
    rows = session.execute(
        select(Invitation, Client, Agent)
        .join(Client, Client.id == Invitation.client_id)
        .join(Agent, Agent.id == Client.agent_id)
        .where(Invitation.id.in_([item.invitation_id for item in due]))
        .order_by(Invitation.id)
    )
    outbox_ids: dict[int, int] = {}
    for invitation, client, agent in rows:
        counted = session.connection().execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.status == InvitationStatus.SENT,
                Invitation.reminders_sent == invitation.reminders_sent,
            )
            .values(reminders_sent=Invitation.reminders_sent + 1)
        )
        if not getattr(counted, "rowcount", 0):
            continue  # another run got here first
        message = queue_invitation_email(
            session,
            client=client,
            agent=agent,
            invitation=invitation,
            settings=settings,
            now=now,
            reminder=True,
        )
        session.add(
            ClientEvent(
                client_id=client.id,
                at=now,
                kind="reminded",
                detail=f"Напоминание №{invitation.reminders_sent + 1} на {client.email}",
            )
        )
        outbox_ids[invitation.id] = message.id
    return outbox_ids


def run_reminders(
    session_factory: sessionmaker[Session],
    backend: MailBackend,
    settings: Settings,
    clock: Clock,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    between_batches: Callable[[], None] | None = None,
) -> RemindReport:
    """Expire what is past expiry, then queue and deliver due reminders a chunk at a time."""
    quiet = parse_quiet_hours(settings.invite.quiet_hours, settings.invite.timezone)
    report = RemindReport(dry_run=dry_run)
    now = clock()
    with session_factory.begin() as session:
        report.expired = expire_invitations(session, now, dry_run=dry_run)
    if quiet is not None and quiet.contains(now):
        report.quiet_hours = quiet.text
        return report
    if dry_run:
        with session_factory.begin() as session:
            report.reminded = due_reminders(session, settings, now, limit or 10**9)
        return report
    remaining = limit
    while remaining is None or remaining > 0:
        if between_batches is not None:
            between_batches()
        size = CHUNK if remaining is None else min(CHUNK, remaining)
        now = clock()
        with session_factory.begin() as session:
            due = due_reminders(session, settings, now, size)
            queued = queue_reminders(session, due, settings, now)
        if not due:
            break
        report.reminded.extend(item for item in due if item.invitation_id in queued)
        report.delivery.merge(
            deliver(
                session_factory,
                backend,
                settings,
                clock,
                message_ids=list(queued.values()),
                between_batches=between_batches,
            )
        )
        if remaining is not None:
            remaining -= len(due)
        if report.delivery.connection_error is not None:
            break  # the rest stays due for the next run instead of piling up in the queue
    return report
