"""AppContext: settings, sessions, mailer, clock and streams, injected everywhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from bankon_cli.config import Settings
    from bankon_cli.mail.backends import MailBackend

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_from_environment() -> Clock:
    """`BANKON_NOW` (ISO 8601) fixes the clock for tests that run bankon as a subprocess."""
    fixed = os.environ.get("BANKON_NOW")
    if not fixed:
        return system_clock
    moment = datetime.fromisoformat(fixed)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return lambda: moment


@dataclass
class AppContext:
    settings: Settings
    clock: Clock = field(default=system_clock)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    debug: bool = False
    mail_backend_override: MailBackend | None = None

    @property
    def interactive(self) -> bool:
        """Prompts are allowed only when both ends are a terminal (never in cron or a pipe)."""
        return _isatty(self.stdin) and _isatty(self.stdout)

    @property
    def stderr_is_terminal(self) -> bool:
        return _isatty(self.stderr)

    @cached_property
    def engine(self) -> Engine:
        from bankon_cli.db.session import make_engine

        return make_engine(self.settings.effective_database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        """Sessions on a schema that is created or upgraded on first use."""
        from sqlalchemy.exc import SQLAlchemyError

        from bankon_cli.db.session import database_unreachable, ensure_schema, make_session_factory

        try:
            ensure_schema(self.engine)
        except SQLAlchemyError as error:
            raise database_unreachable(error, self.settings.effective_database_url) from None
        return make_session_factory(self.engine)

    def mail_backend(self) -> MailBackend:
        if self.mail_backend_override is not None:
            return self.mail_backend_override
        from bankon_cli.mail.backends import backend_from_settings

        return backend_from_settings(self.settings, self.stdout)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
