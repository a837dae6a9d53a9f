"""Named leases in the `locks` table: one cron run at a time, across processes and engines."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bankon_cli.context import Clock
from bankon_cli.db.models import LockRow
from bankon_cli.errors import TemporaryFailure

# A crashed holder blocks others for at most this long; a live holder renews between batches.
DEFAULT_LEASE = timedelta(minutes=10)
POLL_INTERVAL_SECONDS = 0.2


class LockLost(TemporaryFailure):
    """The lease ran out and another run took the work over; stop before doing anything twice."""


@dataclass
class Lease:
    """A held lock: renew it between batches, release it when done."""

    name: str
    holder: str
    session_factory: sessionmaker[Session]
    clock: Clock
    duration: timedelta

    def renew(self) -> None:
        now = self.clock()
        with self.session_factory.begin() as session:
            result = session.execute(
                update(LockRow)
                .where(LockRow.name == self.name, LockRow.holder == self.holder)
                .values(expires_at=now + self.duration)
            )
        if not getattr(result, "rowcount", 0):
            raise LockLost(
                f"блокировка «{self.name}» перехвачена другим запуском: работа остановлена"
            )

    def release(self) -> None:
        with self.session_factory.begin() as session:
            session.execute(
                update(LockRow)
                .where(LockRow.name == self.name, LockRow.holder == self.holder)
                .values(holder=None, acquired_at=None, expires_at=None)
            )


def new_holder() -> str:
    """Who holds a lock, for people reading the table: host, process id, random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def _ensure_row(session: Session, name: str) -> None:
    # Each engine's own upsert; imported here so a run pays only for the dialect it uses.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(LockRow).values(name=name).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(LockRow).values(name=name).on_conflict_do_nothing())


def try_acquire(
    session: Session, name: str, holder: str, now: datetime, duration: timedelta
) -> bool:
    """Take `name` if it is free or its lease has run out; one conditional UPDATE decides."""
    _ensure_row(session, name)
    result = session.execute(
        update(LockRow)
        .where(
            LockRow.name == name,
            (LockRow.holder.is_(None)) | (LockRow.expires_at <= now) | (LockRow.holder == holder),
        )
        .values(holder=holder, acquired_at=now, expires_at=now + duration)
    )
    return bool(getattr(result, "rowcount", 0))


def current_holder(session: Session, name: str) -> LockRow | None:
    return session.scalar(select(LockRow).where(LockRow.name == name))


def acquire(
    session_factory: sessionmaker[Session],
    clock: Clock,
    name: str,
    *,
    wait_seconds: float | None = None,
    duration: timedelta = DEFAULT_LEASE,
    sleep: Callable[[float], None] = time.sleep,
) -> Lease | None:
    """The lease, or None when another run holds it (after waiting up to `wait_seconds`).

    With a wait that runs out, raise TemporaryFailure (exit 75): the caller asked to do the
    work, so not doing it is worth a retry. Without a wait, None means "exit quietly".
    """
    holder = new_holder()
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    while True:
        with session_factory.begin() as session:
            if try_acquire(session, name, holder, clock(), duration):
                return Lease(name, holder, session_factory, clock, duration)
        if deadline is None:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            raise TemporaryFailure(
                f"другой запуск ещё выполняет «{name}»; ожидание {wait_seconds:g} с истекло, "
                "повторите позже"
            )
        sleep(min(POLL_INTERVAL_SECONDS, left))


@contextmanager
def holding(lease: Lease) -> Iterator[Lease]:
    """Release the lease however the work ends (a killed process leaves it to expire)."""
    try:
        yield lease
    finally:
        lease.release()
