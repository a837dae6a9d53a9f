"""Database time of the client table on many generated clients, SQLite and PostgreSQL.

Run by hand (figures are printed, never asserted in tests):

    /work/venv/bin/python bench/listing.py                       # 1,000,000 clients
    /work/venv/bin/python bench/listing.py --rows 100000         # a quick run
    /work/venv/bin/python bench/listing.py --engines sqlite
    BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test bench/listing.py

The databases are built once and cached: SQLite files in bench/out/, PostgreSQL in a
schema `bench_listing_<rows>` of the database BENCH_PG_URL names (default: the local test
database). `--rebuild` builds them again. Each case calls the service functions of
bankon_cli.services.listing (what `bankon client list` runs) several times and prints the
median and the minimum, next to the target of issue 2 where there is one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))
from listing_load import build_postgresql, build_sqlite

from bankon_cli.db.session import make_engine
from bankon_cli.domain.regions import region_codes_matching
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.services.listing import (
    ClientQuery,
    count_clients,
    list_clients,
    page_ids,
    rows_for_ids,
)

OUT = Path(__file__).parent / "out"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS_MS = {"first page": 10, "filtered page": 10, "search": 50, "total": 100, "deep page": 200}
SEARCHES = [  # (label, text) — what an operator types
    ("search: Cyrillic, part of a name", "ромаш"),
    ("search: Cyrillic, common word", "строй"),
    ("search: Cyrillic with ё (= е)", "зеленый"),
    ("search: Cyrillic, person", "игнатьева"),
    ("search: Latin, email part", "ignatev.4"),
    ("search: Latin, company", "smart log"),
    ("search: INN fragment", "0001234"),
    ("search: 3 characters", "фар"),
    ("search: no match", "щщщщ"),
]


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples), result


Case = tuple[str, str | None, ClientQuery | None]


def cases(rows: int) -> list[Case]:
    """(label, target, query); a query of None means the unfiltered total alone."""
    moscow = region_codes_matching("Москва")
    deep = min(20_000, rows // 10)
    pending = [ClientStatus.PENDING]
    attached = [ClientStatus.ATTACHED]
    tree = [1, 2, 3]  # the first agent and its two sub-agents
    q = ClientQuery
    found: list[Case] = [
        ("first page (10, by created)", "first page", q()),
        ("first page (50)", "first page", q(per_page=50)),
        ("filtered page: status attached", "filtered page", q(statuses=attached)),
        ("filtered page: region Москва (77, 97)", "filtered page", q(region_codes=moscow)),
        ("filtered page: region 39", "filtered page", q(region_codes=["39"])),
        ("filtered page: agent with sub-agents", "filtered page", q(agent_ids=tree)),
        ("filtered page: agent 8 only", "filtered page", q(agent_ids=[8])),
        ("filtered page: pending + 77/97 + agent tree", "filtered page",
         q(statuses=pending, region_codes=moscow, agent_ids=tree)),
        ("total (no filter)", "total", None),
        ("filtered page: 77/97 + agent tree", "filtered page",
         q(region_codes=moscow, agent_ids=tree)),
        ("filtered page: attached + agent 8", "filtered page",
         q(statuses=attached, agent_ids=[8])),
        (f"page {deep:,} (10 per page)", "deep page", q(page=deep)),
        (f"page {deep:,}, status pending", "deep page", q(page=deep // 2, statuses=pending)),
        ("sort by name, first page", "first page", q(sort="name")),
        ("sort by name desc, page 1000", None, q(sort="name", descending=True, page=1000)),
        ("sort by name, status attached", None, q(sort="name", statuses=attached)),
        ("sort by region, status pending", None, q(sort="region", statuses=pending)),
    ]  # fmt: skip
    for label, needle in SEARCHES:
        found.append((label, "search", q(search=needle)))
    found.append(("search + status + region", "search",
                  q(search="строй", statuses=pending, region_codes=moscow)))  # fmt: skip
    found.append(("search, sorted by name", "search", q(search="строй", sort="name")))
    return found


def _page_summary(page: Any) -> str:
    first = page.clients[0].short_name if page.clients else "-"
    return f"{page.total} found, {len(page.clients)} shown, first: {first}"


def naive_like(engine: Engine, needle: str) -> Callable[[], Any]:
    """The scan the issue warns about: LIKE over the raw columns, no index."""
    pattern = f"%{needle}%"
    sql = text(
        "SELECT count(*) FROM clients WHERE short_name LIKE :p OR inn LIKE :p "
        "OR contact_name LIKE :p OR email LIKE :p"
    )

    def run() -> int:
        with engine.connect() as connection:
            return int(connection.execute(sql, {"p": pattern}).scalar_one())

    return run


def measure(name: str, url: str, rows: int, repeat: int) -> None:
    """Per case: the page alone (ids, then rows; the total known), the total alone, and
    list_clients as `client list` calls it (total + page), medians over `repeat` runs."""
    engine = make_engine(url)
    print(f"\n{name}: {rows:,} clients ({url.split('?')[0]}); median ms (min of list_clients)")
    print(f"  {'case':46} {'page':>7} {'total':>7} {'both':>7} {'(min)':>7}  target   result")
    with Session(engine) as session:
        for label, target_key, query in cases(rows):
            query = query or ClientQuery()
            total_ms, _, total = timed(lambda q=query: count_clients(session, q), repeat)
            page_ms, _, _ = timed(
                lambda q=query, t=total: rows_for_ids(session, page_ids(session, q, t)), repeat
            )
            both_ms, both_min, page = timed(lambda q=query: list_clients(session, q), repeat)
            target = TARGETS_MS.get(target_key or "")
            measured = {"total": total_ms, "first page": page_ms, "filtered page": page_ms}.get(
                target_key or "", both_ms
            )
            verdict = "" if target is None else ("ok" if measured < target else "SLOW")
            limit = f"<{target}" if target else ""
            print(
                f"  {label:46} {page_ms:7.1f} {total_ms:7.1f} {both_ms:7.1f} {both_min:7.1f}"
                f"  {limit:>4} {verdict:4} {_page_summary(page)}"
            )
        session.rollback()
    for needle in ("ромаш", "Ромаш", "строй"):
        median, minimum, result = timed(naive_like(engine, needle), max(3, repeat // 2))
        print(f"  {'naive LIKE scan «' + needle + '»':46} {'':7} {'':7} {median:7.1f} "
              f"{minimum:7.1f}            {result} found")  # fmt: skip
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument(
        "--fts-fill",
        choices=("rebuild", "triggers"),
        default="rebuild",
        help="fill the SQLite FTS index by its triggers row by row, or rebuild it once at the end",
    )
    args = parser.parse_args()
    engines = args.engines.split(",")
    OUT.mkdir(exist_ok=True)
    if "sqlite" in engines:
        path = OUT / f"listing-{args.rows}.db"
        build_sqlite(path, args.rows, rebuild=args.rebuild, fts_fill=args.fts_fill)
        measure("SQLite", f"sqlite:///{path}", args.rows, args.repeat)
    if "postgresql" in engines:
        base = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
        url = build_postgresql(base, args.rows, rebuild=args.rebuild)
        measure("PostgreSQL", url, args.rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
