"""`bankon invite …`: resend invitations, cron reminders, the invitation list, pausing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from bankon_cli.cli.mail import LimitOption, WaitOption
from bankon_cli.cli.options import (
    InnArgument,
    ListFormatOption,
    ObjectFormat,
    ObjectFormatOption,
    OutputFormat,
)
from bankon_cli.context import AppContext
from bankon_cli.errors import InvalidInput

if TYPE_CHECKING:
    from bankon_cli.services.invitations import ResendReport
    from bankon_cli.services.locks import Lease
    from bankon_cli.services.reminders import RemindReport

invite_app = typer.Typer(
    help="Приглашения клиентов: повторная отправка, напоминания, список.", no_args_is_help=True
)


def _check_resend_options(
    app_ctx: AppContext,
    inns: list[str],
    all_pending: bool,
    older_than: str | None,
    show_link: bool,
    output_format: ObjectFormat,
) -> None:
    if not inns and not all_pending:
        raise InvalidInput("ИНН", "укажите ИНН клиентов или --all-pending")
    if inns and all_pending:
        raise InvalidInput("--all-pending", "не сочетается со списком ИНН")
    if older_than is not None and not all_pending:
        raise InvalidInput("--older-than", "действует только вместе с --all-pending")
    if show_link and output_format is ObjectFormat.JSON:
        raise InvalidInput("--show-link", "не сочетается с --format json")
    if show_link and not app_ctx.stdout.isatty():
        raise InvalidInput(
            "--show-link",
            "ссылка показывается только в терминале, а вывод перенаправлен: ссылке не место "
            "в файлах, журналах и письмах cron",
        )


@invite_app.command(
    "resend",
    help="Отправить новое приглашение; все прежние ссылки клиента сразу перестают действовать.",
)
def invite_resend(
    ctx: typer.Context,
    inns: Annotated[
        list[str] | None, typer.Argument(metavar="ИНН", help="ИНН клиентов.", show_default=False)
    ] = None,
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="Всем клиентам «На рассмотрении».")
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="С --all-pending: только отправленным раньше, чем столько назад (3d, 12h).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Отправить, не дожидаясь invite.resend_cooldown.")
    ] = False,
    show_link: Annotated[
        bool, typer.Option("--show-link", help="Показать новую ссылку в терминале оператора.")
    ] = False,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Send a new invitation; every earlier link of the client stops working at once."""
    from bankon_cli.cli.mail import report_delivery
    from bankon_cli.domain.durations import parse_duration
    from bankon_cli.services.invitations import resend_all_pending, resend_invitations
    from bankon_cli.services.outbox import deliver

    app_ctx: AppContext = ctx.obj
    _check_resend_options(app_ctx, inns or [], all_pending, older_than, show_link, output_format)
    try:
        age = parse_duration(older_than) if older_than is not None else None
    except ValueError as error:
        raise InvalidInput("--older-than", str(error)) from None
    settings, now = app_ctx.settings, app_ctx.clock()
    with app_ctx.session_factory.begin() as session:
        if all_pending:
            report = resend_all_pending(
                session,
                settings=settings,
                now=now,
                older_than=age,
                force=force,
                show_link=show_link,
            )
        else:
            report = resend_invitations(
                session, inns or [], settings=settings, now=now, force=force, show_link=show_link
            )
    delivery = deliver(
        app_ctx.session_factory,
        app_ctx.mail_backend(),
        settings,
        app_ctx.clock,
        message_ids=report.outbox_ids,
    )
    _print_resend(app_ctx, report, output_format, delivery.as_json())
    report_delivery(app_ctx, delivery)


def _print_resend(
    app_ctx: AppContext, report: ResendReport, output_format: ObjectFormat, delivery: object
) -> None:
    from bankon_cli.cli.output import info, print_json, print_line, warn

    if output_format is ObjectFormat.JSON:
        print_json(
            app_ctx,
            {
                "resent": [item.as_json() for item in report.resent],
                "skipped": [item.as_json() for item in report.skipped],
                "delivery": delivery,
            },
        )
        return
    for item in report.resent:
        info(
            app_ctx,
            f"Приглашение отправлено повторно: ИНН {item.inn} «{item.short_name}», "
            f"{item.email}; прежних отозвано: {item.revoked}",
        )
        if item.link is not None:
            print_line(app_ctx, f"{item.inn}\t{item.link}")
    for skipped in report.skipped:
        warn(app_ctx, f"ИНН {skipped.inn} «{skipped.short_name}» пропущен: {skipped.reason}")
    info(app_ctx, f"Отправлено приглашений: {len(report.resent)}; пропущено: {len(report.skipped)}")


