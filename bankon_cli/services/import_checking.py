"""Checking rows of an import, in this process or in a helper process while this one writes."""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from bankon_cli.domain.inn import Inn
from bankon_cli.services.csv_reading import Record
from bankon_cli.services.import_rows import CheckedRow, ColumnMap, check_row, is_blank
from bankon_cli.services.validation import ClientFields, FieldProblem, ValidEmail

# Below this size the helper process's start-up (about 0.3 s) costs more than it saves.
HELPER_PROCESS_MIN_BYTES = 1 << 20
# Batches checked ahead of the one being written: bounded, so memory stays flat.
IN_FLIGHT = 2

Packed = tuple[Any, ...]


def use_helper_process(file_size: int, requested: int | None) -> bool:
    """Worth it for big files when a core is free; on a busy machine it only adds pickling."""
    if requested is not None:
        return requested > 0
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return file_size >= HELPER_PROCESS_MIN_BYTES and cores > 1 and busy <= cores - 1


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Non-blank records in lists of `size`."""
    batch: list[Record] = []
    for record in records:
        if is_blank(record[1]):
            continue
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_batch(
    records: list[Record], columns: ColumnMap, check_deliverability: bool
) -> list[CheckedRow]:
    return [
        check_row(line, cells, columns, check_deliverability=check_deliverability)
        for line, cells in records
    ]


def _pack(row: CheckedRow) -> Packed:
    """A checked row as plain tuples: far cheaper to pickle than the dataclasses."""
    fields = row.fields
    problems = tuple((problem.field, problem.problem) for problem in row.problems)
    if fields is None:
        return (row.line, row.inn_text, problems, None)
    email = fields.email
    values = (
        fields.inn.value,
        fields.contact_name,
        fields.short_name,
        email.normalized,
        email.ascii_email,
        fields.phone,
    )
    return (row.line, row.inn_text, problems, values)


def _unpack(packed: Packed, cells: list[str]) -> CheckedRow:
    line, inn_text, problems, values = packed
    fields = None
    if values is not None:
        inn, contact, name, normalized, ascii_email, phone = values
        fields = ClientFields(Inn(inn), contact, name, ValidEmail(normalized, ascii_email), phone)
    return CheckedRow(
        line, cells, inn_text, fields, [FieldProblem(field, problem) for field, problem in problems]
    )


def _check_packed(
    records: list[Record], columns: ColumnMap, check_deliverability: bool
) -> list[Packed]:
    return [_pack(row) for row in check_batch(records, columns, check_deliverability)]


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the importing process decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def checked_batches(
    records: Iterable[Record],
    columns: ColumnMap,
    *,
    batch_size: int,
    check_deliverability: bool,
    helper_process: bool,
) -> Iterator[list[CheckedRow]]:
    """Checked batches in file order; with a helper process, checked while the caller writes."""
    if not helper_process:
        for batch in batches(records, batch_size):
            yield check_batch(batch, columns, check_deliverability)
        return
    yield from _checked_with_helper(records, columns, batch_size, check_deliverability)


def _checked_with_helper(
    records: Iterable[Record], columns: ColumnMap, batch_size: int, check_deliverability: bool
) -> Iterator[list[CheckedRow]]:
    """Keep IN_FLIGHT batches with the helper; if it cannot run, check here instead."""
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=get_context("spawn"), initializer=_ignore_interrupts
    )
    helper_works = True
    pending: deque[tuple[list[Record], Future[list[Packed]] | None]] = deque()

    def collect(batch: list[Record], future: Future[list[Packed]] | None) -> list[CheckedRow]:
        nonlocal helper_works
        if future is not None and helper_works:
            try:
                return _collect(batch, future)
            except (BrokenProcessPool, OSError):
                # The helper could not start or died (no semaphores, killed): these rows
                # are checked here instead; nothing was written for them yet.
                helper_works = False
        return check_batch(batch, columns, check_deliverability)

    try:
        for batch in batches(records, batch_size):
            future = None
            if helper_works:
                try:
                    future = pool.submit(_check_packed, batch, columns, check_deliverability)
                except (BrokenProcessPool, OSError):
                    helper_works = False
            pending.append((batch, future))
            if len(pending) > IN_FLIGHT:
                yield collect(*pending.popleft())
        while pending:
            yield collect(*pending.popleft())
    finally:
        pool.shutdown(wait=helper_works, cancel_futures=True)


def _collect(batch: list[Record], future: Future[list[Packed]]) -> list[CheckedRow]:
    return [
        _unpack(packed, cells)
        for packed, (_line, cells) in zip(future.result(), batch, strict=True)
    ]
