"""`bankon mail …`: deliver the outbox (for cron) and show it with attempts and errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bankon_cli.cli.options import ListFormatOption, ObjectFormat, ObjectFormatOption, OutputFormat
from bankon_cli.context import AppContext

if TYPE_CHECKING:
    from bankon_cli.services.locks import Lease
    from bankon_cli.services.outbox import DeliveryReport

mail_app = typer.Typer(help="Почта: доставка очереди писем и её просмотр.", no_args_is_help=True)

T = TypeVar("T")

LimitOption = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="Не больше N писем за запуск.", show_default=False),
]
WaitOption = Annotated[
    int | None,
    typer.Option(
        "--wait",
        min=0,
        help="Если идёт другой запуск, ждать его до N секунд (иначе выйти сразу с кодом 0); "
        "не дождались — код 75.",
        show_default=False,
    ),
]


def run_exclusively(
    app_ctx: AppContext, lock_name: str, wait: int | None, work: Callable[[Lease], T]
) -> T | None:
    """Run `work` holding the named lease; None when another run holds it (exit 0 quietly)."""
    from bankon_cli.cli.output import info
    from bankon_cli.services.locks import acquire, holding

    lease = acquire(app_ctx.session_factory, app_ctx.clock, lock_name, wait_seconds=wait)
    if lease is None:
        if app_ctx.stderr_is_terminal:
            info(app_ctx, f"Другой запуск уже выполняет «{lock_name}»; этот завершён.")
        return None
    with holding(lease):
        return work(lease)


def report_delivery(app_ctx: AppContext, report: DeliveryReport) -> None:
    """Name each failed message on stderr and raise for the exit code cron should see.

    Permanent failures (or a configuration the server refuses) exit 1; failures that a later
    run may fix (server down, 4xx) exit 75; everything delivered exits 0.
    """
    from bankon_cli.cli.output import warn
    from bankon_cli.errors import DeliveryFailed, TemporaryFailure

    for failure in report.failed:
        if report.connection_error is None or failure.error != report.connection_error:
            what = "не доставлено" if failure.permanent else "будет повторено позже"
            warn(app_ctx, f"письмо №{failure.id} для {failure.recipient} {what}: {failure.error}")
    if report.connection_error is not None:
        message = (
            f"{report.connection_error}. Писем осталось в очереди: {report.retrying}; "
            "повторить: bankon mail send"
        )
        if report.connection_error_temporary:
            raise TemporaryFailure(message)
        raise DeliveryFailed(message)
    if report.permanently_failed:
        raise DeliveryFailed(
            f"не доставлено писем: {report.permanently_failed} (подробности: "
            "bankon mail list --status failed)"
        )
    if report.retrying:
        raise TemporaryFailure(
            f"писем ожидают повтора: {report.retrying}; следующий bankon mail send повторит"
        )


def delivery_summary(report: DeliveryReport) -> str:
    return (
        f"Отправлено: {report.sent}; ожидают повтора: {report.retrying}; "
        f"не доставлено: {report.permanently_failed}"
    )


@mail_app.command(
    "send",
    help="Доставить письма из очереди, которым пришло время (повторы после сбоев — с паузами).",
)
def mail_send(
    ctx: typer.Context,
    limit: LimitOption = None,
    wait: WaitOption = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Deliver queued messages that are due (retries after failures, with backoff)."""
    from bankon_cli.cli.output import print_json, print_line
    from bankon_cli.services.outbox import deliver
    from bankon_cli.services.reminders import kinds_held_now

    app_ctx: AppContext = ctx.obj
    held = kinds_held_now(app_ctx.settings, app_ctx.clock())

    def work(lease: Lease) -> DeliveryReport:
        return deliver(
            app_ctx.session_factory,
            app_ctx.mail_backend(),
            app_ctx.settings,
            app_ctx.clock,
            limit=limit,
            between_batches=lease.renew,
            held_kinds=held,
        )

    report = run_exclusively(app_ctx, "mail-send", wait, work)
    if report is None:
        return
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, report.as_json())
    else:
        print_line(app_ctx, delivery_summary(report))
    report_delivery(app_ctx, report)


@mail_app.command("list", help="Показать очередь писем, новые первыми: попытки и последняя ошибка.")
def mail_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Только письма в статусе queued, sending, sent или failed.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Сколько последних писем.")] = 50,
    output_format: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """Show the outbox, newest first, with attempts and the last error."""
    from bankon_cli.cli.output import print_csv, print_json
    from bankon_cli.services.outbox import OUTBOX_JSON_KEYS, list_outbox

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        rows = list_outbox(session, status=status, limit=limit)
    if output_format is OutputFormat.JSON:
        print_json(app_ctx, {"total": len(rows), "messages": [row.as_json() for row in rows]})
    elif output_format is OutputFormat.CSV:
        print_csv(
            app_ctx,
            OUTBOX_JSON_KEYS,
            ([row.as_json()[k] for k in OUTBOX_JSON_KEYS] for row in rows),
        )
    else:
        _render_outbox(app_ctx, rows)


def _render_outbox(app_ctx: AppContext, rows: Sequence[object]) -> None:
    from rich.text import Text

    from bankon_cli.cli.output import local_time, plain_table, print_line, print_table
    from bankon_cli.services.outbox import OutboxRow

    if not rows:
        print_line(app_ctx, "Нет данных для отображения")
        return
    table = plain_table()
    for header in ("№", "Получатель", "ИНН", "Статус", "Попыток", "Создано", "Последняя ошибка"):
        table.add_column(header, no_wrap=header in ("№", "ИНН", "Попыток"))
    for row in rows:
        assert isinstance(row, OutboxRow)
        table.add_row(
            str(row.id),
            Text(row.recipient_email),
            row.client_inn or "—",
            row.status_label,
            str(row.attempts),
            local_time(row.created_at),
            Text(row.last_error or "—"),
        )
    print_table(app_ctx, table)
