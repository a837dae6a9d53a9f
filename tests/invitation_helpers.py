"""Data set-up for the invitation and outbox tests: agent, pending clients, links from emails."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, text, update

from bankon_cli.config import Settings
from bankon_cli.context import AppContext
from bankon_cli.db.models import Client, Invitation, OutboxMessage
from bankon_cli.mail.backends import SmtpBackend
from bankon_cli.services.agents import add_agent
from bankon_cli.services.clients import add_client
from bankon_cli.services.outbox import DeliveryReport, deliver
from bankon_cli.services.validation import check_client_fields, require_valid
from tests.conftest import AGENT_INN, AGENT_NAME, SEED_CLIENTS
from tests.smtp_servers import Received, SmtpServer, smtp_settings_for

PENDING = [
    (name, inn, contact)
    for name, inn, contact, _region, status in SEED_CLIENTS
    if status == "pending"
]
ATTACHED = [
    (name, inn, contact)
    for name, inn, contact, _region, status in SEED_CLIENTS
    if status == "attached"
]
LINK = re.compile(r"https://portal\.example/register\?token=([A-Za-z0-9_\-]+)")


def email_for(inn: str) -> str:
    return f"buh{inn}@example.ru"


def with_settings(app_ctx: AppContext, **invite: object) -> Settings:
    """Change invite settings of `app_ctx` (e.g. quiet_hours="") for one test."""
    settings = app_ctx.settings
    app_ctx.settings = replace(settings, invite=replace(settings.invite, **invite))  # type: ignore[arg-type]
    return app_ctx.settings


def use_smtp(app_ctx: AppContext, server: SmtpServer, **settings: object) -> None:
    app_ctx.mail_backend_override = SmtpBackend(smtp_settings_for(server, **settings), None)  # type: ignore[arg-type]


def add_clients(
    app_ctx: AppContext,
    clients: list[tuple[str, str, str]] = PENDING,
    *,
    invite: bool = True,
    emails: dict[str, str] | None = None,
) -> list[int]:
    """The agent (once) and `clients`, each with an invitation queued; returns outbox ids."""
    outbox_ids: list[int] = []
    with app_ctx.session_factory.begin() as session:
        from bankon_cli.db.models import Agent

        agent = session.scalar(select(Agent).where(Agent.inn == AGENT_INN))
        if agent is None:
            add_agent(session, inn=AGENT_INN, name=AGENT_NAME, parent_inn=None, now=app_ctx.clock())
            agent = session.scalar(select(Agent).where(Agent.inn == AGENT_INN))
        assert agent is not None
        for name, inn, contact in clients:
            email = (emails or {}).get(inn, email_for(inn))
            fields = require_valid(
                *check_client_fields(
                    inn=inn, contact_name=contact, short_name=name, email=email, phone=None
                )
            )
            added = add_client(
                session,
                fields=fields,
                agent=agent,
                settings=app_ctx.settings,
                now=app_ctx.clock(),
                invite=invite,
            )
            outbox_ids.extend(added.outbox_ids)
    return outbox_ids


def deliver_all(app_ctx: AppContext, **kwargs: object) -> DeliveryReport:
    return deliver(
        app_ctx.session_factory, app_ctx.mail_backend(), app_ctx.settings, app_ctx.clock, **kwargs
    )  # type: ignore[arg-type]


def invited(app_ctx: AppContext, clients: list[tuple[str, str, str]] = PENDING) -> None:
    """Clients added and their invitations delivered (through the configured backend)."""
    add_clients(app_ctx, clients)
    report = deliver_all(app_ctx)
    assert report.sent == len(clients), report


def attach(app_ctx: AppContext, inn: str) -> None:
    with app_ctx.session_factory.begin() as session:
        session.execute(update(Client).where(Client.inn == inn).values(status="attached"))


def link_tokens(messages: list[Received], recipient: str) -> list[str]:
    """Tokens in the emails `recipient` received, oldest first."""
    tokens = []
    for message in messages:
        if any(rcpt.lower() == recipient.lower() for rcpt in message.rcpt_tos):
            found = LINK.findall(message.text())
            assert found, message.text()
            tokens.append(found[0])
    return tokens


def outbox_rows(app_ctx: AppContext) -> list[OutboxMessage]:
    with app_ctx.session_factory.begin() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def invitations_of(app_ctx: AppContext, inn: str) -> list[Invitation]:
    with app_ctx.session_factory.begin() as session:
        return list(
            session.scalars(
                select(Invitation)
                .join(Client, Client.id == Invitation.client_id)
                .where(Client.inn == inn)
                .order_by(Invitation.id)
            )
        )


def count(app_ctx: AppContext, table: str) -> int:
    with app_ctx.session_factory.begin() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def later(app_ctx: AppContext, delta: timedelta) -> None:
    app_ctx.clock.advance(seconds=delta.total_seconds())  # type: ignore[attr-defined]


def company_inns(start: int, count: int) -> list[str]:
    """`count` valid 10-digit INNs (Moscow region), distinct for distinct `start`."""
    from stdnum.ru import inn as inn_module

    inns = []
    number = 770000000 + start * 10
    while len(inns) < count:
        body = f"{number:09d}"
        inns.append(body + inn_module.calc_company_check_digit(body))
        number += 1
    return inns
