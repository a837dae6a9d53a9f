"""Benchmark `client import` on 100,000 generated rows against simpler tools, in one run.

Run by hand (figures are printed, never asserted):

    /work/venv/bin/python bench/import_bench.py [--rows 100000] [--postgres URL] [--memory]

Measures, on the same generated file (realistic Cyrillic names, valid INNs, `;`, UTF-8):
  (a) Python's csv module + sqlite3.executemany into a table shaped like `clients`;
  (b) email-validator alone on the same addresses (the validation `client add` does);
  (c) `sqlite-utils insert --csv` of the same file (validates nothing);
  bankon's import (full validation, invitations queued with their outbox messages) on SQLite
  and, with --postgres or BANKON_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REGIONS = ["77", "78", "50", "43", "32", "61", "22", "66", "54", "16", "02", "05", "97", "23"]
FORMS = ["ООО", "АО", "ПАО", "ЗАО", "ИП"]
WORDS = [
    "Ромашка",
    "Техника",
    "Стройинвест",
    "Крахмал",
    "Терновка",
    "Север",
    "Восток",
    "Альфа",
    "Меридиан",
    "Гранит",
    "Заря",
    "Волга",
    "Урал",
    "Сибирь",
    "Прогресс",
    "Сфера",
    "Логистик",
    "Агрохолдинг",
    "Фармация",
    "Энергосбыт",
    "Металлоконструкции",
    "Ёлочка",
    "Берёзка",
]
SURNAMES = [
    ("Абрамова", "abramova"),
    ("Игнатьев", "ignatev"),
    ("Смирнов", "smirnov"),
    ("Кузнецова", "kuznetsova"),
    ("Попов", "popov"),
    ("Соловьёва", "soloveva"),
    ("Васильев", "vasilev"),
    ("Петрова", "petrova"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
    ("Морозова", "morozova"),
    ("Волков", "volkov"),
]
GIVEN = ["Ксения", "Валентин", "Вадим", "Анна", "Сергей", "Ольга", "Дмитрий", "Елена", "Пётр"]
PATRONYMICS = ["Петрович", "Андреевна", "Игоревич", "Сергеевна", "Олегович", "Викторовна"]
DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "r-pharm.com", "company.ru", "bk.ru", "пример.рф"]
W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def inn_from(number: int, individual: bool, region: str) -> str:
    if individual:
        body = f"{region}{number:08d}"
        body += _check(body, W11)
        return body + _check(body, W12)
    body = f"{region}{number:07d}"
    return body + _check(body, W10)


def generate(path: Path, rows: int, seed: int = 42, collect: bool = True) -> list[str]:
    """Write the file and return its addresses (for the email-validator-only figure)."""
    rng = random.Random(seed)
    numbers = rng.sample(range(10_000_000), rows)
    emails = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            ["ИНН", "Наименование компании", "ФИО контактного лица", "Email", "Телефон"]
        )
        for index, number in enumerate(numbers):
            individual = index % 10 == 0
            inn = inn_from(number, individual, rng.choice(REGIONS))
            surname, latin = rng.choice(SURNAMES)
            contact = f"{surname} {rng.choice(GIVEN)} {rng.choice(PATRONYMICS)}"
            if individual:
                name = f"ИП {surname} {rng.choice(GIVEN)[0]}.{rng.choice(PATRONYMICS)[0]}."
            else:
                name = f'{rng.choice(FORMS[:4])} "{rng.choice(WORDS)} {rng.choice(WORDS)}"'
            email = f"{latin}.{index}@{rng.choice(DOMAINS)}"
            phone = f"+7 9{rng.randrange(10**8, 10**9)}" if index % 3 else ""
            if collect:
                emails.append(email)
            writer.writerow([inn, name, contact, email, phone])
    return emails


def bench_csv_executemany(path: Path, workdir: Path) -> float:
    database = workdir / "baseline.db"
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE clients (id INTEGER PRIMARY KEY, inn VARCHAR(12) NOT NULL UNIQUE, "
        "short_name VARCHAR(500) NOT NULL, contact_name VARCHAR(500) NOT NULL, "
        "email VARCHAR(320) NOT NULL, email_key VARCHAR(320) NOT NULL, phone VARCHAR(32), "
        "region_code VARCHAR(2) NOT NULL, legal_form VARCHAR(20) NOT NULL, "
        "agent_id INTEGER NOT NULL, status VARCHAR(20) NOT NULL, search_text TEXT NOT NULL, "
        "reminders_paused BOOLEAN NOT NULL, created_at DATETIME NOT NULL, "
        "updated_at DATETIME NOT NULL)"
    )
    connection.execute("CREATE INDEX ix_email_key ON clients (email_key)")
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        now = "2026-12-03 12:00:00"
        connection.executemany(
            "INSERT INTO clients (inn, short_name, contact_name, email, email_key, phone, "
            "region_code, legal_form, agent_id, status, search_text, reminders_paused, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'pending', ?, 0, ?, ?)",
            (
                (
                    inn,
                    name,
                    contact,
                    email,
                    email.lower(),
                    phone or None,
                    inn[:2],
                    "legal_entity" if len(inn) == 10 else "individual",
                    f"{name} {inn} {contact} {email}".lower(),
                    now,
                    now,
                )
                for inn, name, contact, email, phone in reader
            ),
        )
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def bench_real_table(path: Path, workdir: Path) -> float:
    """(a) again, into bankon's own migrated `clients` table: its indexes and FTS5 trigram index."""
    from bankon_cli.db.migrate import upgrade
    from bankon_cli.db.session import make_engine

    database = workdir / "real-table.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("INSERT INTO agents (inn, name, created_at) VALUES ('1', 'a', '2026-12-03')")
    connection.commit()
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        now = "2026-12-03 12:00:00.000000"
        connection.executemany(
            "INSERT INTO clients (inn, short_name, contact_name, email, email_key, phone, "
            "region_code, legal_form, agent_id, status, search_text, reminders_paused, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'pending', ?, 0, ?, ?)",
            (
                (
                    inn,
                    name,
                    contact,
                    email,
                    email.lower(),
                    phone or None,
                    inn[:2],
                    "legal_entity" if len(inn) == 10 else "individual",
                    f"{name} {inn} {contact} {email}".lower(),
                    now,
                    now,
                )
                for inn, name, contact, email, phone in reader
            ),
        )
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def bench_email_validator(emails: list[str]) -> float:
    from email_validator import validate_email

    started = time.perf_counter()
    for email in emails:
        validate_email(email, check_deliverability=False)
    return time.perf_counter() - started


