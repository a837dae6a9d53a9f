"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bankon_cli.config import settings_from_mapping
from bankon_cli.context import AppContext

PG_ENV = "BANKON_TEST_DATABASE_URL"
PG_SKIP_REASON = f"PostgreSQL runs skipped: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"

# The seed's clients (SPEC §2) and the guide's АО Р-ФАРМ, with the regions the guide shows.
SEED_CLIENTS = [
    ("Новая Техника", "4346051140", "Ксения Абрамова", "Кировская область", "pending"),
    ("Крахмал", "3257031038", "Viktor", "Брянская область", "pending"),
    ("Ромашка", "7705923096", "Вадим", "г. Москва", "pending"),
    ("Тест-С-Петербург", "7809018702", "asd", "г. Санкт-Петербург", "pending"),
    ("Терновка", "6149006872", "Тестовый Пользователь", "Ростовская область", "attached"),
    ("ИП Тестов А.Ю.", "228999331903", "70", "Алтайский край", "attached"),
]
R_PHARM = ("АО Р-ФАРМ", "7726311464", "Игнатьев В.", "г. Москва", "info@r-pharm.com")
AGENT_INN = "7712345671"
AGENT_NAME = 'ООО "Региональный тестовый центр"'
FIXED_NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand: cooldowns, quiet hours, reminders, expiry."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def _postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def postgres_base_url() -> str | None:
    url = _postgres_url()
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_base_url: str | None
) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bankon.db'}"
        return
    if not postgres_base_url:
        pytest.skip(PG_SKIP_REASON)
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(postgres_base_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_base_url else "?"
    yield f"{postgres_base_url}{separator}options=-csearch_path%3D{schema},public"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, home: Path, db_url: str) -> dict[str, str]:
    """Environment of a bankon process on the test database, with no user config."""
    for name in ("BANKON_CONFIG", "BANKON_AGENT", "BANKON_NOW", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANKON_HOME", str(home))
    monkeypatch.setenv("BANKON_DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    return {key: value for key, value in os.environ.items()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_ctx(env: dict[str, str], clock: FakeClock) -> Iterator[AppContext]:
    """An AppContext on the test database with a controllable clock (for service tests)."""
    context = AppContext(settings=settings_from_mapping({}), clock=clock)
    yield context
    context.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def invoke(*args: str, stdin: str = "") -> CliResult:
    """Run bankon in-process through the same entry point and error exit as the console script."""
    from bankon_cli.main import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        old_stdin = os.sys.stdin
        os.sys.stdin = io.StringIO(stdin)
        try:
            code = run(list(args))
        finally:
            os.sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """`cli("client", "list")` runs bankon against the test database."""
    return invoke


@pytest.fixture
def agent(cli) -> str:  # type: ignore[no-untyped-def]
    result = cli("agent", "add", "--inn", AGENT_INN, "--name", AGENT_NAME)
    assert result.exit_code == 0, result.stderr
    return AGENT_INN
