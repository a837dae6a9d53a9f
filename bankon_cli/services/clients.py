"""Adding clients and showing one client with its invitation and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bankon_cli.config import Settings
from bankon_cli.db.models import Agent, Application, Client, ClientEvent, Invitation
from bankon_cli.domain.inn import InnError, parse_inn
from bankon_cli.domain.search import search_text
from bankon_cli.domain.statuses import (
    ACTIVE_APPLICATION_STATUSES,
    ClientStatus,
    can_have_applications,
)
from bankon_cli.errors import Conflict, InvalidInput, NotFound
from bankon_cli.services.invites import INVITATION_STATUS_LABELS, create_invitation
from bankon_cli.services.validation import FIELD_INN, ClientFields
from bankon_cli.services.views import ClientRow


@dataclass
class AddedClient:
    row: ClientRow
    warnings: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


def client_search_text(inn: str, short_name: str, contact_name: str, email: str) -> str:
    return search_text(short_name, inn, contact_name, email)


def duplicate_email_warning(session: Session, email_key: str, inn: str) -> str | None:
    """One accountant may serve several companies: allowed, but worth a second look."""
    others = list(
        session.scalars(
            select(Client.inn).where(Client.email_key == email_key, Client.inn != inn).limit(4)
        )
    )
    if not others:
        return None
    shown = ", ".join(others[:3]) + (" и другие" if len(others) > 3 else "")
    return f"Email уже указан у других клиентов (ИНН {shown}); клиент всё равно добавлен"


def conflict_for_existing(existing: Client, agent: Agent) -> Conflict:
    if existing.agent_id != agent.id:
        return Conflict(f"Клиент с ИНН {existing.inn} уже закреплён за другим агентом")
    label = ClientStatus(existing.status).label
    return Conflict(
        f"Клиент с ИНН {existing.inn} уже есть в списке агента: «{existing.short_name}», "
        f"статус «{label}»"
    )


def add_client(
    session: Session,
    *,
    fields: ClientFields,
    agent: Agent,
    settings: Settings,
    now: datetime,
    invite: bool,
    actor: str = "",
) -> AddedClient:
    """Insert the client, its history entry and (unless told not to) its queued invitation."""
    inn = fields.inn.value
    existing = session.scalar(select(Client).where(Client.inn == inn))
    if existing is not None:
        raise conflict_for_existing(existing, agent)
    warning = duplicate_email_warning(session, fields.email.key, inn)
    warnings = [warning] if warning else []
    outbox_ids: list[int] = []
    client = Client(
        inn=inn,
        short_name=fields.short_name,
        contact_name=fields.contact_name,
        email=fields.email.normalized,
        email_key=fields.email.key,
        phone=fields.phone,
        region_code=fields.inn.region_code,
        legal_form=fields.inn.legal_form.value,
        agent_id=agent.id,
        status=ClientStatus.PENDING.value,
        search_text=client_search_text(
            inn, fields.short_name, fields.contact_name, fields.email.normalized
        ),
        reminders_paused=False,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(client)
            session.flush()
    except IntegrityError:
        # Another operator added the same INN between our check and our insert.
        raced = session.scalar(select(Client).where(Client.inn == inn))
        if raced is None:
            raise
        raise conflict_for_existing(raced, agent) from None
    session.add(
        ClientEvent(
            client_id=client.id,
            at=now,
            kind="created",
            to_status=ClientStatus.PENDING.value,
            detail=f"Клиент добавлен агентом {agent.name}",
            actor=actor,
        )
    )
    if invite:
        queued = create_invitation(session, client=client, agent=agent, settings=settings, now=now)
        outbox_ids.append(queued.message.id)
        session.add(
            ClientEvent(
                client_id=client.id,
                at=now,
                kind="invited",
                detail=f"Приглашение поставлено в очередь на {client.email}",
                actor=actor,
            )
        )
    return AddedClient(row_for(client, agent, None), warnings, outbox_ids)


def row_for(client: Client, agent: Agent, active_applications: int | None) -> ClientRow:
    return client_row(client, agent.inn, agent.name, active_applications)


def client_row(
    client: Client, agent_inn: str, agent_name: str, active_applications: int | None
) -> ClientRow:
    """The row every output shows, from a loaded client and its agent's INN and name."""
    return ClientRow(
        inn=client.inn,
        short_name=client.short_name,
        contact_name=client.contact_name,
        email=client.email,
        phone=client.phone,
        region_code=client.region_code,
        legal_form=client.legal_form,
        active_applications=active_applications,
        agent_inn=agent_inn,
        agent_name=agent_name,
        status=client.status,
        created_at=client.created_at,
    )