@invite_app.command(
    "remind",
    help="Напомнить клиентам «На рассмотрении» (для cron); просроченные пометить истёкшими.",
)
def invite_remind(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Только показать, кому ушли бы напоминания.")
    ] = False,
    limit: LimitOption = None,
    wait: WaitOption = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Remind pending clients (for cron); mark invitations past expiry as expired."""
    from bankon_cli.cli.mail import report_delivery, run_exclusively
    from bankon_cli.services.reminders import run_reminders

    app_ctx: AppContext = ctx.obj

    def work(lease: Lease | None) -> RemindReport:
        return run_reminders(
            app_ctx.session_factory,
            app_ctx.mail_backend(),
            app_ctx.settings,
            app_ctx.clock,
            dry_run=dry_run,
            limit=limit,
            between_batches=lease.renew if lease is not None else None,
        )

    report = work(None) if dry_run else run_exclusively(app_ctx, "invite-remind", wait, work)
    if report is None:
        return
    _print_remind(app_ctx, report, output_format)
    report_delivery(app_ctx, report.delivery)


def _print_remind(app_ctx: AppContext, report: RemindReport, output_format: ObjectFormat) -> None:
    from bankon_cli.cli.output import info, print_json, print_line
    from bankon_cli.services.invites import local_time_text

    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, report.as_json())
        return
    for item in report.expired:
        when = local_time_text(item.expires_at, app_ctx.settings)
        verb = "истечёт" if report.dry_run else "истекло"
        info(
            app_ctx,
            f"Приглашение {verb}: ИНН {item.inn} «{item.short_name}», срок {when}; "
            f"отправить заново: bankon invite resend {item.inn}",
        )
    if report.dry_run:
        for due in report.reminded:
            info(
                app_ctx,
                f"Напоминание: ИНН {due.inn} «{due.short_name}», {due.email}, "
                f"напоминаний было: {due.reminders_sent}",
            )
    quiet = (
        f"; тихие часы ({report.quiet_hours}): напоминания не отправлялись"
        if (report.quiet_hours)
        else ""
    )
    if report.dry_run:
        print_line(
            app_ctx,
            f"Пробный запуск: напоминаний к отправке: {len(report.reminded)}; "
            f"истечёт приглашений: {len(report.expired)}{quiet}",
        )
        return
    delivery = report.delivery
    print_line(
        app_ctx,
        f"Напоминаний отправлено: {delivery.sent}; ожидают повтора: "
        f"{delivery.retrying}; не доставлено: {delivery.permanently_failed}; "
        f"истекло приглашений: {len(report.expired)}{quiet}",
    )


@invite_app.command("list", help="Список приглашений, новые первыми: отправки и напоминания.")
def invite_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Только sent, expired, used или revoked.", show_default=False
        ),
    ] = None,
    output_format: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """List invitations, newest first, with sendings and reminders."""
    from bankon_cli.cli.output import print_csv, print_json
    from bankon_cli.services.invitations import INVITATION_JSON_KEYS, list_invitations

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        rows = list_invitations(session, status=status, now=app_ctx.clock())
    if output_format is OutputFormat.JSON:
        print_json(app_ctx, {"total": len(rows), "invitations": [r.as_json() for r in rows]})
    elif output_format is OutputFormat.CSV:
        keys = INVITATION_JSON_KEYS
        print_csv(app_ctx, keys, ([r.as_json()[k] for k in keys] for r in rows))
    else:
        _render_invitations(app_ctx, rows)


def _render_invitations(app_ctx: AppContext, rows: Sequence[object]) -> None:
    from rich.text import Text

    from bankon_cli.cli.output import local_time, plain_table, print_line, print_table
    from bankon_cli.services.invitations import InvitationRow

    print_line(app_ctx, f"Всего приглашений: {len(rows)}")
    if not rows:
        print_line(app_ctx, "Нет данных для отображения")
        return
    table = plain_table()
    headers = (
        "ИНН",
        "Краткое наименование организации",
        "Email",
        "Статус",
        "Отправлено",
        "Действует до",
        "Отправок",
        "Напоминаний",
    )
    for header in headers:
        table.add_column(header, no_wrap=header in ("ИНН", "Email"))
    for row in rows:
        assert isinstance(row, InvitationRow)
        reminders = (
            f"{row.reminders_sent} (пауза)" if row.reminders_paused else str(row.reminders_sent)
        )
        table.add_row(
            row.inn,
            Text(row.short_name),
            Text(row.email),
            row.status_label,
            local_time(row.last_sent_at),
            local_time(row.expires_at),
            str(row.times_sent),
            reminders,
        )
    print_table(app_ctx, table)


def _set_paused(ctx: typer.Context, inn: str, paused: bool) -> None:
    from bankon_cli.cli.output import info
    from bankon_cli.services.invitations import set_reminders_paused

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        client, changed = set_reminders_paused(session, inn, paused=paused, now=app_ctx.clock())
        name, client_inn = client.short_name, client.inn
    state = "приостановлены" if paused else "возобновлены"
    already = "" if changed else " (уже были)"
    info(app_ctx, f"Напоминания {state}{already}: ИНН {client_inn} «{name}»")


@invite_app.command(
    "pause", help="Приостановить напоминания клиенту (повторная отправка остаётся)."
)
def invite_pause(ctx: typer.Context, inn: InnArgument) -> None:
    """Suspend reminders for one client (resend still works)."""
    _set_paused(ctx, inn, True)


@invite_app.command("unpause", help="Возобновить напоминания клиенту.")
def invite_unpause(ctx: typer.Context, inn: InnArgument) -> None:
    """Resume reminders for one client."""
    _set_paused(ctx, inn, False)
