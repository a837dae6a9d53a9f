"""Bulk INSERTs through SQLAlchemy Core, shaped for each engine's fastest path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Insert,
    Row,
    Table,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table, conflict_column: str | None) -> Insert:
    """INSERT, or INSERT … ON CONFLICT (column) DO NOTHING on either engine."""
    if conflict_column is None:
        return insert(table)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=[conflict_column])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=[conflict_column])


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any],
    *,
    skip_conflicts_on: str | None = None,
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert `rows` (values of `columns`) with `constants` in every row; optionally RETURNING.

    PostgreSQL gets one INSERT … SELECT FROM unnest(one array per column): a handful of
    parameters instead of one per value. SQLite gets executemany (multi-row VALUES when
    RETURNING is asked for), where parameters cost little.
    """
    if not rows:
        return []
    statement = _insert(session, table, skip_conflicts_on)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        arrays = [
            bindparam(f"column_{name}", list(values), type_=ARRAY(table.c[name].type))
            for name, values in zip(columns, zip(*rows, strict=True), strict=True)
        ]
        source = func.unnest(*arrays).table_valued(*columns).render_derived()
        fixed = [literal(value, table.c[name].type) for name, value in constants.items()]
        statement = statement.from_select(
            [*columns, *constants], select(*(source.c[name] for name in columns), *fixed)
        )
        if returning:
            statement = statement.returning(*(table.c[name] for name in returning))
        return list(session.execute(statement)) if returning else _run(session, statement)
    # The same value in every row goes into the SQL text once instead of being converted
    # (datetimes to text, booleans to integers) for every row.
    statement = statement.values(
        {name: _sqlite_literal(session, table.c[name], value) for name, value in constants.items()}
    )
    parameters = [dict(zip(columns, row, strict=True)) for row in rows]
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
        return list(session.execute(statement, parameters))
    session.execute(statement, parameters)
    return []


def _sqlite_literal(session: Session, column: Column[Any], value: Any) -> ColumnElement[Any]:
    dialect = session.get_bind().dialect
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    stored = processor(value) if processor is not None else value
    if stored is None:
        return null()
    if isinstance(stored, bool | int):
        return literal_column(str(int(stored)))
    if isinstance(stored, str):
        return literal_column("'" + stored.replace("'", "''") + "'")
    return literal(value, column.type)


def _run(session: Session, statement: Insert) -> list[Row[Any]]:
    session.execute(statement)
    return []
