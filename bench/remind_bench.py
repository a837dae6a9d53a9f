"""Benchmark `bankon invite remind`: 100,000 due reminders through a local SMTP sink.

Run by hand (figures are printed, never asserted):

    /work/venv/bin/python bench/remind_bench.py [--count 100000] [--postgres URL]

For each engine (SQLite always; PostgreSQL with --postgres or BANKON_TEST_DATABASE_URL):
  1. generates `count` pending clients whose invitations were sent four days ago;
  2. runs `bankon invite remind` as a separate process against an aiosmtpd sink on loopback
     (in this process, so the two share the machine's two cores as they would in life) and
     reports messages per second, checking that the sink received each reminder once;
  3. times `bankon invite remind` when nothing is due (what cron pays every few minutes)
     against `bankon --version`, medians of interleaved rounds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bankon_cli.db.models import Agent, Client, Invitation  # noqa: E402
from bankon_cli.db.session import ensure_schema, make_engine  # noqa: E402

PYTHON = sys.executable
BANKON = str(Path(PYTHON).with_name("bankon"))
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 15:00 in Moscow: outside quiet hours
W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
NAMES = ["Ромашка", "Техника", "Стройинвест", "Крахмал", "Север", "Гранит", "Волга", "Ёлочка"]


def inn10(number: int) -> str:
    body = f"77{number:07d}"
    return body + str(sum(int(d) * w for d, w in zip(body, W10, strict=True)) % 11 % 10)


class CountingSink:
    """The cheapest honest SMTP server: accept, count recipients, keep nothing."""

    def __init__(self) -> None:
        self.count = 0
        self.recipients: set[str] = set()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += 1
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def generate(url: str, count: int) -> None:
    engine = make_engine(url)
    ensure_schema(engine)
    sent_at = NOW - timedelta(days=4)
    with engine.begin() as connection:
        agent_id = connection.execute(
            insert(Agent)
            .values(inn="7712345671", name='ООО "Региональный тестовый центр"', created_at=sent_at)
            .returning(Agent.id)
        ).scalar_one()
        for start in range(0, count, 10_000):
            numbers = range(start, min(start + 10_000, count))
            clients = []
            for number in numbers:
                inn = inn10(number)
                name = f"ООО «{NAMES[number % len(NAMES)]} {number}»"
                email = f"client{number}@example.ru"
                clients.append(
                    {
                        "inn": inn,
                        "short_name": name,
                        "contact_name": f"Контакт {number}",
                        "email": email,
                        "email_key": email,
                        "region_code": "77",
                        "legal_form": "legal_entity",
                        "agent_id": agent_id,
                        "status": "pending",
                        "search_text": f"{name} {inn} {email}".casefold(),
                        "reminders_paused": False,
                        "created_at": sent_at,
                        "updated_at": sent_at,
                    }
                )
            connection.execute(insert(Client), clients)
            ids = (
                connection.execute(
                    select(Client.id).where(Client.inn.in_([c["inn"] for c in clients]))
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(Invitation),
                [
                    {
                        "client_id": client_id,
                        "status": "sent",
                        "created_at": sent_at,
                        "expires_at": sent_at + timedelta(days=14),
                        "last_sent_at": sent_at,
                        "times_sent": 1,
                        "reminders_sent": 0,
                    }
                    for client_id in ids
                ],
            )
    with engine.begin() as connection:
        # A live database has planner statistics; a freshly bulk-loaded one does not yet
        # (autovacuum would analyse it within minutes), and without them PostgreSQL picks a
        # nested loop that makes the due-reminder query quadratic.
        connection.execute(text("ANALYZE"))
    engine.dispose()


def bankon(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([BANKON, *args], env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def children_cpu_seconds() -> float:
    """CPU time of finished child processes: on a shared machine, wall time alone misleads."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_engine(label: str, url: str, count: int, rounds: int) -> None:
    print(f"\n== {label}: {count:,} invitations due for a reminder")
    started = time.perf_counter()
    generate(url, count)
    print(f"generated in {time.perf_counter() - started:.1f} s")
    sink = CountingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        home = Path(tempfile.mkdtemp(prefix="bankon-remind-bench-"))
        config = home / "config.toml"
        config.write_text(
            f'[mail]\nbackend = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
            'security = "none"\ntimeout = 30\n',
            encoding="utf-8",
        )
        env = dict(
            os.environ,
            BANKON_HOME=str(home),
            BANKON_DATABASE_URL=url,
            BANKON_CONFIG=str(config),
            BANKON_NOW=NOW.isoformat(),
        )
        cpu_before = children_cpu_seconds()
        elapsed, done = bankon(env, "invite", "remind")
        cpu = children_cpu_seconds() - cpu_before
        if done.returncode != 0:
            print(done.stdout, done.stderr)
            raise SystemExit(f"remind failed with {done.returncode}")
        print(done.stdout.strip())
        print(
            f"remind run: {elapsed:.1f} s, {sink.count / elapsed:,.0f} messages/s "
            f"(sink received {sink.count:,}, distinct recipients {len(sink.recipients):,}); "
            f"bankon's own CPU time {cpu:.1f} s = {sink.count / cpu:,.0f} messages per "
            f"CPU-second; load average now {os.getloadavg()[0]:.1f}"
        )
        assert sink.count == count == len(sink.recipients), "each reminder must arrive once"
        nothing, version, listing, imports = [], [], [], []
        bare = [PYTHON, "-c", "import typer, sqlalchemy.orm, rich.table"]
        for _ in range(rounds):
            seconds, done = bankon(env, "invite", "remind")
            assert done.returncode == 0 and done.stdout.startswith("Напоминаний отправлено: 0")
            nothing.append(seconds)
            version.append(bankon(env, "--version")[0])
            listing.append(bankon(env, "client", "list")[0])
            started = time.perf_counter()
            subprocess.run(bare, check=True)
            imports.append(time.perf_counter() - started)
        due, base = statistics.median(nothing), statistics.median(version)
        page, floor = statistics.median(listing), statistics.median(imports)
        print(
            f"remind with nothing due: median {due * 1000:.0f} ms over {rounds} runs; "
            f"bankon --version {base * 1000:.0f} ms ({due / base:.2f}x); "
            f"bankon client list {page * 1000:.0f} ms ({due / page:.2f}x); "
            f"python -c 'import typer, sqlalchemy.orm, rich.table' {floor * 1000:.0f} ms "
            f"({due / floor:.2f}x)"
        )
    finally:
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("BANKON_TEST_DATABASE_URL", ""))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    if not args.postgres_only:
        folder = Path(tempfile.mkdtemp(prefix="bankon-remind-db-"))
        run_engine("SQLite", f"sqlite:///{folder / 'bankon.db'}", args.count, args.rounds)
    if args.postgres and not args.sqlite_only:
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in args.postgres else "?"
        try:
            run_engine(
                "PostgreSQL",
                f"{args.postgres}{separator}options=-csearch_path%3D{schema},public",
                args.count,
                args.rounds,
            )
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
