"""The client table: search over a substring index, filters, sorting and pages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, text
from sqlalchemy.orm import Session

from bankon_cli.db.models import Agent, Application, Client
from bankon_cli.domain.search import fold
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.services.clients import ACTIVE_APPLICATION_STATUSES
from bankon_cli.services.views import ClientRow

PAGE_SIZES = (10, 25, 50)
SORT_KEYS = {
    "created": (Client.id,),
    "name": (Client.short_name, Client.id),
    "inn": (Client.inn,),
    "region": (Client.region_code, Client.id),
    "status": (Client.status, Client.id),
}
# Trigram indexes need at least three characters; shorter searches scan.
MIN_INDEXED_SEARCH = 3


@dataclass(frozen=True)
class ClientQuery:
    search: str = ""
    statuses: Sequence[ClientStatus] = ()
    region_codes: Sequence[str] = ()
    agent_ids: Sequence[int] | None = None
    sort: str = "created"
    descending: bool = False
    page: int = 1
    per_page: int = 10


@dataclass
class ClientPage:
    total: int
    page: int
    pages: int
    per_page: int
    clients: list[ClientRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "clients": [row.as_json() for row in self.clients],
        }


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_condition(session: Session, raw: str) -> ColumnElement[bool] | None:
    needle = fold(" ".join(raw.split()))
    if not needle:
        return None
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH:
        phrase = '"' + needle.replace('"', '""') + '"'
        matching = text(
            "SELECT rowid FROM clients_search WHERE clients_search MATCH :phrase"
        ).bindparams(phrase=phrase)
        return Client.id.in_(matching.columns(literal_column("rowid")))
    if dialect == "sqlite":
        return func.instr(Client.search_text, needle) > 0
    return Client.search_text.like(f"%{_escape_like(needle)}%", escape="\\")


def _filtered(session: Session, query: ClientQuery, statement: Select[Any]) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    search = _search_condition(session, query.search)
    if search is not None:
        conditions.append(search)
    if query.statuses:
        conditions.append(Client.status.in_([status.value for status in query.statuses]))
    if query.region_codes:
        conditions.append(Client.region_code.in_(list(query.region_codes)))
    if query.agent_ids is not None:
        conditions.append(Client.agent_id.in_(list(query.agent_ids)))
    return statement.where(and_(*conditions)) if conditions else statement


def count_clients(session: Session, query: ClientQuery) -> int:
    return int(
        session.scalar(_filtered(session, query, select(func.count()).select_from(Client))) or 0
    )


def list_clients(session: Session, query: ClientQuery) -> ClientPage:
    total = count_clients(session, query)
    pages = max(math.ceil(total / query.per_page), 1) if total else 0
    page = ClientPage(total=total, page=query.page, pages=pages, per_page=query.per_page)
    if total == 0 or query.page > pages:
        return page
    order = [
        column.desc() if query.descending else column.asc() for column in SORT_KEYS[query.sort]
    ]
    ids_page = (
        _filtered(session, query, select(Client.id))
        .order_by(*order)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
        .subquery()
    )
    active = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.client_id == Client.id, Application.status.in_(ACTIVE_APPLICATION_STATUSES)
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Client, Agent.inn, Agent.name, active)
        .join(ids_page, ids_page.c.id == Client.id)
        .join(Agent, Agent.id == Client.agent_id)
        .order_by(*order)
    ).all()
    for client, agent_inn, agent_name, active_count in rows:
        can_have = client.status == ClientStatus.ATTACHED.value
        page.clients.append(
            ClientRow(
                inn=client.inn,
                short_name=client.short_name,
                contact_name=client.contact_name,
                email=client.email,
                phone=client.phone,
                region_code=client.region_code,
                legal_form=client.legal_form,
                active_applications=int(active_count) if can_have else None,
                agent_inn=agent_inn,
                agent_name=agent_name,
                status=client.status,
                created_at=client.created_at,
            )
        )
    return page
