"""Engine and session factory: SQLite pragmas, PostgreSQL URLs, migrate on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bankon_cli.db.migrations import HEAD_REVISION
from bankon_cli.errors import BankonError, ConfigError, ExitStatus

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions lazily; we issue BEGIN ourselves so that
    # writers take the lock up front (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN: two writers queue on busy_timeout instead of
    # failing with "database is locked" when a read lock would have to be upgraded.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=False, connect_args={"connect_timeout": 10})
    raise ConfigError(
        "Адрес базы данных: поддерживаются sqlite:///ФАЙЛ и postgresql+psycopg://…, "
        f"а указан «{url.split(':', 1)[0]}:…»"
    )


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, without importing Alembic."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as error:
        if _is_missing_table(error):
            return None
        raise
    except SQLAlchemyError as error:
        if _is_missing_table(error):
            return None
        raise


def _is_missing_table(error: SQLAlchemyError) -> bool:
    message = str(error.orig) if hasattr(error, "orig") else str(error)
    return "no such table" in message or "does not exist" in message


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the schema on first use; cheap when it is already current."""
    if current_revision(engine) == HEAD_REVISION:
        return
    upgrade_schema(engine)


# pg_advisory_lock(MIGRATION_LOCK, hashtext(current_schema())): one migrator per schema.
MIGRATION_LOCK = 0x62616E6B  # "bank"


def upgrade_schema(engine: Engine) -> None:
    """Upgrade to the newest revision, one process at a time.

    Several processes may meet a new database at once (cron and an operator on a shared
    PostgreSQL): the others wait for the first and then find the schema current. SQLite's
    BEGIN IMMEDIATE already serialises them.
    """
    from bankon_cli.db.migrate import upgrade

    if engine.dialect.name != "postgresql":
        upgrade(engine)
        return
    lock = text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))")
    unlock = text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))")
    with engine.connect() as holder:
        holder.execute(lock, {"key": MIGRATION_LOCK})
        try:
            if current_revision(engine) != HEAD_REVISION:
                upgrade(engine)
        finally:
            holder.execute(unlock, {"key": MIGRATION_LOCK})
            holder.commit()


def database_unreachable(error: Exception, url: str = "") -> BankonError:
    detail = str(getattr(error, "orig", error)).strip().splitlines()
    first = detail[0] if detail else type(error).__name__
    path = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""
    if path and "unable to open database file" in first:
        # SQLite says nothing of which file or why; the usual cause is the folder's rights.
        return BankonError(
            f"База данных {path} недоступна: файл не открывается; проверьте, что это файл, "
            f"а папка {Path(path).parent} существует и доступна на запись",
            ExitStatus.FAILURE,
        )
    if path and "readonly database" in first:
        return BankonError(
            f"База данных {path} открыта только для чтения: проверьте права на файл и его папку",
            ExitStatus.FAILURE,
        )
    return BankonError(f"База данных недоступна: {first}", ExitStatus.FAILURE)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
