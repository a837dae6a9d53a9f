"""Writing one batch of import rows: bulk inserts, races lost, updates, queued invitations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bankon_cli.config import Settings
from bankon_cli.db.models import Client, ClientEvent
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.services.bulk_insert import insert_rows
from bankon_cli.services.clients import client_search_text
from bankon_cli.services.import_invites import add_created_events, queue_invitations
from bankon_cli.services.import_rows import OnExisting, RowOutcome, RowStatus
from bankon_cli.services.validation import (
    FIELD_CONTACT,
    FIELD_EMAIL,
    FIELD_INN,
    FIELD_NAME,
    FIELD_PHONE,
    ClientFields,
    FieldProblem,
)

clients = cast(Table, Client.__table__)
events = cast(Table, ClientEvent.__table__)


@dataclass(frozen=True)
class BatchContext:
    agent_id: int
    agent_name: str
    settings: Settings
    now: datetime
    on_existing: OnExisting
    invite: bool
    dry_run: bool
    source_name: str


@dataclass(frozen=True)
class Existing:
    id: int
    inn: str
    agent_id: int
    status: str
    short_name: str
    contact_name: str
    email: str
    phone: str | None


@dataclass
class BatchResult:
    outcomes: list[RowOutcome]
    queued: int


def fetch_existing(session: Session, inns: list[str]) -> dict[str, Existing]:
    if not inns:
        return {}
    rows = session.execute(
        select(
            clients.c.id,
            clients.c.inn,
            clients.c.agent_id,
            clients.c.status,
            clients.c.short_name,
            clients.c.contact_name,
            clients.c.email,
            clients.c.phone,
        ).where(clients.c.inn.in_(inns))
    )
    return {row.inn: Existing(*row) for row in rows}


def write_batch(
    session: Session, rows: list[tuple[int, ClientFields]], context: BatchContext
) -> BatchResult:
    """Classify every valid row against the database and (unless a dry run) write the batch."""
    by_inn = {fields.inn.value: (line, fields) for line, fields in rows}
    existing = fetch_existing(session, list(by_inn))
    # Ascending INN order: two imports inserting overlapping batches lock keys in one order.
    fresh = sorted(inn for inn in by_inn if inn not in existing)
    created: dict[str, int] = {}
    if fresh and not context.dry_run:
        created = _insert_clients(session, [(inn, by_inn[inn][1]) for inn in fresh], context)
        lost = [inn for inn in fresh if inn not in created]
        existing.update(fetch_existing(session, lost))
    outcomes: list[RowOutcome] = []
    new_rows: list[tuple[int, int, ClientFields]] = []
    updates: list[tuple[int, Existing, ClientFields, list[str]]] = []
    for inn, (line, fields) in by_inn.items():
        if inn in created or (context.dry_run and inn not in existing):
            outcomes.append(RowOutcome(line, inn, RowStatus.CREATED))
            new_rows.append((line, created.get(inn, 0), fields))
            continue
        outcome, changed = classify(existing[inn], fields, line, context)
        outcomes.append(outcome)
        if outcome.status is RowStatus.UPDATED:
            updates.append((line, existing[inn], fields, changed))
    _warn_shared_emails(session, outcomes, by_inn)
    queued = 0
    if not context.dry_run:
        _apply_updates(session, updates, context)
        queued = _add_new_clients_history(session, new_rows, context)
    elif context.invite:
        queued = len(new_rows)
    return BatchResult(outcomes, queued)


PER_ROW_COLUMNS = (
    "inn",
    "short_name",
    "contact_name",
    "email",
    "email_key",
    "phone",
    "region_code",
    "legal_form",
    "search_text",
)


def _insert_clients(
    session: Session, rows: list[tuple[str, ClientFields]], context: BatchContext
) -> dict[str, int]:
    """Insert in bulk; INNs another process inserted first are simply not returned.

    Columns filled exactly as add_client fills them (search_text, email_key, region, form).
    """
    values = [
        (
            inn,
            fields.short_name,
            fields.contact_name,
            fields.email.normalized,
            fields.email.key,
            fields.phone,
            fields.inn.region_code,
            fields.inn.legal_form.value,
            client_search_text(
                inn, fields.short_name, fields.contact_name, fields.email.normalized
            ),
        )
        for inn, fields in rows
    ]
    constants = {
        "agent_id": context.agent_id,
        "status": ClientStatus.PENDING.value,
        "reminders_paused": False,
        "created_at": context.now,
        "updated_at": context.now,
    }
    inserted = insert_rows(
        session,
        clients,
        PER_ROW_COLUMNS,
        values,
        constants,
        skip_conflicts_on="inn",
        returning=("id", "inn"),
    )
    return {row.inn: row.id for row in inserted}


def status_label(code: str) -> str:
    try:
        return ClientStatus(code).label
    except ValueError:
        return code


def changed_fields(existing: Existing, fields: ClientFields) -> list[str]:
    pairs = (
        (FIELD_NAME, existing.short_name, fields.short_name),
        (FIELD_CONTACT, existing.contact_name, fields.contact_name),
        (FIELD_EMAIL, existing.email, fields.email.normalized),
        (FIELD_PHONE, existing.phone, fields.phone),
    )
    return [name for name, stored, given in pairs if stored != given]


def classify(
    existing: Existing, fields: ClientFields, line: int, context: BatchContext
) -> tuple[RowOutcome, list[str]]:
    """A known INN: unchanged, skipped, updated or (with --on-existing error) rejected."""
    inn = existing.inn
    if existing.agent_id != context.agent_id:
        # Never say whose client it is: that is another agent's business.
        if context.on_existing is OnExisting.ERROR:
            foreign = FieldProblem(FIELD_INN, "клиент уже закреплён за другим агентом")
            return RowOutcome(line, inn, RowStatus.REJECTED, [foreign]), []
        return RowOutcome(
            line,
            inn,
            RowStatus.SKIPPED,
            message=f"Клиент с ИНН {inn} уже закреплён за другим агентом",
        ), []
    changed = changed_fields(existing, fields)
    pending = existing.status == ClientStatus.PENDING.value
    known = (
        f"клиент уже есть в списке агента: «{existing.short_name}», "
        f"статус «{status_label(existing.status)}»"
    )
    if not changed:
        return RowOutcome(line, inn, RowStatus.UNCHANGED, message="Данные совпадают"), []
    differs = f"в файле другие значения: {', '.join(changed)}"
    if context.on_existing is OnExisting.ERROR:
        problem = FieldProblem(FIELD_INN, f"{known}; {differs}")
        return RowOutcome(line, inn, RowStatus.REJECTED, [problem]), changed
    if context.on_existing is OnExisting.SKIP:
        message = f"{known[0].upper()}{known[1:]}; {differs} (обновить: --on-existing update)"
        return RowOutcome(line, inn, RowStatus.SKIPPED, message=message), changed
    if not pending:
        message = (
            f"{known[0].upper()}{known[1:]}: данные клиента, прошедшего регистрацию, "
            "импорт не меняет"
        )
        return RowOutcome(line, inn, RowStatus.SKIPPED, message=message), changed
    return RowOutcome(
        line, inn, RowStatus.UPDATED, message=f"Обновлено: {', '.join(changed)}"
    ), changed


def _apply_updates(
    session: Session,
    updates: list[tuple[int, Existing, ClientFields, list[str]]],
    context: BatchContext,
) -> None:
    if not updates:
        return
    now = context.now
    session.execute(
        update(clients)
        .where(clients.c.id == bindparam("client_id"))
        .values(
            short_name=bindparam("new_short_name"),
            contact_name=bindparam("new_contact_name"),
            email=bindparam("new_email"),
            email_key=bindparam("new_email_key"),
            phone=bindparam("new_phone"),
            search_text=bindparam("new_search_text"),
            updated_at=bindparam("new_updated_at"),
        ),
        [
            {
                "client_id": existing.id,
                "new_short_name": fields.short_name,
                "new_contact_name": fields.contact_name,
                "new_email": fields.email.normalized,
                "new_email_key": fields.email.key,
                "new_phone": fields.phone,
                "new_search_text": client_search_text(
                    existing.inn, fields.short_name, fields.contact_name, fields.email.normalized
                ),
                "new_updated_at": now,
            }
            for _line, existing, fields, _changed in updates
        ],
    )
    session.execute(
        insert(events),
        [
            _event(
                existing.id,
                now,
                "updated",
                f"Данные обновлены импортом из «{context.source_name}», строка {line}: "
                + ", ".join(changed),
            )
            for line, existing, _fields, changed in updates
        ],
    )


def _event(
    client_id: int, now: datetime, kind: str, detail: str, to_status: str | None = None
) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "at": now,
        "kind": kind,
        "from_status": None,
        "to_status": to_status,
        "detail": detail,
        "actor": "",
    }


def _add_new_clients_history(
    session: Session, new_rows: list[tuple[int, int, ClientFields]], context: BatchContext
) -> int:
    if not new_rows:
        return 0
    new_rows.sort()
    add_created_events(
        session,
        [client_id for _line, client_id, _fields in new_rows],
        agent_name=context.agent_name,
        source_name=context.source_name,
        now=context.now,
    )
    if not context.invite:
        return 0
    return queue_invitations(
        session,
        [(client_id, fields) for _line, client_id, fields in new_rows],
        agent_name=context.agent_name,
        settings=context.settings,
        now=context.now,
    )


SHARED_EMAIL_OWNERS = 5


def _warn_shared_emails(
    session: Session, outcomes: list[RowOutcome], by_inn: dict[str, tuple[int, ClientFields]]
) -> None:
    """As `client add` does: an email other clients already use is allowed, with a warning."""
    created = [outcome for outcome in outcomes if outcome.status is RowStatus.CREATED]
    if not created:
        return
    keys = {by_inn[outcome.inn][1].email.key for outcome in created}
    # A few owners per address are enough to name three others besides the row itself;
    # reading them all made a file where thousands share one address quadratic.
    ranked = (
        select(
            clients.c.email_key,
            clients.c.inn,
            func.row_number()
            .over(partition_by=clients.c.email_key, order_by=clients.c.id)
            .label("rank"),
        )
        .where(clients.c.email_key.in_(keys))
        .subquery()
    )
    owners: dict[str, list[str]] = defaultdict(list)
    for key, inn in session.execute(
        select(ranked.c.email_key, ranked.c.inn).where(ranked.c.rank <= SHARED_EMAIL_OWNERS)
    ):
        owners[key].append(inn)
    for outcome in created:
        others = [
            inn for inn in owners.get(by_inn[outcome.inn][1].email.key, ()) if inn != outcome.inn
        ]
        if others:
            shown = ", ".join(others[:3]) + (" и другие" if len(others) > 3 else "")
            outcome.warnings.append(
                f"Email уже указан у других клиентов (ИНН {shown}); клиент всё равно добавлен"
            )
