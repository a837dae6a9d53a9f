"""CSV files people open in Excel: the client export and the import's file of rejected rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankon_cli.db.models import Agent, Application, Client
from bankon_cli.domain.statuses import ClientStatus, can_have_applications
from bankon_cli.services.clients import ACTIVE_APPLICATION_STATUSES
from bankon_cli.services.import_rows import REASON_COLUMN, ColumnMap
from bankon_cli.services.listing import ClientQuery, _filtered
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


def iter_clients(session: Session, query: ClientQuery) -> Iterator[ClientRow]:
    """Every client matching the filters, in order of addition, fetched in chunks by id."""
    last_id = 0
    while True:
        ids = (
            _filtered(session, query, select(Client.id))
            .where(Client.id > last_id)
            .order_by(Client.id)
            .limit(CHUNK)
            .subquery()
        )
        active = (
            select(func.count())
            .select_from(Application)
            .where(
                Application.client_id == Client.id,
                Application.status.in_(ACTIVE_APPLICATION_STATUSES),
            )
            .scalar_subquery()
        )
        rows = session.execute(
            select(Client, Agent.inn, Agent.name, active)
            .join(ids, ids.c.id == Client.id)
            .join(Agent, Agent.id == Client.agent_id)
            .order_by(Client.id)
        ).all()
        if not rows:
            return
        for client, agent_inn, agent_name, active_count in rows:
            can_have = can_have_applications_code(client.status)
            yield ClientRow(
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