def bench_sqlite_utils(path: Path, workdir: Path) -> float | None:
    tool = shutil.which("sqlite-utils") or str(Path(sys.executable).parent / "sqlite-utils")
    if not Path(tool).exists():
        return None
    started = time.perf_counter()
    subprocess.run(
        [
            tool,
            "insert",
            str(workdir / "sqlite_utils.db"),
            "clients",
            str(path),
            "--csv",
            "--delimiter",
            ";",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def bench_bankon(
    path: Path, database_url: str, home: Path, helper_processes: int | None = None
) -> tuple[float, float, dict[str, int], int]:
    """The import service exactly as `client import --no-deliver` would run it (no delivery)."""
    from bankon_cli.config import settings_from_mapping
    from bankon_cli.context import AppContext
    from bankon_cli.services.agents import add_agent
    from bankon_cli.services.csv_reading import open_csv
    from bankon_cli.services.importing import ImportOptions, prepare_import, run_import

    os.environ["BANKON_HOME"] = str(home)
    os.environ["BANKON_DATABASE_URL"] = database_url
    context = AppContext(settings=settings_from_mapping({}))
    factory = context.session_factory  # migrates the fresh database, outside the timing
    with factory.begin() as session:
        add_agent(
            session, inn="7712345671", name='ООО "Бенчмарк"', parent_inn=None, now=context.clock()
        )
    with factory.begin() as session:
        from bankon_cli.services.agents import find_agent

        agent = find_agent(session, "7712345671")
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with path.open("rb") as binary:
        import_file = prepare_import(open_csv(binary, name=path.name))
        summary = run_import(
            factory,
            import_file,
            agent=agent,
            settings=context.settings,
            clock=context.clock,
            options=ImportOptions(helper_processes=helper_processes),
            on_row=lambda outcome: None,
        )
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    context.close()
    return elapsed, cpu, summary.counts_json(), summary.queued


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the checking helper)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def postgres_schema_url(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{secrets.token_hex(4)}"
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema},public", schema


def drop_schema(base: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def memory_probe(rows: int) -> None:
    """Child process: import `rows` rows into SQLite and print the peak resident memory."""
    import resource

    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        generate(workdir / "clients.csv", rows, seed=rows, collect=False)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        bench_bankon(workdir / "clients.csv", f"sqlite:///{workdir / 'm.db'}", workdir / "home")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"{rows} {before} {after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("BANKON_TEST_DATABASE_URL", ""))
    parser.add_argument("--memory", action="store_true", help="peak memory at 50k and 200k rows")
    parser.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe)
        return
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        path = workdir / "clients.csv"
        emails = generate(path, args.rows)
        print(f"{args.rows} rows, {path.stat().st_size / 1e6:.1f} MB")
        a = bench_csv_executemany(path, workdir)
        b = bench_email_validator(emails)
        c = bench_sqlite_utils(path, workdir)
        real = bench_real_table(path, workdir)
        print(f"(a) csv + sqlite3.executemany:        {a:7.2f} s")
        per_address = b / args.rows * 1e6
        print(f"(b) email-validator alone:            {b:7.2f} s  ({per_address:.0f} µs/address)")
        target = 1.5 * (a + b)
        print(f"    (a)+(b):                          {a + b:7.2f} s   target 1.5×: {target:.2f} s")
        print(
            f"    (a) into bankon's clients table:  {real:7.2f} s  (+ its indexes, FTS5 trigrams)"
        )
        if c is None:
            print("(c) sqlite-utils: not installed (pip install '.[bench]')")
        else:
            print(f"(c) sqlite-utils insert --csv:        {c:7.2f} s")
        for label, helper in ((" (2 processes)", 1), (" (1 process)", 0)):
            elapsed, cpu, counts, queued = bench_bankon(
                path,
                f"sqlite:///{workdir / f'bankon{helper}.db'}",
                workdir / f"home{helper}",
                helper,
            )
            print(
                f"bankon import, SQLite{label:14}{elapsed:7.2f} s  "
                f"= {elapsed / (a + b):.2f}× (a)+(b), CPU {cpu:.2f} s; "
                f"{counts['created']} created, {queued} invitations queued"
            )
        if args.postgres:
            url, schema = postgres_schema_url(args.postgres)
            try:
                elapsed, cpu, counts, queued = bench_bankon(path, url, workdir / "home-pg")
            finally:
                drop_schema(args.postgres, schema)
            print(
                f"bankon import, PostgreSQL:            {elapsed:7.2f} s  "
                f"= {elapsed / (a + b):.2f}× (a)+(b), CPU (client) {cpu:.2f} s; "
                f"{counts['created']} created, {queued} queued"
            )
    if args.memory:
        for rows in (50_000, 200_000):
            output = subprocess.run(
                [sys.executable, __file__, "--memory-probe", str(rows)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            print(
                f"peak RSS importing {rows:>7} rows: {int(output[2]) / 1024:.0f} MB "
                f"(before the import: {int(output[1]) / 1024:.0f} MB)"
            )


if __name__ == "__main__":
    main()
