"""Rendering one client's card: fields, invitation and history."""

from __future__ import annotations

from bankon_cli.cli.output import local_time, plain_table, print_line, print_table
from bankon_cli.context import AppContext
from bankon_cli.services.clients import ClientDetail


def render_client_detail(app_ctx: AppContext, detail: ClientDetail) -> None:
    from rich.text import Text

    row = detail.row
    fields = [
        ("Краткое наименование организации", row.short_name),
        ("Полное наименование", detail.full_name or "—"),
        ("ИНН", row.inn),
        ("Форма деятельности", row.legal_form_label),
        ("ОГРН / ОГРНИП", detail.ogrn or "—"),
        ("ФИО контактного лица", row.contact_name),
        ("Email", row.email),
        ("Телефон", row.phone or "—"),
        ("Регион", row.region),
        ("Агент", f"{row.agent_name} (ИНН {row.agent_inn})"),
        ("Статус клиента", row.status_label),
        ("Акт. заявки", "-" if row.active_applications is None else str(row.active_applications)),
        ("Владелец ЭЦП", detail.holder_name or "—"),
        ("Должность", detail.position or "—"),
        ("Логин", detail.login or "—"),
        ("Добавлен", local_time(row.created_at)),
        ("Зарегистрирован", local_time(detail.registered_at)),
        ("Закреплен", local_time(detail.attached_at)),
        ("Напоминания", "приостановлены" if detail.reminders_paused else "включены"),
    ]
    table = plain_table()
    table.add_column("Поле")
    table.add_column("Значение", overflow="fold")
    for label, value in fields:
        table.add_row(label, Text(str(value)))
    print_table(app_ctx, table)
    invitation = detail.invitation
    if invitation is None:
        print_line(app_ctx, "Приглашение: не отправлялось")
    else:
        sent = (
            f"отправлено {local_time(invitation['last_sent_at'])}"
            if invitation["last_sent_at"]
            else "в очереди на отправку"
        )
        print_line(
            app_ctx,
            f"Приглашение: {invitation['status_label']}; {sent}; действует до "
            f"{local_time(invitation['expires_at'])}; отправлено раз: {invitation['times_sent']}; "
            f"напоминаний: {invitation['reminders_sent']}",
        )
    history = plain_table("История")
    history.add_column("Когда", no_wrap=True)
    history.add_column("Событие")
    for event in detail.history:
        history.add_row(local_time(event["at"]), Text(event["detail"]))
    print_table(app_ctx, history)
