"""The client table: search over a substring index, filters, sorting and pages.

Written for a million clients and for start-up: plain Core statements over lightweight
table clauses (no ORM mapping to import or compile), the page's ids found first and only
those rows read, and the FTS5 index asked directly where it can answer alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    and_,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from bankon_cli.domain.search import fold
from bankon_cli.domain.statuses import ACTIVE_APPLICATION_STATUSES, ClientStatus
from bankon_cli.services.views import ClientRow

PAGE_SIZES = (10, 25, 50)
SORT_KEYS = {
    "created": ("id",),
    "name": ("short_name", "id"),
    "inn": ("inn",),
    "region": ("region_code", "id"),
    "status": ("status", "id"),
}
# Trigram indexes need at least three characters; shorter searches scan.
MIN_INDEXED_SEARCH = 3
# Walking the table in sort order and skipping non-matching rows beats sorting every match
# while fewer rows than this are expected to be walked (see _walk_in_sort_order).
WALK_LIMIT = 50_000

# A search with filters matching fewer clients than this is counted by reading their rows.
SEARCH_DRIVES_COUNT_BELOW = 5_000

clients = table(
    "clients",
    column("id", Integer),
    column("inn"),
    column("short_name"),
    column("contact_name"),
    column("email"),
    column("phone"),
    column("region_code"),
    column("legal_form"),
    column("agent_id", Integer),
    column("status"),
    column("search_text"),
    column("created_at", DateTime(timezone=True)),
)
agents = table("agents", column("id", Integer), column("inn"), column("name"))
applications = table("applications", column("client_id", Integer), column("status"))
clients_search = table("clients_search", column("rowid", Integer))


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


@dataclass(frozen=True)
class _Plan:
    """One query's conditions, split by what can answer them."""

    needle: str
    fts_phrase: str | None  # SQLite FTS5 phrase when the trigram index can answer the search
    conditions: list[ColumnElement[bool]]  # filters other than the search
    search: ColumnElement[bool] | None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_matches(phrase: str) -> Select[Any]:
    return (
        select(literal_column("rowid"))
        .select_from(clients_search)
        .where(text("clients_search MATCH :phrase").bindparams(phrase=phrase))
    )


def _plan(
    session: Session, query: ClientQuery, *, filters_by_index: bool, search_by_index: bool
) -> _Plan:
    """The query's conditions. A condition not `by_index` cannot drive an SQLite query (a
    unary plus hides its column from the planner): the rows come from another index, or
    from walking the sort order's index, and are only checked against it."""

    def col(name: str, by_index: bool = filters_by_index) -> Any:
        return clients.c[name] if by_index else literal_column(f"+clients.{name}")

    conditions: list[ColumnElement[bool]] = []
    statuses = list(query.statuses)
    if not statuses and filters_by_index and query.region_codes and query.agent_ids is not None:
        # Naming every status lets SQLite count region and agent together in the one index
        # over (status, region_code, agent_id) instead of reading each client's row.
        statuses = list(ClientStatus) if session.get_bind().dialect.name == "sqlite" else []
    if statuses:
        conditions.append(col("status").in_([status.value for status in statuses]))
    if query.region_codes:
        conditions.append(col("region_code").in_(list(query.region_codes)))
    if query.agent_ids is not None:
        conditions.append(col("agent_id").in_(list(query.agent_ids)))
    needle = fold(" ".join(query.search.split()))
    if not needle:
        return _Plan(needle, None, conditions, None)
    if session.get_bind().dialect.name == "sqlite":
        if len(needle) >= MIN_INDEXED_SEARCH:
            phrase = '"' + needle.replace('"', '""') + '"'
            matches = _fts_matches(phrase)
            return _Plan(needle, phrase, conditions, col("id", search_by_index).in_(matches))
        return _Plan(needle, None, conditions, func.instr(clients.c.search_text, needle) > 0)
    # PostgreSQL: LIKE over search_text is answered by the pg_trgm GIN index.
    pattern = f"%{_escape_like(needle)}%"
    return _Plan(needle, None, conditions, clients.c.search_text.like(pattern, escape="\\"))


def _where(statement: Select[Any], plan: _Plan) -> Select[Any]:
    conditions = [*plan.conditions, *([plan.search] if plan.search is not None else [])]
    return statement.where(and_(*conditions)) if conditions else statement


def count_clients(session: Session, query: ClientQuery) -> int:
    """How many clients the query finds (the table's «Всего клиентов»)."""
    plan = _plan(session, query, filters_by_index=True, search_by_index=True)
    if plan.fts_phrase is not None and not plan.conditions:
        # The trigram index counts its matches without reading a single client row.
        statement = select(func.count()).select_from(_fts_matches(plan.fts_phrase).subquery())
    else:
        if plan.fts_phrase is not None:
            # A search with filters: check the search's few matches against the filters
            # (one row read per match), or, when it has many, walk the filters' index and
            # check each entry against the matches (no row read at all).
            matches = session.scalar(
                select(func.count()).select_from(_fts_matches(plan.fts_phrase).subquery())
            )
            if not matches:
                return 0
            by_search = matches <= SEARCH_DRIVES_COUNT_BELOW
            plan = _plan(session, query, filters_by_index=not by_search, search_by_index=by_search)
        statement = _where(select(func.count()).select_from(clients), plan)
    return int(session.scalar(statement) or 0)