def parse_client_inn(raw: str) -> str:
    try:
        return parse_inn(raw).value
    except InnError as error:
        raise InvalidInput(FIELD_INN, str(error)) from None


def get_client(session: Session, raw_inn: str) -> Client:
    inn = parse_client_inn(raw_inn)
    client = session.scalar(select(Client).where(Client.inn == inn))
    if client is None:
        raise NotFound(f"Клиент с ИНН {inn} не найден")
    return client


def count_active_applications(session: Session, client: Client) -> int | None:
    if not can_have_applications(ClientStatus(client.status)):
        return None
    return int(
        session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.client_id == client.id,
                Application.status.in_(ACTIVE_APPLICATION_STATUSES),
            )
        )
        or 0
    )


@dataclass
class ClientDetail:
    row: ClientRow
    full_name: str | None
    ogrn: str | None
    holder_name: str | None
    position: str | None
    login: str | None
    registered_at: datetime | None
    attached_at: datetime | None
    updated_at: datetime
    reminders_paused: bool
    invitation: dict[str, Any] | None
    history: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        data = self.row.as_json()
        data.update(
            {
                "full_name": self.full_name,
                "ogrn": self.ogrn,
                "holder_name": self.holder_name,
                "position": self.position,
                "login": self.login,
                "registered_at": _iso(self.registered_at),
                "attached_at": _iso(self.attached_at),
                "updated_at": _iso(self.updated_at),
                "reminders_paused": self.reminders_paused,
                "invitation": self.invitation,
                "history": self.history,
            }
        )
        return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def show_client(session: Session, raw_inn: str) -> ClientDetail:
    client = get_client(session, raw_inn)
    agent = session.get_one(Agent, client.agent_id)
    invitation = session.scalar(
        select(Invitation)
        .where(Invitation.client_id == client.id)
        .order_by(Invitation.id.desc())
        .limit(1)
    )
    events = session.scalars(
        select(ClientEvent)
        .where(ClientEvent.client_id == client.id)
        .order_by(ClientEvent.at, ClientEvent.id)
    ).all()
    invitation_data = None
    if invitation is not None:
        invitation_data = {
            "status": invitation.status,
            "status_label": INVITATION_STATUS_LABELS.get(invitation.status, invitation.status),
            "created_at": _iso(invitation.created_at),
            "expires_at": _iso(invitation.expires_at),
            "last_sent_at": _iso(invitation.last_sent_at),
            "times_sent": invitation.times_sent,
            "reminders_sent": invitation.reminders_sent,
            "used_at": _iso(invitation.used_at),
        }
    history = [
        {
            "at": event.at.isoformat(),
            "kind": event.kind,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "detail": event.detail,
            "actor": event.actor,
        }
        for event in events
    ]
    return ClientDetail(
        row=row_for(client, agent, count_active_applications(session, client)),
        full_name=client.full_name,
        ogrn=client.ogrn,
        holder_name=client.holder_name,
        position=client.position,
        login=client.login,
        registered_at=client.registered_at,
        attached_at=client.attached_at,
        updated_at=client.updated_at,
        reminders_paused=client.reminders_paused,
        invitation=invitation_data,
        history=history,
    )
