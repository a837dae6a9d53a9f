"""Helpers shared by the issue-2 tests: seed data through the services, count rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text

from bankon_cli.context import AppContext
from bankon_cli.services.agents import add_agent, find_agent
from bankon_cli.services.clients import AddedClient, add_client
from bankon_cli.services.validation import check_client_fields, require_valid
from tests.conftest import AGENT_INN, AGENT_NAME

COUNTED_TABLES = ("agents", "clients", "client_events", "invitations", "invite_tokens", "outbox")


def service_agent(
    app_ctx: AppContext, inn: str = AGENT_INN, name: str = AGENT_NAME, parent: str | None = None
) -> str:
    with app_ctx.session_factory.begin() as session:
        add_agent(session, inn=inn, name=name, parent_inn=parent, now=app_ctx.clock())
    return inn


def service_client(
    app_ctx: AppContext,
    inn: str,
    name: str,
    contact: str,
    email: str,
    *,
    agent_inn: str = AGENT_INN,
    phone: str | None = None,
    invite: bool = False,
) -> AddedClient:
    fields = require_valid(
        *check_client_fields(
            inn=inn, contact_name=contact, short_name=name, email=email, phone=phone
        )
    )
    with app_ctx.session_factory.begin() as session:
        return add_client(
            session,
            fields=fields,
            agent=find_agent(session, agent_inn),
            settings=app_ctx.settings,
            now=app_ctx.clock(),
            invite=invite,
        )


def table_counts(db_url: str) -> dict[str, int]:
    """Rows per table, straight from the database (0 for tables not created yet)."""
    engine = create_engine(db_url)
    try:
        existing = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            return {
                table: int(
                    connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                )
                if table in existing
                else 0
                for table in COUNTED_TABLES
            }
    finally:
        engine.dispose()


def query_rows(db_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def valid_inns(count: int, start: int = 100000000) -> list[str]:
    """`count` distinct valid 10-digit INNs with region code 10 and up (deterministic)."""
    from tests.domain.test_inn import complete_10

    return [complete_10(str(start + 7919 * n).zfill(9)) for n in range(count)]


def bulk_clients(
    app_ctx: AppContext, count: int, *, agent_inn: str = AGENT_INN, start: int = 100000000
) -> list[str]:
    """Add `count` clients «Клиент 001»… in one transaction; return their INNs in order added."""
    inns = valid_inns(count, start)
    with app_ctx.session_factory.begin() as session:
        agent = find_agent(session, agent_inn)
        for number, inn in enumerate(inns, 1):
            fields = require_valid(
                *check_client_fields(
                    inn=inn,
                    contact_name=f"Контакт {number:03d}",
                    short_name=f"Клиент {number:03d}",
                    email=f"client{number:03d}@example.ru",
                )
            )
            add_client(
                session,
                fields=fields,
                agent=agent,
                settings=app_ctx.settings,
                now=app_ctx.clock(),
                invite=False,
            )
    return inns
