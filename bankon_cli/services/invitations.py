"""The invitation lifecycle: token checks, resend, cron reminders, listing, pausing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bankon_cli.config import Settings
from bankon_cli.db.models import Agent, Client, ClientEvent, Invitation, InviteToken, OutboxMessage
from bankon_cli.domain.durations import format_duration
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.errors import BankonError, Conflict, ExitStatus, InvalidInput, NotFound
from bankon_cli.services.clients import get_client, parse_client_inn
from bankon_cli.services.invites import (
    INVITATION_STATUS_LABELS,
    InvitationStatus,
    OutboxStatus,
    create_invitation,
    local_time_text,
)
from bankon_cli.services.tokens import (
    hashes_equal,
    invite_link,
    new_token,
    token_from_link_or_token,
    token_hash,
)

INVITE_KINDS = ("invite", "invite_reminder")


# --- Token checks (called by registration) ---------------------------------------------------


class InviteTokenRejected(BankonError):
    """A registration link that cannot be used; `reason` is a stable code for JSON output."""

    exit_status = ExitStatus.CONFLICT
    reason = "rejected"


class UnknownInviteToken(InviteTokenRejected):
    exit_status = ExitStatus.INVALID_INPUT
    reason = "unknown"


class InviteTokenUsed(InviteTokenRejected):
    reason = "used"


class InviteTokenRevoked(InviteTokenRejected):
    reason = "revoked"


class InviteTokenExpired(InviteTokenRejected):
    reason = "expired"


def check_token(session: Session, token: str, now: datetime) -> Invitation:
    """Return the invitation a registration token (or the whole link) opens, or refuse it.

    The token is hashed (SHA-256) and looked up by its hash, then the stored hash is compared
    to ours with hmac.compare_digest: the token itself is never stored, logged or compared in
    clear. Raises, each with a Russian message and `reason`:
    - UnknownInviteToken (exit 2, "unknown"): no such link (mistyped, or never delivered);
    - InviteTokenUsed (exit 4, "used"): the invitation already served a registration;
    - InviteTokenRevoked (exit 4, "revoked"): a resend replaced it with a new invitation;
    - InviteTokenExpired (exit 4, "expired"): `now` is at or past the invitation's expiry.
    It only reads. Registration then calls `mark_used` in the same transaction, which makes
    the invitation single use even when two registrations race.
    """
    digest = token_hash(token_from_link_or_token(token))
    row = session.scalar(select(InviteToken).where(InviteToken.token_hash == digest))
    if row is None or not hashes_equal(row.token_hash, digest):
        raise UnknownInviteToken(
            "ссылка приглашения недействительна: проверьте, что она скопирована целиком"
        )
    invitation = session.get_one(Invitation, row.invitation_id)
    if invitation.status == InvitationStatus.USED:
        raise InviteTokenUsed("приглашение уже использовано: регистрация по нему завершена")
    if invitation.status == InvitationStatus.REVOKED:
        raise InviteTokenRevoked(
            "ссылка отозвана: клиенту отправлено новое приглашение, используйте ссылку из него"
        )
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        raise InviteTokenExpired(
            f"срок действия приглашения истёк {_utc_text(invitation.expires_at)}; "
            "агент может отправить его повторно"
        )
    return invitation


def mark_used(session: Session, invitation: Invitation, now: datetime) -> None:
    """Spend the invitation: only one of two racing registrations gets past this update."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.SENT)
        .values(status=InvitationStatus.USED, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise InviteTokenUsed("приглашение уже использовано: регистрация по нему завершена")
    session.refresh(invitation)


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M UTC")


# --- Resend ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resent:
    inn: str
    short_name: str
    email: str
    outbox_id: int
    revoked: int
    link: str | None = None  # only with --show-link; never stored, never in JSON

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "email": self.email,
            "revoked_invitations": self.revoked,
        }


@dataclass(frozen=True)
class Skipped:
    inn: str
    short_name: str
    reason: str
    code: str

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "reason": self.code,
            "message": self.reason,
        }


