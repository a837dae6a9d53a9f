"""Importing clients from a CSV file: stream, check, deduplicate and write batch by batch."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bankon_cli.config import Settings
from bankon_cli.context import Clock
from bankon_cli.db.models import Agent
from bankon_cli.errors import InvalidInput
from bankon_cli.services.csv_reading import CsvFile, Record
from bankon_cli.services.import_checking import checked_batches, use_helper_process
from bankon_cli.services.import_rows import (
    CheckedRow,
    ColumnMap,
    OnExisting,
    RowOutcome,
    RowStatus,
    is_blank,
    map_columns,
)
from bankon_cli.services.import_writing import BatchContext, BatchResult, write_batch
from bankon_cli.services.validation import FIELD_INN, FieldProblem

DEFAULT_BATCH_SIZE = 5000
RETRIES = 5
# SQLSTATEs worth running the batch again for: deadlock, serialization failure, lock timeout.
_RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}


@dataclass(frozen=True)
class ImportOptions:
    on_existing: OnExisting = OnExisting.SKIP
    invite: bool = True
    dry_run: bool = False
    check_deliverability: bool = False
    batch_size: int = DEFAULT_BATCH_SIZE
    # Rows are checked (email validation is the real cost) in a helper process while this
    # one writes: None decides by file size, 0 never, 1 always.
    helper_processes: int | None = None


@dataclass
class ImportSummary:
    counts: Counter[RowStatus] = field(default_factory=Counter)
    queued: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def written(self) -> int:
        return self.counts[RowStatus.CREATED] + self.counts[RowStatus.UPDATED]

    def counts_json(self) -> dict[str, int]:
        data = {status.value: self.counts[status] for status in RowStatus}
        data["total"] = self.total
        return data


@dataclass
class ImportFile:
    """A CSV file whose header has been matched; its data records follow."""

    csv_file: CsvFile
    columns: ColumnMap
    header_line: int
    records: Iterator[Record]


class RejectedRowSink(Protocol):
    def write(self, cells: list[str], reason: str) -> None: ...


def prepare_import(csv_file: CsvFile) -> ImportFile:
    """Read and match the header: a missing required column stops here, before any write."""
    records = csv_file.records()
    for line, cells in records:
        if not is_blank(cells):
            return ImportFile(csv_file, map_columns(cells, name=csv_file.name), line, records)
    raise InvalidInput(f"Файл {csv_file.name}", "пуст: нет строки заголовка. Ничего не загружено")


class SeenInns:
    """INNs met earlier in this file and their lines, kept on disk so memory stays flat."""

    def __init__(self) -> None:
        # An empty name is SQLite's private temporary database, deleted when closed.
        self._db = sqlite3.connect("")
        self._db.execute("PRAGMA cache_size = -4096")
        self._db.execute("CREATE TABLE seen (inn TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID")

    def first_lines(self, inns: Iterable[str]) -> dict[str, int]:
        wanted = list(set(inns))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT inn, line FROM seen WHERE inn IN ({marks})"  # noqa: S608 - marks only
            found.update(self._db.execute(query, chunk).fetchall())
        return found

    def add(self, lines: dict[str, int]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", lines.items())

    def close(self) -> None:
        self._db.close()


def _inn_key(row: CheckedRow) -> str | None:
    """The normalised INN of a row whose INN itself is valid (other fields may be wrong)."""
    if not row.inn_text or any(problem.field == FIELD_INN for problem in row.problems):
        return None
    return row.inn_text


def _rejected(row: CheckedRow, problems: list[FieldProblem]) -> RowOutcome:
    return RowOutcome(row.line, row.inn_text, RowStatus.REJECTED, problems)


def deduplicate(
    batch: list[CheckedRow], seen: SeenInns
) -> tuple[list[RowOutcome], list[CheckedRow]]:
    """Reject every later row of an INN met before; return (rejections, rows to write)."""
    keys = [key for row in batch if (key := _inn_key(row))]
    earlier = seen.first_lines(keys)
    rejected: list[RowOutcome] = []
    valid: list[CheckedRow] = []
    for row in batch:
        key = _inn_key(row)
        problems = list(row.problems)
        if key is not None:
            first = earlier.get(key)
            if first is None:
                earlier[key] = row.line
                seen_now = True
            else:
                seen_now = False
                duplicate = FieldProblem(FIELD_INN, f"{key} повторяет строку {first}")
                problems.insert(0, duplicate)
            if seen_now and not problems:
                valid.append(row)
                continue
        if problems:
            rejected.append(_rejected(row, problems))
    seen.add({key: line for key, line in earlier.items()})
    return rejected, valid


def _retryable(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in _RETRYABLE_SQLSTATES or "database is locked" in str(error.orig)


def write_with_retry(
    session_factory: sessionmaker[Session],
    rows: list[tuple[int, Any]],
    context: BatchContext,
) -> BatchResult:
    """One batch, one transaction; a deadlock with a concurrent import runs it again."""
    for attempt in range(1, RETRIES + 1):
        session = session_factory()
        try:
            result = write_batch(session, rows, context)
            if context.dry_run:
                session.rollback()
            else:
                session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if attempt == RETRIES or not _retryable(error):
                raise
            time.sleep(0.05 * attempt)
        finally:
            session.close()
    raise AssertionError("unreachable")


@dataclass
class _Importer:
    session_factory: sessionmaker[Session]
    import_file: ImportFile
    agent: Agent
    settings: Settings
    clock: Clock
    options: ImportOptions
    on_row: Callable[[RowOutcome], None]
    rejected_sink: RejectedRowSink | None
    on_progress: Callable[[int, int], None] | None
    after_batch: Callable[[int], None] | None
    summary: ImportSummary = field(default_factory=ImportSummary)
    seen: SeenInns = field(default_factory=SeenInns)

    def run(self) -> ImportSummary:
        helper = use_helper_process(self.import_file.csv_file.size, self.options.helper_processes)
        try:
            for batch in checked_batches(
                self.import_file.records,
                self.import_file.columns,
                batch_size=self.options.batch_size,
                check_deliverability=self.options.check_deliverability,
                helper_process=helper,
            ):
                self.process(batch)
        finally:
            self.seen.close()
        return self.summary

    def process(self, batch: list[CheckedRow]) -> None:
        rejected, valid = deduplicate(batch, self.seen)
        context = BatchContext(
            agent_id=self.agent.id,
            agent_name=self.agent.name,
            settings=self.settings,
            now=self.clock(),
            on_existing=self.options.on_existing,
            invite=self.options.invite,
            dry_run=self.options.dry_run,
            source_name=self.import_file.csv_file.name,
        )
        rows = [(row.line, row.fields) for row in valid if row.fields is not None]
        result = write_with_retry(self.session_factory, rows, context)
        self.summary.batches += 1
        self.summary.queued += result.queued
        cells = {row.line: row.cells for row in batch}
        for outcome in sorted(rejected + result.outcomes, key=lambda outcome: outcome.line):
            self.summary.counts[outcome.status] += 1
            if outcome.status is RowStatus.REJECTED and self.rejected_sink is not None:
                reason = f"Строка {outcome.line}: {outcome.reason_text}"
                self.rejected_sink.write(cells[outcome.line], reason)
            self.on_row(outcome)
        if self.on_progress is not None:
            self.on_progress(self.summary.total, self.import_file.csv_file.bytes_read())
        if self.after_batch is not None:
            self.after_batch(self.summary.batches)


def run_import(
    session_factory: sessionmaker[Session],
    import_file: ImportFile,
    *,
    agent: Agent,
    settings: Settings,
    clock: Clock,
    options: ImportOptions,
    on_row: Callable[[RowOutcome], None],
    rejected_sink: RejectedRowSink | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every data record; each batch is one transaction, reported row by row in order.

    `after_batch(n)` runs after the n-th batch is committed (progress, or a test's interruption).
    """
    importer = _Importer(
        session_factory,
        import_file,
        agent,
        settings,
        clock,
        options,
        on_row,
        rejected_sink,
        on_progress,
        after_batch,
    )
    return importer.run()
