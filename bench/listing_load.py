"""Building (once) the benchmark databases: bankon's schema, then bulk-loaded generated rows."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path

from listing_data import agent_rows, application_rows, client_rows
from sqlalchemy import create_engine, text

from bankon_cli.db.migrations import HEAD_REVISION
from bankon_cli.db.session import ensure_schema, make_engine

CLIENT_COLUMNS = (
    "id, inn, short_name, contact_name, email, email_key, phone, region_code, legal_form, "
    "agent_id, status, search_text, reminders_paused, created_at, updated_at"
)
BATCH = 50_000


def _sqlite_time(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes for the naive UTC values UtcDateTime gives it.
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"


def _sqlite_count(path: Path) -> int:
    """Clients in a cached file, or -1 if it is missing or its schema is not the newest."""
    try:
        with sqlite3.connect(path) as connection:
            (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision != HEAD_REVISION:
                return -1
            return int(connection.execute("SELECT count(*) FROM clients").fetchone()[0])
    except sqlite3.Error:
        return -1


def build_sqlite(path: Path, rows: int, *, rebuild: bool, fts_fill: str) -> None:
    """The SQLite file, migrated by bankon and loaded with executemany in large batches.

    fts_fill="triggers" lets the schema's AFTER INSERT trigger add every row to the FTS5
    trigram index as it is inserted; "rebuild" drops that trigger for the load, rebuilds the
    index once from the clients table and puts the trigger back, exactly as it was.
    """
    if not rebuild and path.exists() and _sqlite_count(path) == rows:
        return
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    engine.dispose()
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -500000")
    (trigger_sql,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'clients_search_insert'"
    ).fetchone()
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO agents (id, inn, name, parent_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [(*row[:4], _sqlite_time(row[4])) for row in agent_rows()],
    )
    if fts_fill == "rebuild":
        connection.execute("DROP TRIGGER clients_search_insert")
    batch: list[tuple[object, ...]] = []
    insert = f"INSERT INTO clients ({CLIENT_COLUMNS}) VALUES ({', '.join('?' * 15)})"
    for row in client_rows(rows):
        batch.append((*row[:12], 0, _sqlite_time(row[13]), _sqlite_time(row[14])))  # type: ignore[arg-type]
        if len(batch) == BATCH:
            connection.executemany(insert, batch)
            batch.clear()
    if batch:
        connection.executemany(insert, batch)
    loaded = time.perf_counter()
    if fts_fill == "rebuild":
        connection.execute("INSERT INTO clients_search(clients_search) VALUES ('rebuild')")
        connection.execute(trigger_sql)
    indexed = time.perf_counter()
    connection.executemany(
        "INSERT INTO applications (client_id, kind, status, created_at) VALUES (?, ?, ?, ?)",
        [(*row[:3], _sqlite_time(row[3])) for row in application_rows(rows)],
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    print(
        f"SQLite: built {path.name} in {time.perf_counter() - started:.1f} s "
        f"(clients{' + FTS by triggers' if fts_fill == 'triggers' else ''} "
        f"{loaded - started:.1f} s, FTS rebuild {indexed - loaded:.1f} s)"
    )


def build_postgresql(base_url: str, rows: int, *, rebuild: bool) -> str:
    """A schema of its own in the given database, migrated by bankon, loaded with COPY."""
    schema = f"bench_listing_{rows}"
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema},public"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        exists = connection.execute(
            text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND "
                 "table_name = 'clients'"), {"s": schema}
        ).scalar()  # fmt: skip
        if exists and not rebuild:
            count = connection.execute(text(f"SELECT count(*) FROM {schema}.clients")).scalar()
            revision = connection.execute(
                text(f"SELECT version_num FROM {schema}.alembic_version")
            ).scalar()
            if count == rows and revision == HEAD_REVISION:
                admin.dispose()
                return url
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    started = time.perf_counter()
    import psycopg

    plain_url = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, options=f"-csearch_path={schema},public") as connection:
        connection.execute("SET maintenance_work_mem = '512MB'")
        (index_sql,) = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s "
            "AND indexname = 'ix_clients_search_text_trgm'",
            (schema,),
        ).fetchone() or (None,)
        connection.execute("DROP INDEX ix_clients_search_text_trgm")
        with connection.cursor() as cursor:
            agents_copy = "COPY agents (id, inn, name, parent_id, created_at) FROM STDIN"
            with cursor.copy(agents_copy) as copy:
                for agent in agent_rows():
                    copy.write_row(agent)
            with cursor.copy(f"COPY clients ({CLIENT_COLUMNS}) FROM STDIN") as copy:
                for row in client_rows(rows):
                    copy.write_row(row)
            with cursor.copy(
                "COPY applications (client_id, kind, status, created_at) FROM STDIN"
            ) as copy:
                for application in application_rows(rows):
                    copy.write_row(application)
        loaded = time.perf_counter()
        connection.execute(index_sql)
        for table in ("agents", "clients", "applications"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        connection.commit()
        indexed = time.perf_counter()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    print(
        f"PostgreSQL: built schema {schema} in {time.perf_counter() - started:.1f} s "
        f"(COPY {loaded - started:.1f} s, trigram index {indexed - loaded:.1f} s)"
    )
    return url
