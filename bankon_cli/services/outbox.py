"""Delivering the outbox: claim atomically, mint links, send over one connection, record."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bankon_cli.config import Settings
from bankon_cli.context import Clock
from bankon_cli.db.models import Client, Invitation, InviteToken, OutboxMessage
from bankon_cli.errors import InvalidInput
from bankon_cli.mail.backends import MailBackend, SendError
from bankon_cli.mail.message import Content, build_message
from bankon_cli.services.invites import OUTBOX_STATUS_LABELS, OutboxStatus
from bankon_cli.services.tokens import invite_link, new_token, token_hash

CLAIM_LEASE = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)
BATCH_SIZE = 200


@dataclass(frozen=True)
class FailedMessage:
    id: int
    recipient: str
    error: str
    permanent: bool


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: list[FailedMessage] = field(default_factory=list)
    # Set when the server could not be reached at all (down, TLS mismatch, login refused).
    connection_error: str | None = None
    connection_error_temporary: bool = True

    @property
    def retrying(self) -> int:
        return sum(1 for failure in self.failed if not failure.permanent)

    @property
    def permanently_failed(self) -> int:
        return sum(1 for failure in self.failed if failure.permanent)

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed.extend(other.failed)
        if other.connection_error is not None:
            self.connection_error = other.connection_error
            self.connection_error_temporary = other.connection_error_temporary

    def as_json(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.permanently_failed,
            "connection_error": self.connection_error,
            "failures": [
                {
                    "id": failure.id,
                    "recipient": failure.recipient,
                    "error": failure.error,
                    "permanent": failure.permanent,
                }
                for failure in self.failed
            ],
        }


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient_name: str
    recipient_email: str
    content: Content
    link: str | None
    invite_token_id: int | None
    attempts: int
    claimed_by: str
    claimed_at: datetime


def backoff(attempts: int, base: timedelta) -> timedelta:
    delay: timedelta = base * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def release_stale_claims(session: Session, now: datetime) -> int:
    """Messages claimed by a process that died before recording the outcome go back to the queue."""
    result = session.connection().execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - CLAIM_LEASE,
        )
        .values(status=OutboxStatus.QUEUED, claimed_by=None, claimed_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim_batch(
    session: Session,
    *,
    settings: Settings,
    now: datetime,
    limit: int,
    message_ids: Sequence[int] | None = None,
    held_kinds: Sequence[str] = (),
) -> list[_Claimed]:
    """Atomically take up to `limit` due messages and mint the links they carry."""
    run_id = secrets.token_hex(8)
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if message_ids is not None:
        due = due.where(OutboxMessage.id.in_(list(message_ids)))
    if held_kinds:
        due = due.where(OutboxMessage.kind.not_in(list(held_kinds)))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.connection().execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claimed_by=run_id, claimed_at=now)
    )
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.claimed_by == run_id).order_by(OutboxMessage.id)
    ).all()
    claimed = []
    for row in rows:
        link = None
        if row.invite_token_id is not None:
            token = new_token()
            session.connection().execute(
                update(InviteToken)
                .where(InviteToken.id == row.invite_token_id)
                .values(token_hash=token_hash(token))
            )
            link = invite_link(settings.invite.portal_url, token)
        claimed.append(
            _Claimed(
                id=row.id,
                recipient_name=row.recipient_name,
                recipient_email=row.recipient_email,
                content=Content(row.subject, row.body_text, row.body_html),
                link=link,
                invite_token_id=row.invite_token_id,
                attempts=row.attempts,
                claimed_by=run_id,
                claimed_at=now,
            )
        )
    return claimed


def _record_sent(session: Session, item: _Claimed, now: datetime, message_id: str) -> None:
    session.connection().execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item.id, OutboxMessage.claimed_by == item.claimed_by)
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            attempts=item.attempts + 1,
            last_error=None,
            message_id=message_id,
            claimed_by=None,
        )
    )
    if item.invite_token_id is not None:
        invitation_id = select(InviteToken.invitation_id).where(
            InviteToken.id == item.invite_token_id
        )
        session.connection().execute(
            update(Invitation)
            .where(Invitation.id == invitation_id.scalar_subquery())
            .values(times_sent=Invitation.times_sent + 1, last_sent_at=now)
        )


def _release(session: Session, items: list[_Claimed]) -> None:
    for item in items:
        session.connection().execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == item.id, OutboxMessage.claimed_by == item.claimed_by)
            .values(status=OutboxStatus.QUEUED, claimed_by=None, claimed_at=None)
        )


def _record_failure(
    session: Session, item: _Claimed, error: SendError, now: datetime, settings: Settings
) -> FailedMessage:
    attempts = item.attempts + 1
    permanent = not error.temporary or attempts >= settings.mail.max_attempts
    session.connection().execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item.id, OutboxMessage.claimed_by == item.claimed_by)
        .values(
            status=OutboxStatus.FAILED if permanent else OutboxStatus.QUEUED,
            attempts=attempts,
            last_error=error.reason,
            next_attempt_at=now + backoff(attempts, settings.mail.retry_base),
            claimed_by=None,
            claimed_at=None,
        )
    )
    return FailedMessage(item.id, item.recipient_email, error.reason, permanent)


def deliver(
    session_factory: sessionmaker[Session],
    backend: MailBackend,
    settings: Settings,
    clock: Clock,
    *,
    message_ids: Sequence[int] | None = None,
    limit: int | None = None,
    between_batches: Callable[[], None] | None = None,
    held_kinds: Sequence[str] = (),
) -> DeliveryReport:
    """Send due messages (all, or just `message_ids`) in batches over one connection each.

    `between_batches` runs before every batch (a cron run renews its lock lease there);
    messages of `held_kinds` stay queued this time (reminders during quiet hours).
    """
    report = DeliveryReport()
    with session_factory.begin() as session:
        release_stale_claims(session, clock())
    if message_ids is not None:
        # Claim the given messages a chunk at a time: an IN list of 100,000 ids would pass
        # the engines' limit on bound parameters.
        ids = sorted(message_ids)
        for start in range(0, len(ids), BATCH_SIZE):
            if limit is not None and report.sent + len(report.failed) >= limit:
                break
            chunk = ids[start : start + BATCH_SIZE]
            report.merge(
                _deliver_some(
                    session_factory,
                    backend,
                    settings,
                    clock,
                    chunk,
                    None,
                    between_batches,
                    held_kinds,
                )
            )
        return report
    return _deliver_some(
        session_factory, backend, settings, clock, None, limit, between_batches, held_kinds
    )


def _deliver_some(
    session_factory: sessionmaker[Session],
    backend: MailBackend,
    settings: Settings,
    clock: Clock,
    message_ids: Sequence[int] | None,
    limit: int | None,
    between_batches: Callable[[], None] | None,
    held_kinds: Sequence[str],
) -> DeliveryReport:
    report = DeliveryReport()
    remaining = limit
    while remaining is None or remaining > 0:
        if between_batches is not None:
            between_batches()
        size = BATCH_SIZE if remaining is None else min(BATCH_SIZE, remaining)
        with session_factory.begin() as session:
            batch = claim_batch(
                session,
                settings=settings,
                now=clock(),
                limit=size,
                message_ids=message_ids,
                held_kinds=held_kinds,
            )
        if not batch:
            break
        report.merge(_send_batch(session_factory, backend, settings, clock, batch))
        if remaining is not None:
            remaining -= len(batch)
        if report.connection_error is not None:
            # The server is unreachable: the rest waits for the next run, untouched.
            break
    return report


def _send_batch(
    session_factory: sessionmaker[Session],
    backend: MailBackend,
    settings: Settings,
    clock: Clock,
    batch: list[_Claimed],
) -> DeliveryReport:
    report = DeliveryReport()
    pending = list(batch)
    try:
        with backend.connect() as connection:
            while pending:
                item = pending[0]
                if clock() - item.claimed_at > CLAIM_LEASE / 2:
                    # A slow server: hand the rest back before our claims could be taken
                    # as stale and sent by another run as well.
                    with session_factory.begin() as session:
                        _release(session, pending)
                    break
                try:
                    message = build_message(
                        sender=settings.mail.sender,
                        recipient_name=item.recipient_name,
                        recipient_email=item.recipient_email,
                        content=item.content,
                        link=item.link,
                        sent_at=clock(),
                    )
                    connection.send(message, item.recipient_email)
                except (ValueError, UnicodeError) as broken:
                    # A message that cannot even be built fails alone; the batch goes on.
                    error = SendError(f"письмо не удалось собрать: {broken}", temporary=False)
                    with session_factory.begin() as session:
                        report.failed.append(
                            _record_failure(session, item, error, clock(), settings)
                        )
                except SendError as error:
                    with session_factory.begin() as session:
                        report.failed.append(
                            _record_failure(session, item, error, clock(), settings)
                        )
                else:
                    with session_factory.begin() as session:
                        _record_sent(session, item, clock(), str(message["Message-ID"]))
                    report.sent += 1
                pending.pop(0)
    except SendError as error:
        # The connection itself failed (server down, TLS mismatch, login): nothing was sent,
        # so everything not yet tried stays queued until the server or the config is fixed.
        report.connection_error = error.reason
        report.connection_error_temporary = error.temporary
        retry = SendError(error.reason, temporary=True)
        with session_factory.begin() as session:
            for item in pending:
                report.failed.append(_record_failure(session, item, retry, clock(), settings))
    return report


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    recipient_email: str
    client_inn: str | None
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None

    @property
    def status_label(self) -> str:
        return OUTBOX_STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "recipient": self.recipient_email,
            "client_inn": self.client_inn,
            "subject": self.subject,
            "status": self.status,
            "status_label": self.status_label,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


OUTBOX_JSON_KEYS = (
    "id",
    "kind",
    "recipient",
    "client_inn",
    "subject",
    "status",
    "status_label",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "sent_at",
)


def list_outbox(session: Session, *, status: str | None, limit: int) -> list[OutboxRow]:
    """The newest `limit` messages (of one status, if given) with their attempts and errors."""
    if status is not None and status not in OUTBOX_STATUS_LABELS:
        raise InvalidInput("--status", f"«{status}» — допустимо: {', '.join(OUTBOX_STATUS_LABELS)}")
    query = (
        select(OutboxMessage, Client.inn)
        .outerjoin(Client, Client.id == OutboxMessage.client_id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return [
        OutboxRow(
            row.id,
            row.kind,
            row.recipient_email,
            inn,
            row.subject,
            row.status,
            row.attempts,
            row.last_error,
            row.created_at,
            row.next_attempt_at,
            row.sent_at,
        )
        for row, inn in session.execute(query)
    ]
