"""CSV files people open in Excel: the client export and the import's file of rejected rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from bankon_cli.db.models import Agent, Application, Client
from bankon_cli.domain.search import fold
from bankon_cli.domain.statuses import (
    ACTIVE_APPLICATION_STATUSES,
    ClientStatus,
    can_have_applications,
)
from bankon_cli.services.clients import client_row
from bankon_cli.services.import_rows import REASON_COLUMN, ColumnMap
from bankon_cli.services.listing import MIN_INDEXED_SEARCH, ClientQuery
from bankon_cli.services.validation import (
    FIELD_CONTACT,
    FIELD_EMAIL,
    FIELD_INN,
    FIELD_NAME,
    FIELD_PHONE,
)
from bankon_cli.services.views import ClientRow

# The importer's own headers first (so the file imports back as is), then the portal's
# read-only columns, which the importer knows and ignores.
EXPORT_HEADERS = (
    FIELD_INN,
    FIELD_NAME,
    FIELD_CONTACT,
    FIELD_EMAIL,
    FIELD_PHONE,
    "Регион",
    "Статус клиента",
    "Агент",
)
# Excel on a Russian Windows splits CSV on `;`, and needs the BOM to read UTF-8.
EXPORT_DELIMITER = ";"
EXPORT_ENCODING = "utf-8-sig"
CHUNK = 1000


def can_have_applications_code(code: str) -> bool:
    try:
        return can_have_applications(ClientStatus(code))
    except ValueError:
        return False


def export_row(row: ClientRow) -> list[str]:
    return [
        row.inn,
        row.short_name,
        row.contact_name,
        row.email,
        row.phone or "",
        row.region,
        row.status_label,
        row.agent_name,
    ]


def _conditions(session: Session, query: ClientQuery) -> list[ColumnElement[bool]]:
    """The filters of `client list` (status, region, agent, search) as the listing applies them."""
    conditions: list[ColumnElement[bool]] = []
    if query.statuses:
        conditions.append(Client.status.in_([status.value for status in query.statuses]))
    if query.region_codes:
        conditions.append(Client.region_code.in_(list(query.region_codes)))
    if query.agent_ids is not None:
        conditions.append(Client.agent_id.in_(list(query.agent_ids)))
    needle = fold(" ".join(query.search.split()))
    if not needle:
        return conditions
    if session.get_bind().dialect.name != "sqlite":
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Client.search_text.like(f"%{escaped}%", escape="\\"))
    elif len(needle) >= MIN_INDEXED_SEARCH:
        phrase = '"' + needle.replace('"', '""') + '"'
        matches = text("SELECT rowid FROM clients_search WHERE clients_search MATCH :phrase")
        conditions.append(
            Client.id.in_(matches.bindparams(phrase=phrase).columns(literal_column("rowid")))
        )
    else:
        conditions.append(func.instr(Client.search_text, needle) > 0)
    return conditions


def iter_clients(session: Session, query: ClientQuery) -> Iterator[ClientRow]:
    """Every client matching the filters, in order of addition, read in chunks by id."""
    conditions = _conditions(session, query)
    active = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.client_id == Client.id,
            Application.status.in_(ACTIVE_APPLICATION_STATUSES),
        )
        .scalar_subquery()
    )
    last_id = 0
    while True:
        rows = session.execute(
            select(Client, Agent.inn, Agent.name, active)
            .join(Agent, Agent.id == Client.agent_id)
            .where(Client.id > last_id, *conditions)
            .order_by(Client.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        for client, agent_inn, agent_name, active_count in rows:
            applications = int(active_count) if can_have_applications_code(client.status) else None
            yield client_row(client, agent_inn, agent_name, applications)
        last_id = rows[-1][0].id
        session.expunge_all()


def write_export_csv(stream: IO[str], rows: Iterator[ClientRow]) -> int:
    """Write the header and rows; the caller opens `stream` with EXPORT_ENCODING."""
    writer = csv.writer(stream, delimiter=EXPORT_DELIMITER, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    count = 0
    for row in rows:
        writer.writerow(export_row(row))
        count += 1
    return count


class RejectedRowsFile:
    """Rejected rows in the input's own columns plus the reason: fix them and import the file."""

    def __init__(self, stream: IO[str], columns: ColumnMap, delimiter: str) -> None:
        self._stream = stream
        self._width = len(columns.header)
        self._reason_index = columns.reason_index
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        header: list[Any] = list(columns.header)
        if self._reason_index is None:
            # First, where a person opening the file sees it; the importer ignores the column.
            header.insert(0, REASON_COLUMN)
        self._writer.writerow(header)
        self.rows = 0

    def write(self, cells: list[str], reason: str) -> None:
        values = list(cells)
        while len(values) > self._width and not values[-1].strip():
            values.pop()
        values += [""] * (self._width - len(values))
        if self._reason_index is None:
            values.insert(0, reason)
        else:
            values[self._reason_index] = reason
        self._writer.writerow(values)
        self.rows += 1

    def close(self) -> None:
        self._stream.close()