@dataclass
class ResendReport:
    resent: list[Resent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def outbox_ids(self) -> list[int]:
        return [item.outbox_id for item in self.resent]


def _last_sent(session: Session, client: Client) -> datetime | None:
    """The last sending: a delivery, or the creation of an invitation still in the queue."""
    row = session.execute(
        select(func.max(Invitation.last_sent_at), func.max(Invitation.created_at)).where(
            Invitation.client_id == client.id
        )
    ).one()
    moments: list[datetime] = [moment for moment in row if moment is not None]
    if not moments:
        return None
    # func.max bypasses the column type on SQLite: make naive values aware again.
    return max(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)


def _refusal(
    session: Session, client: Client, settings: Settings, now: datetime, force: bool
) -> Skipped | None:
    if client.status != ClientStatus.PENDING.value:
        known = {status.value: status.label for status in ClientStatus}
        label = known.get(client.status, client.status)
        return Skipped(
            client.inn,
            client.short_name,
            f"клиент в статусе «{label}», приглашение ему не нужно",
            "attached",
        )
    used = session.scalar(
        select(Invitation.id)
        .where(Invitation.client_id == client.id, Invitation.status == InvitationStatus.USED)
        .limit(1)
    )
    if used is not None:
        return Skipped(
            client.inn, client.short_name, "клиент уже зарегистрировался по приглашению", "used"
        )
    if force:
        return None
    last = _last_sent(session, client)
    if last is not None and now < last + settings.invite.resend_cooldown:
        left = format_duration(last + settings.invite.resend_cooldown - now)
        return Skipped(
            client.inn,
            client.short_name,
            f"приглашение отправлено {local_time_text(last, settings)}; повторная отправка "
            f"возможна через {left} (или с --force)",
            "cooldown",
        )
    return None


def _resend_one(
    session: Session, client: Client, settings: Settings, now: datetime, show_link: bool, actor: str
) -> Resent:
    revoked = session.execute(
        update(Invitation)
        .where(
            Invitation.client_id == client.id,
            Invitation.status.in_([InvitationStatus.SENT, InvitationStatus.EXPIRED]),
        )
        .values(status=InvitationStatus.REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    # Emails of the revoked invitations still waiting in the queue would carry dead links.
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.client_id == client.id,
            OutboxMessage.kind.in_(INVITE_KINDS),
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(
            status=OutboxStatus.FAILED,
            last_error="отменено: приглашение заменено повторной отправкой",
        )
        .execution_options(synchronize_session=False)
    )
    agent = session.get_one(Agent, client.agent_id)
    queued = create_invitation(session, client=client, agent=agent, settings=settings, now=now)
    link = None
    if show_link:
        # A second link of the same invitation, minted now for the operator's terminal. The
        # email keeps its own link (minted at delivery), so a retried delivery never kills
        # the link the operator has already passed on. Only the hash is stored.
        token = new_token()
        session.add(
            InviteToken(
                invitation_id=queued.invitation.id, token_hash=token_hash(token), created_at=now
            )
        )
        link = invite_link(settings.invite.portal_url, token)
    count = int(getattr(revoked, "rowcount", 0) or 0)
    session.add(
        ClientEvent(
            client_id=client.id,
            at=now,
            kind="invite_resent",
            actor=actor,
            detail=f"Приглашение отправлено повторно на {client.email}; прежних отозвано: {count}",
        )
    )
    return Resent(client.inn, client.short_name, client.email, queued.message.id, count, link)


def resend_invitations(
    session: Session,
    inns: Sequence[str],
    *,
    settings: Settings,
    now: datetime,
    force: bool = False,
    show_link: bool = False,
    actor: str = "",
) -> ResendReport:
    """Send each client a new invitation and revoke its earlier ones, or refuse them all.

    One refused client (attached, or within `invite.resend_cooldown` without `force`) stops
    the whole command with every reason listed, so nothing is half done.
    """
    parsed = list(dict.fromkeys(parse_client_inn(raw) for raw in inns))
    locked = select(Client).where(Client.inn.in_(parsed)).order_by(Client.id).with_for_update()
    clients = {client.inn: client for client in session.scalars(locked)}
    missing = [inn for inn in parsed if inn not in clients]
    if missing:
        raise NotFound(f"Клиент с ИНН {', '.join(missing)} не найден")
    refusals = [r for inn in parsed if (r := _refusal(session, clients[inn], settings, now, force))]
    if refusals:
        raise Conflict("; ".join(f"ИНН {r.inn}: {r.reason}" for r in refusals))
    report = ResendReport()
    for inn in parsed:
        report.resent.append(_resend_one(session, clients[inn], settings, now, show_link, actor))
    return report


def resend_all_pending(
    session: Session,
    *,
    settings: Settings,
    now: datetime,
    older_than: timedelta | None = None,
    force: bool = False,
    show_link: bool = False,
    actor: str = "",
) -> ResendReport:
    """Resend to every pending client with an unused invitation; those in cooldown are skipped."""
    unused = select(Invitation.client_id).where(
        Invitation.status.in_([InvitationStatus.SENT, InvitationStatus.EXPIRED])
    )
    if older_than is not None:
        cutoff = now - older_than
        unused = unused.where(
            or_(
                Invitation.last_sent_at <= cutoff,
                and_(Invitation.last_sent_at.is_(None), Invitation.created_at <= cutoff),
            )
        )
    # Row locks (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises) keep two operators
    # resending the same client at once from leaving it with two live invitations.
    query = (
        select(Client)
        .where(Client.status == ClientStatus.PENDING.value, Client.id.in_(unused))
        .order_by(Client.id)
        .with_for_update()
    )
    report = ResendReport()
    for client in session.scalars(query).all():
        refusal = _refusal(session, client, settings, now, force)
        if refusal is not None:
            report.skipped.append(refusal)
        else:
            report.resent.append(_resend_one(session, client, settings, now, show_link, actor))
    return report


# --- Listing and pausing ---------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationRow:
    inn: str
    short_name: str
    email: str
    status: str
    created_at: datetime
    expires_at: datetime
    last_sent_at: datetime | None
    times_sent: int
    reminders_sent: int
    reminders_paused: bool

    @property
    def status_label(self) -> str:
        return INVITATION_STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "email": self.email,
            "status": self.status,
            "status_label": self.status_label,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
            "times_sent": self.times_sent,
            "reminders_sent": self.reminders_sent,
            "reminders_paused": self.reminders_paused,
        }


INVITATION_JSON_KEYS = (
    "inn",
    "short_name",
    "email",
    "status",
    "status_label",
    "created_at",
    "expires_at",
    "last_sent_at",
    "times_sent",
    "reminders_sent",
    "reminders_paused",
)


def list_invitations(session: Session, *, status: str | None, now: datetime) -> list[InvitationRow]:
    """Every invitation, newest first; a `sent` one past its expiry shows as `expired`."""
    if status is not None and status not in INVITATION_STATUS_LABELS:
        raise InvalidInput(
            "--status", f"«{status}» — допустимо: " + ", ".join(INVITATION_STATUS_LABELS)
        )
    overdue = and_(Invitation.status == InvitationStatus.SENT, Invitation.expires_at <= now)
    query = (
        select(Invitation, Client)
        .join(Client, Client.id == Invitation.client_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if status == InvitationStatus.EXPIRED:
        query = query.where(or_(Invitation.status == InvitationStatus.EXPIRED, overdue))
    elif status == InvitationStatus.SENT:
        query = query.where(Invitation.status == InvitationStatus.SENT, Invitation.expires_at > now)
    elif status is not None:
        query = query.where(Invitation.status == status)
    rows = []
    for invitation, client in session.execute(query):
        shown = invitation.status
        if shown == InvitationStatus.SENT and invitation.expires_at <= now:
            shown = InvitationStatus.EXPIRED
        rows.append(
            InvitationRow(
                client.inn,
                client.short_name,
                client.email,
                shown,
                invitation.created_at,
                invitation.expires_at,
                invitation.last_sent_at,
                invitation.times_sent,
                invitation.reminders_sent,
                client.reminders_paused,
            )
        )
    return rows


def set_reminders_paused(
    session: Session, raw_inn: str, *, paused: bool, now: datetime, actor: str = ""
) -> tuple[Client, bool]:
    """Suspend or resume reminders for one client; returns the client and whether it changed."""
    client = get_client(session, raw_inn)
    if client.reminders_paused == paused:
        return client, False
    client.reminders_paused = paused
    client.updated_at = now
    session.add(
        ClientEvent(
            client_id=client.id,
            at=now,
            kind="reminders_paused" if paused else "reminders_resumed",
            detail="Напоминания приостановлены" if paused else "Напоминания возобновлены",
            actor=actor,
        )
    )
    return client, True
