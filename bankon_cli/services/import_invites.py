"""History entries and invitations of newly imported clients, written set-wise in bulk."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, literal, null, select
from sqlalchemy.orm import Session

from bankon_cli.config import Settings
from bankon_cli.db.models import (
    Client,
    ClientEvent,
    Invitation,
    InviteToken,
    OutboxMessage,
    UtcDateTime,
)
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.mail.message import invitation_content
from bankon_cli.services.bulk_insert import insert_rows
from bankon_cli.services.invites import InvitationStatus, OutboxStatus, local_time_text
from bankon_cli.services.validation import ClientFields

clients = cast(Table, Client.__table__)
events = cast(Table, ClientEvent.__table__)
invitations = cast(Table, Invitation.__table__)
invite_tokens = cast(Table, InviteToken.__table__)
outbox = cast(Table, OutboxMessage.__table__)
MESSAGE_COLUMNS = (
    "client_id",
    "recipient_name",
    "recipient_email",
    "body_text",
    "body_html",
    "invite_token_id",
)
EVENT_COLUMNS = ["client_id", "at", "kind", "from_status", "to_status", "detail", "actor"]


def _moment(value: datetime) -> ColumnElement[Any]:
    return literal(value, UtcDateTime())


def placeholder_hash(session: Session) -> ColumnElement[Any]:
    """Per row, in SQL, what tokens.unguessable_placeholder_hash() gives: 256 random bits as hex.

    No token is ever compared with it: the real token is minted when the email is sent.
    """
    if session.get_bind().dialect.name == "postgresql":
        uuids = func.concat(func.gen_random_uuid(), func.gen_random_uuid())
        return func.encode(func.sha256(func.convert_to(uuids, "UTF8")), "hex")
    return func.lower(func.hex(func.randomblob(32)))


def add_created_events(
    session: Session, client_ids: list[int], *, agent_name: str, source_name: str, now: datetime
) -> None:
    """`created` entries as `client add` writes them, noting the file they came from."""
    detail = f"Клиент добавлен агентом {agent_name} (импорт из «{source_name}»)"
    session.execute(
        insert(events).from_select(
            EVENT_COLUMNS,
            select(
                clients.c.id,
                _moment(now),
                literal("created"),
                null(),
                literal(ClientStatus.PENDING.value),
                literal(detail),
                literal(""),
            ).where(clients.c.id.in_(client_ids)),
        )
    )


def queue_invitations(
    session: Session,
    new_rows: list[tuple[int, ClientFields]],
    *,
    agent_name: str,
    settings: Settings,
    now: datetime,
) -> int:
    """Each new client's invitation, its first link and its queued email, as create_invitation.

    Invitations, tokens and history entries are INSERT … SELECT statements (no per-row work
    in Python); only the emails, whose text names each client, are built row by row.
    """
    if not new_rows:
        return 0
    client_ids = [client_id for client_id, _fields in new_rows]
    expires_at = now + settings.invite.ttl
    session.execute(
        insert(invitations).from_select(
            ["client_id", "status", "created_at", "expires_at", "times_sent", "reminders_sent"],
            select(
                clients.c.id,
                literal(InvitationStatus.SENT),
                _moment(now),
                _moment(expires_at),
                literal(0),
                literal(0),
            ).where(clients.c.id.in_(client_ids)),
        )
    )
    session.execute(
        insert(invite_tokens).from_select(
            ["invitation_id", "token_hash", "created_at"],
            select(invitations.c.id, placeholder_hash(session), _moment(now)).where(
                invitations.c.client_id.in_(client_ids)
            ),
        )
    )
    token_of: dict[int, int] = {
        client_id: token_id
        for client_id, token_id in session.execute(
            select(invitations.c.client_id, invite_tokens.c.id)
            .join(invite_tokens, invite_tokens.c.invitation_id == invitations.c.id)
            .where(invitations.c.client_id.in_(client_ids))
        )
    }
    expires_text = local_time_text(expires_at, settings)
    messages = []
    for client_id, fields in new_rows:
        content = invitation_content(
            contact_name=fields.contact_name,
            company_name=fields.short_name,
            agent_name=agent_name,
            expires_at_text=expires_text,
            reminder=False,
        )
        messages.append(
            (
                client_id,
                fields.contact_name,
                fields.email.normalized,
                content.text,
                content.html,
                token_of[client_id],
            )
        )
    subject = invitation_content(
        contact_name="", company_name="", agent_name="", expires_at_text="", reminder=False
    ).subject
    insert_rows(
        session,
        outbox,
        MESSAGE_COLUMNS,
        messages,
        {
            "kind": "invite",
            "subject": subject,
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    session.execute(
        insert(events).from_select(
            EVENT_COLUMNS,
            select(
                clients.c.id,
                _moment(now),
                literal("invited"),
                null(),
                null(),
                literal("Приглашение поставлено в очередь на ") + clients.c.email,
                literal(""),
            ).where(clients.c.id.in_(client_ids)),
        )
    )
    return len(messages)
