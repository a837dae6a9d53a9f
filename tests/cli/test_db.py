"""`bankon db status|upgrade`: which database, its revision, pending migrations."""

from __future__ import annotations

import json

import pytest

from bankon_cli.db.migrations import HEAD_REVISION
from tests.helpers import query_rows, table_counts


def _shown(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db_url).render_as_string(hide_password=True)


def test_status_of_a_new_database(cli, db_url):  # type: ignore[no-untyped-def]
    result = cli("db", "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    pending = data.pop("pending")
    assert (pending[0], pending[-1]) == ("0001", HEAD_REVISION)  # every revision, oldest first
    assert data == {
        "database": _shown(db_url),
        "current_revision": None,
        "head_revision": HEAD_REVISION,
        "up_to_date": False,
    }
    table = cli("db", "status").stdout.splitlines()
    assert table[0] == f"База данных: {_shown(db_url)}"
    assert table[1] == "Текущая ревизия схемы: нет (база не создана)"
    assert table[2] == f"Последняя ревизия: {HEAD_REVISION}"
    assert table[3].startswith("Ожидают применения: 0001") and table[3].endswith(
        "(bankon db upgrade)"
    )
    # Looking does not create anything.
    assert table_counts(db_url)["clients"] == 0


def test_upgrade_then_status(cli, db_url):  # type: ignore[no-untyped-def]
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        f"База данных {_shown(db_url)} обновлена: применены миграции 0001"
    )
    assert query_rows(db_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": HEAD_REVISION}
    ]
    again = cli("db", "upgrade")
    assert (again.exit_code, again.stderr) == (
        0,
        f"База данных {_shown(db_url)} уже в актуальном состоянии\n",
    )
    status = json.loads(cli("db", "status", "-f", "json").stdout)
    assert (status["current_revision"], status["pending"], status["up_to_date"]) == (
        HEAD_REVISION,
        [],
        True,
    )
    assert cli("db", "status").stdout.splitlines()[-1] == "Схема актуальна"


def test_unreachable_database_is_a_runtime_failure(cli, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BANKON_DATABASE_URL", "postgresql+psycopg://bankon:s3cret-pw@127.0.0.1:9/x")
    for args in (["db", "status"], ["db", "upgrade"], ["client", "list"]):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("Ошибка: База данных недоступна: ")
        assert result.stderr.count("\n") == 1
        assert "s3cret-pw" not in result.stderr + result.stdout


def test_unsupported_database_url(cli, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BANKON_DATABASE_URL", "mysql://root@localhost/bankon")
    result = cli("db", "status")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: Адрес базы данных: поддерживаются sqlite:///ФАЙЛ и postgresql+psycopg://…, "
        "а указан «mysql:…»\n",
    )


def test_password_in_the_url_is_hidden(cli, db_url, monkeypatch):  # type: ignore[no-untyped-def]
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite URLs carry no password")
    with_password = db_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    monkeypatch.setenv("BANKON_DATABASE_URL", with_password)
    result = cli("db", "status")
    assert result.exit_code == 0, result.stderr
    assert "s3cret-pw" not in result.stdout
    assert "postgres:***@" in result.stdout