def list_clients(session: Session, query: ClientQuery) -> ClientPage:
    total = count_clients(session, query)
    pages = max(math.ceil(total / query.per_page), 1) if total else 0
    page = ClientPage(total=total, page=query.page, pages=pages, per_page=query.per_page)
    if total == 0 or query.page > pages:
        return page
    ids = page_ids(session, query, total)
    page.clients = rows_for_ids(session, ids)
    return page


def page_ids(session: Session, query: ClientQuery, total: int) -> list[int]:
    """The ids of one page, in display order; `total` (from count_clients) picks the plan."""
    offset = (query.page - 1) * query.per_page
    if _walk_in_sort_order(session, query, total, offset):
        plan = _plan(session, query, filters_by_index=False, search_by_index=False)
    else:
        searching = _plan(session, query, filters_by_index=True, search_by_index=True)
        # A search's matches are few here (or we would walk): find them, then filter them.
        plan = _plan(
            session, query, filters_by_index=searching.fts_phrase is None, search_by_index=True
        )
    if plan.fts_phrase is not None and not plan.conditions and query.sort == "created":
        # FTS5 hands its matches out in rowid order: the page needs no other table.
        rowid = literal_column("rowid", Integer)
        statement = _fts_matches(plan.fts_phrase).order_by(
            rowid.desc() if query.descending else rowid.asc()
        )
    else:
        order = [
            clients.c[name].desc() if query.descending else clients.c[name].asc()
            for name in SORT_KEYS[query.sort]
        ]
        statement = _where(select(clients.c.id), plan).order_by(*order)
    return list(session.scalars(statement.limit(query.per_page).offset(offset)))


def _walk_in_sort_order(session: Session, query: ClientQuery, total: int, offset: int) -> bool:
    """Whether to walk the sort order's index (SQLite), skipping rows the query rejects.

    When the query keeps a good share of the clients, the first matches come soon in sort
    order, and walking beats collecting every match through a filter's index and sorting
    them all (what SQLite does for `agent_id IN (…)` over half a million clients). A query
    that keeps few clients is better served by its own index, then a sort.
    """
    if session.get_bind().dialect.name != "sqlite":
        return False
    searching = bool(fold(" ".join(query.search.split())))
    if not (searching or query.statuses or query.region_codes or query.agent_ids is not None):
        return False
    if (
        searching
        and query.sort == "created"
        and not (query.statuses or query.region_codes or query.agent_ids is not None)
    ):
        return False  # the FTS index alone lists its matches in this order
    size = session.scalar(select(func.max(clients.c.id))) or 0
    expected_walk = (offset + query.per_page) * size / max(total, 1)
    return expected_walk <= WALK_LIMIT


def rows_for_ids(session: Session, ids: Sequence[int]) -> list[ClientRow]:
    """The clients with these ids, in this order, with their agent and active applications."""
    if not ids:
        return []
    statement = (
        select(
            clients.c.id,
            clients.c.inn,
            clients.c.short_name,
            clients.c.contact_name,
            clients.c.email,
            clients.c.phone,
            clients.c.region_code,
            clients.c.legal_form,
            clients.c.status,
            clients.c.created_at,
            agents.c.inn,
            agents.c.name,
        )
        .select_from(clients.join(agents, agents.c.id == clients.c.agent_id))
        .where(clients.c.id.in_(list(ids)))
    )
    found = {row[0]: row for row in session.execute(statement)}
    attached = [id_ for id_, row in found.items() if row.status == ClientStatus.ATTACHED.value]
    active = _active_applications(session, attached) if attached else {}
    rows: list[ClientRow] = []
    for id_ in ids:
        row = found[id_]
        rows.append(
            ClientRow(
                inn=row[1],
                short_name=row[2],
                contact_name=row[3],
                email=row[4],
                phone=row[5],
                region_code=row[6],
                legal_form=row[7],
                active_applications=active.get(id_, 0) if id_ in attached else None,
                agent_inn=row[10],
                agent_name=row[11],
                status=row[8],
                created_at=_utc(row[9]),
            )
        )
    return rows


def _active_applications(session: Session, client_ids: list[int]) -> dict[int, int]:
    statement = (
        select(applications.c.client_id, func.count())
        .where(
            applications.c.client_id.in_(client_ids),
            applications.c.status.in_(ACTIVE_APPLICATION_STATUSES),
        )
        .group_by(applications.c.client_id)
    )
    return {int(client_id): int(count) for client_id, count in session.execute(statement)}


def _utc(moment: datetime) -> datetime:
    # SQLite hands back the naive UTC value the models stored; PostgreSQL an aware one.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
