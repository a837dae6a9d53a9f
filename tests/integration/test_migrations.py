"""Alembic migrations: the head revision, migrate on first use, down to base and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from bankon_cli.db.migrate import alembic_config, head_revision, pending_revisions, upgrade
from bankon_cli.db.migrations import HEAD_REVISION
from bankon_cli.db.models import Base
from bankon_cli.db.session import current_revision, make_engine
from tests.helpers import query_rows

TABLES = {table.name for table in Base.metadata.sorted_tables}


def test_head_revision_constant_matches_alembic() -> None:
    assert HEAD_REVISION == head_revision()


def test_fresh_database_is_migrated_on_first_use(cli, db_url):  # type: ignore[no-untyped-def]
    result = cli("client", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    engine = create_engine(db_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert query_rows(db_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": HEAD_REVISION}
    ]


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        assert pending_revisions(engine) == []
        command.downgrade(alembic_config(engine), "base")
        assert current_revision(engine) is None
        left = set(inspect(engine).get_table_names()) - {"alembic_version", "sqlite_sequence"}
        assert left == set()
        pending = pending_revisions(engine)
        assert (pending[0], pending[-1]) == ("0001", HEAD_REVISION)
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_search_index_works_after_a_round_trip(cli, db_url):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        upgrade(engine)
    finally:
        engine.dispose()
    assert cli("agent", "add", "--inn", "7712345671", "--name", "Агент").exit_code == 0
    assert (
        cli(
            "client",
            "add",
            "--inn",
            "7726311464",
            "--contact",
            "Игнатьев В.",
            "--name",
            "АО Р-ФАРМ",
            "--email",
            "info@r-pharm.com",
            "--no-invite",
        ).exit_code
        == 0
    )
    import json

    found = json.loads(cli("client", "list", "-s", "р-фарм", "-f", "json").stdout)
    assert [client["inn"] for client in found["clients"]] == ["7726311464"]


def test_processes_meeting_a_new_database_at_once_all_succeed(env, db_url):  # type: ignore[no-untyped-def]
    """Cron and an operator on a fresh shared database: one migrates, the others wait."""
    import subprocess
    import sys
    import time

    start = time.time() + 4  # every process imported and waiting before the first migrates
    probe = (
        "import sys, time\n"
        "import bankon_cli.cli.client_list, bankon_cli.db.migrate, bankon_cli.db.session\n"
        "import bankon_cli.services.listing, alembic.command, alembic.script\n"
        "from bankon_cli.main import run\n"
        f"time.sleep(max(0.0, {start} - time.time()))\n"
        "sys.exit(run(['client', 'list', '--format', 'json']))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", probe],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(process.wait(120), *process.communicate()) for process in processes]
    assert [(code, err) for code, _out, err in results] == [(0, "")] * 4
    assert query_rows(db_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": HEAD_REVISION}
    ]
