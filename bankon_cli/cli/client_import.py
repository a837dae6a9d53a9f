"""Running `client import`: open the file, import it batch by batch, report every row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, TYPE_CHECKING

from bankon_cli.context import AppContext

if TYPE_CHECKING:
    from bankon_cli.db.models import Agent
    from bankon_cli.services.exporting import RejectedRowsFile
    from bankon_cli.services.import_rows import RowOutcome
    from bankon_cli.services.importing import ImportFile, ImportOptions, ImportSummary
    from bankon_cli.services.outbox import DeliveryReport

SHOWN_ROWS = 50


class OnExistingChoice(StrEnum):
    SKIP = "skip"
    UPDATE = "update"
    ERROR = "error"


@dataclass(frozen=True)
class ImportRequest:
    path: str
    dry_run: bool = False
    encoding: str = "auto"
    delimiter: str = "auto"
    invite: bool = True
    on_existing: str = "skip"
    errors_out: str | None = None
    as_json: bool = False
    agent_inn: str | None = None
    check_deliverability: bool = False
    batch_size: int = 5000


def run_client_import(app_ctx: AppContext, request: ImportRequest) -> None:
    from bankon_cli.errors import InvalidInput
    from bankon_cli.services.csv_reading import (
        open_csv,
        open_input,
        parse_delimiter,
        parse_encoding,
    )
    from bankon_cli.services.importing import prepare_import

    delimiter = parse_delimiter(request.delimiter)
    encoding = parse_encoding(request.encoding)
    if request.errors_out and request.errors_out == request.path:
        raise InvalidInput("--errors-out", "совпадает с импортируемым файлом; укажите другой файл")
    binary, name = open_input(request.path, app_ctx.stdin)
    try:
        import_file = prepare_import(
            open_csv(binary, name=name, encoding=encoding, delimiter=delimiter)
        )
        _import_and_report(app_ctx, request, import_file)
    finally:
        binary.close()


def _import_and_report(
    app_ctx: AppContext, request: ImportRequest, import_file: ImportFile
) -> None:
    from bankon_cli.cli.output import info, warn
    from bankon_cli.services.agents import resolve_current_agent
    from bankon_cli.services.exporting import RejectedRowsFile
    from bankon_cli.services.import_rows import OnExisting
    from bankon_cli.services.importing import ImportOptions

    csv_file = import_file.csv_file
    info(
        app_ctx,
        f"Файл {csv_file.name}: кодировка {csv_file.encoding_label}, "
        f"разделитель {csv_file.delimiter_label}"
        + (" — пробный запуск, без записи" if request.dry_run else ""),
    )
    if import_file.columns.unknown:
        unknown = ", ".join(f"«{title}»" for title in import_file.columns.unknown)
        warn(app_ctx, f"столбцы {unknown} не распознаны и пропущены")
    with app_ctx.session_factory.begin() as session:
        agent = resolve_current_agent(
            session, flag_inn=request.agent_inn, configured_inn=app_ctx.settings.agent_inn
        )
    rejected_file = None
    if request.errors_out:
        stream = open_for_writing(
            "--errors-out", request.errors_out, encoding=csv_file.output_encoding
        )
        rejected_file = RejectedRowsFile(stream, import_file.columns, csv_file.delimiter)
    # Output starts only once nothing can fail for want of a file or an agent.
    report: _Report = (
        _JsonReport(app_ctx, import_file, request) if request.as_json else _TableReport(app_ctx)
    )
    options = ImportOptions(
        on_existing=OnExisting(request.on_existing),
        invite=request.invite,
        dry_run=request.dry_run,
        check_deliverability=request.check_deliverability or app_ctx.settings.check_deliverability,
        batch_size=request.batch_size,
    )
    summary = _run(app_ctx, request, import_file, agent, options, report, rejected_file)
    delivery = None
    if summary.queued and not request.dry_run:
        from bankon_cli.services.outbox import deliver

        delivery = deliver(
            app_ctx.session_factory, app_ctx.mail_backend(), app_ctx.settings, app_ctx.clock
        )
    report.finish(summary, delivery)
    _final_status(app_ctx, request, summary, delivery)


def _run(
    app_ctx: AppContext,
    request: ImportRequest,
    import_file: ImportFile,
    agent: Agent,
    options: ImportOptions,
    report: _Report,
    rejected_file: RejectedRowsFile | None,
) -> ImportSummary:
    """The import itself, with a progress bar on a terminal and a word on Ctrl-C."""
    from bankon_cli.cli.output import info
    from bankon_cli.services.importing import run_import

    written = [0]

    def count_written(_batches: int) -> None:
        written[0] = report.written

    try:
        with _progress(app_ctx, import_file.csv_file.size) as on_progress:
            summary = run_import(
                app_ctx.session_factory,
                import_file,
                agent=agent,
                settings=app_ctx.settings,
                clock=app_ctx.clock,
                options=options,
                on_row=report.row,
                rejected_sink=rejected_file,
                on_progress=on_progress,
                after_batch=count_written,
            )
    except KeyboardInterrupt:
        if not request.dry_run:
            info(
                app_ctx,
                f"Импорт прерван. Записаны только целые пакеты ({written[0]} клиентов); "
                "запустите ту же команду снова — загруженные строки окажутся «без изменений»",
            )
        raise
    finally:
        if rejected_file is not None:
            rejected_file.close()
    return summary


def open_for_writing(option: str, path: str, *, encoding: str) -> IO[str]:
    """Open an output file, or say in Russian why it cannot be (before anything is written)."""
    import errno

    from bankon_cli.errors import InvalidInput

    reasons = {
        errno.ENOENT: "нет такой папки",
        errno.EACCES: "нет прав на запись",
        errno.EISDIR: "это папка",
        errno.ENOSPC: "нет места на диске",
    }
    try:
        return open(path, "w", encoding=encoding, errors="replace", newline="")
    except OSError as error:
        reason = reasons.get(error.errno or 0, error.strerror or type(error).__name__)
        shown = path.removesuffix(".part")
        raise InvalidInput(option, f"не удалось создать файл {shown}: {reason}") from None


def _final_status(
    app_ctx: AppContext,
    request: ImportRequest,
    summary: ImportSummary,
    delivery: DeliveryReport | None,
) -> None:
    from bankon_cli.cli.output import info
    from bankon_cli.errors import BankonError, DeliveryFailed, ExitStatus
    from bankon_cli.services.import_rows import RowStatus

    rejected = summary.counts[RowStatus.REJECTED]
    if request.errors_out and rejected:
        info(
            app_ctx,
            f"Отклонённые строки записаны в {request.errors_out}: "
            "исправьте их и загрузите этот файл снова",
        )
    if delivery is not None and delivery.sent:
        info(app_ctx, f"Приглашений отправлено: {delivery.sent}")
    if delivery is not None and delivery.failed:
        raise DeliveryFailed(
            f"клиенты сохранены, но {len(delivery.failed)} приглашений не отправлено "
            f"({delivery.failed[0].error}); письма остались в очереди, повторить: bankon mail send"
        )
    if rejected:
        hint = "" if request.errors_out else "; список для исправления: --errors-out ФАЙЛ"
        raise BankonError(
            f"отклонено строк: {rejected} из {summary.total}{hint}", ExitStatus.PARTIAL
        )


class _Report:
    written = 0

    def row(self, outcome: RowOutcome) -> None:
        raise NotImplementedError

    def finish(self, summary: ImportSummary, delivery: DeliveryReport | None) -> None:
        raise NotImplementedError

    def count(self, outcome: RowOutcome) -> None:
        if outcome.status.value in ("created", "updated"):
            self.written += 1


class _JsonReport(_Report):
    """Streams `rows` as they come, so a file of any size needs no list in memory."""

    def __init__(
        self, app_ctx: AppContext, import_file: ImportFile, request: ImportRequest
    ) -> None:
        import json  # here, not at start-up: every command imports this module for its enum

        self.out = app_ctx.stdout
        csv_file = import_file.csv_file
        head = {
            "file": csv_file.name,
            "encoding": csv_file.encoding,
            "delimiter": csv_file.delimiter,
            "dry_run": request.dry_run,
            "on_existing": request.on_existing,
            "unknown_columns": import_file.columns.unknown,
        }
        self.out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        self.first = True

    def row(self, outcome: RowOutcome) -> None:
        import json

        self.count(outcome)
        self.out.write(
            ("\n  " if self.first else ",\n  ") + json.dumps(outcome.as_json(), ensure_ascii=False)
        )
        self.first = False

    def finish(self, summary: ImportSummary, delivery: DeliveryReport | None) -> None:
        import json

        mail = {
            "queued": summary.queued,
            "sent": delivery.sent if delivery else 0,
            "failed": len(delivery.failed) if delivery else 0,
        }
        tail = {"counts": summary.counts_json(), "mail": mail}
        self.out.write("\n], " + json.dumps(tail, ensure_ascii=False)[1:] + "\n")
        self.out.flush()


class _TableReport(_Report):
    """Rows worth a look (not created, not unchanged) in a table, then the counts."""

    def __init__(self, app_ctx: AppContext) -> None:
        self.app_ctx = app_ctx
        self.shown: list[RowOutcome] = []
        self.hidden = 0
        self.warnings: list[str] = []

    def row(self, outcome: RowOutcome) -> None:
        self.count(outcome)
        for warning in outcome.warnings:
            if len(self.warnings) < SHOWN_ROWS:
                self.warnings.append(f"строка {outcome.line}: {warning}")
        if outcome.status.value in ("created", "unchanged"):
            return
        if len(self.shown) < SHOWN_ROWS:
            self.shown.append(outcome)
        else:
            self.hidden += 1

    def finish(self, summary: ImportSummary, delivery: DeliveryReport | None) -> None:
        from rich.text import Text

        from bankon_cli.cli.output import plain_table, print_line, print_table, warn
        from bankon_cli.services.import_rows import RowStatus

        for warning in self.warnings:
            warn(self.app_ctx, warning)
        if self.shown:
            table = plain_table()
            for header in ("Строка", "ИНН", "Итог", "Причина"):
                table.add_column(header, no_wrap=header != "Причина")
            for outcome in self.shown:
                reason = outcome.reason_text or outcome.message
                table.add_row(
                    str(outcome.line), Text(outcome.inn), outcome.status.label, Text(reason)
                )
            print_table(self.app_ctx, table)
            if self.hidden:
                print_line(
                    self.app_ctx, f"… и ещё строк: {self.hidden} (все строки: --format json)"
                )
        totals = plain_table()
        totals.add_column("Итог")
        totals.add_column("Строк", justify="right")
        for status in RowStatus:
            totals.add_row(status.label, str(summary.counts[status]))
        totals.add_row("Всего", str(summary.total))
        if summary.queued:
            label = (
                "Приглашений будет поставлено в очередь"
                if delivery is None
                else "Приглашений в очереди"
            )
            totals.add_row(label, str(summary.queued))
        print_table(self.app_ctx, totals)


@contextmanager
def _progress(app_ctx: AppContext, total_bytes: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal; nothing at all in a pipe or cron."""
    if not app_ctx.stderr_is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from bankon_cli.cli.output import stderr_console

    progress = Progress(
        TextColumn("Импорт"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("строк: {task.fields[rows]}"),
        TimeRemainingColumn(),
        console=stderr_console(app_ctx),
        transient=True,
    )
    task = progress.add_task("import", total=max(total_bytes, 1), rows=0)

    def update(rows: int, bytes_read: int) -> None:
        progress.update(task, completed=bytes_read, rows=rows)

    with progress:
        yield update
