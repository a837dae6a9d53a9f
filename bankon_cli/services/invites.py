"""Creating invitations: the invitation, its first link and the email queued with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bankon_cli.config import Settings
from bankon_cli.db.models import Agent, Client, Invitation, InviteToken, OutboxMessage
from bankon_cli.mail.message import invitation_content
from bankon_cli.services.tokens import unguessable_placeholder_hash


class InvitationStatus:
    SENT = "sent"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


INVITATION_STATUS_LABELS = {
    InvitationStatus.SENT: "отправлено",
    InvitationStatus.EXPIRED: "истекло",
    InvitationStatus.USED: "использовано",
    InvitationStatus.REVOKED: "отозвано",
}


class OutboxStatus:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


OUTBOX_STATUS_LABELS = {
    OutboxStatus.QUEUED: "в очереди",
    OutboxStatus.SENDING: "отправляется",
    OutboxStatus.SENT: "отправлено",
    OutboxStatus.FAILED: "не доставлено",
}


@dataclass(frozen=True)
class QueuedInvitation:
    invitation: Invitation
    message: OutboxMessage


def local_time_text(moment: datetime, settings: Settings) -> str:
    """A moment as people in the invite's timezone read it: `17.12.2026 19:40 (МСК)`."""
    zone_name = settings.invite.timezone
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    suffix = " (МСК)" if zone_name == "Europe/Moscow" else f" ({zone_name})"
    return local.strftime("%d.%m.%Y %H:%M") + suffix


def queue_invitation_email(
    session: Session,
    *,
    client: Client,
    agent: Agent,
    invitation: Invitation,
    settings: Settings,
    now: datetime,
    reminder: bool,
) -> OutboxMessage:
    """Queue one email with a new link of `invitation`; the link is minted at delivery."""
    token = InviteToken(
        invitation_id=invitation.id, token_hash=unguessable_placeholder_hash(), created_at=now
    )
    session.add(token)
    session.flush()
    content = invitation_content(
        contact_name=client.contact_name,
        company_name=client.short_name,
        agent_name=agent.name,
        expires_at_text=local_time_text(invitation.expires_at, settings),
        reminder=reminder,
    )
    message = OutboxMessage(
        client_id=client.id,
        kind="invite_reminder" if reminder else "invite",
        recipient_name=client.contact_name,
        recipient_email=client.email,
        subject=content.subject,
        body_text=content.text,
        body_html=content.html,
        invite_token_id=token.id,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def create_invitation(
    session: Session, *, client: Client, agent: Agent, settings: Settings, now: datetime
) -> QueuedInvitation:
    invitation = Invitation(
        client_id=client.id,
        status=InvitationStatus.SENT,
        created_at=now,
        expires_at=now + settings.invite.ttl,
        times_sent=0,
        reminders_sent=0,
    )
    session.add(invitation)
    session.flush()
    message = queue_invitation_email(
        session,
        client=client,
        agent=agent,
        invitation=invitation,
        settings=settings,
        now=now,
        reminder=False,
    )
    return QueuedInvitation(invitation, message)
