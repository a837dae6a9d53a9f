"""`bankon client …`: add, list and show the agent's clients."""

from __future__ import annotations

from typing import Annotated

import typer

from bankon_cli.cli.client_export import ExportFormat
from bankon_cli.cli.client_import import OnExistingChoice
from bankon_cli.cli.options import (
    AgentFilterOption,
    AgentOption,
    InnArgument,
    ListFormatOption,
    ObjectFormat,
    ObjectFormatOption,
    OutputFormat,
    RegionFilterOption,
    StatusFilterOption,
)
from bankon_cli.context import AppContext

client_app = typer.Typer(help="Клиенты агента: добавление, список, карточка.", no_args_is_help=True)


@client_app.command("add", help="Добавить клиента и отправить ему приглашение на портал.")
def client_add(
    ctx: typer.Context,
    inn: Annotated[
        str | None, typer.Option("--inn", help="ИНН компании (10 или 12 цифр).", show_default=False)
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="ФИО контактного лица.", show_default=False)
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Наименование компании.", show_default=False)
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Email для приглашения.", show_default=False)
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Телефон (необязательно).", show_default=False)
    ] = None,
    agent: AgentOption = None,
    no_invite: Annotated[
        bool, typer.Option("--no-invite", help="Не отправлять приглашение.")
    ] = False,
    check_deliverability: Annotated[
        bool, typer.Option("--check-deliverability", help="Проверить домен email через DNS.")
    ] = False,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Add a client company and send it the invitation to the portal."""
    from bankon_cli.cli.client_add import run_client_add

    run_client_add(
        ctx.obj,
        values={"inn": inn, "contact": contact, "name": name, "email": email, "phone": phone},
        agent_inn=agent,
        invite=not no_invite,
        check_deliverability=check_deliverability,
        as_json=output_format is ObjectFormat.JSON,
    )


@client_app.command("list", help="Таблица клиентов: поиск, фильтры, сортировка и страницы.")
def client_list(
    ctx: typer.Context,
    search: Annotated[
        str, typer.Option("--search", "-s", help="Поиск по наименованию, ИНН, контакту и email.")
    ] = "",
    status: StatusFilterOption = None,
    region: RegionFilterOption = None,
    agent: AgentFilterOption = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="Сортировка: created, name, inn, region, status; «-» впереди — по убыванию.",
        ),
    ] = "created",
    page: Annotated[int, typer.Option("--page", help="Номер страницы.", min=1)] = 1,
    per_page: Annotated[
        int, typer.Option("--per-page", help="Клиентов на странице: 10, 25 или 50.")
    ] = 10,
    output_format: ListFormatOption = OutputFormat.TABLE,
) -> None:
    """Show the client table: search, filters, sorting and pages."""
    from bankon_cli.cli.client_list import run_client_list

    run_client_list(
        ctx.obj,
        search=search,
        statuses=status or [],
        region=region,
        agent_inn=agent,
        sort=sort,
        page=page,
        per_page=per_page,
        output_format=output_format,
    )


@client_app.command("show", help="Карточка клиента: все поля, приглашение и история.")
def client_show(
    ctx: typer.Context, inn: InnArgument, output_format: ObjectFormatOption = ObjectFormat.TABLE
) -> None:
    """Show every stored field of a client, its invitation and its history."""
    from bankon_cli.cli.client_show import render_client_detail
    from bankon_cli.cli.output import print_json
    from bankon_cli.services.clients import show_client

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        detail = show_client(session, inn)
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, detail.as_json())
    else:
        render_client_detail(app_ctx, detail)


@client_app.command("import", help="Загрузить клиентов из CSV-файла, сохранённого в Excel.")
def client_import(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="CSV-файл из Excel; «-» — читать стандартный ввод.", show_default=False
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Только проверить и показать итог: ничего не записывать."),
    ] = False,
    encoding: Annotated[
        str, typer.Option("--encoding", help="Кодировка: auto, utf-8, cp1251, …")
    ] = "auto",
    delimiter: Annotated[
        str, typer.Option("--delimiter", help="Разделитель: auto, «;», «,» или tab.")
    ] = "auto",
    no_invite: Annotated[
        bool, typer.Option("--no-invite", help="Не отправлять приглашения новым клиентам.")
    ] = False,
    on_existing: Annotated[
        OnExistingChoice,
        typer.Option(
            "--on-existing",
            help="Клиент уже есть: skip — пропустить, update — обновить, error — отклонить строку.",
        ),
    ] = OnExistingChoice.SKIP,
    errors_out: Annotated[
        str | None,
        typer.Option(
            "--errors-out",
            help="Записать отклонённые строки с причиной в этот CSV-файл.",
            show_default=False,
        ),
    ] = None,
    check_deliverability: Annotated[
        bool, typer.Option("--check-deliverability", help="Проверить домены email через DNS.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", help="Строк в одной транзакции.", min=1, max=50_000),
    ] = 5000,
    agent: AgentOption = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Import clients from a CSV file exported from Excel."""
    from bankon_cli.cli.client_import import ImportRequest, run_client_import

    run_client_import(
        ctx.obj,
        ImportRequest(
            path=file,
            dry_run=dry_run,
            encoding=encoding,
            delimiter=delimiter,
            invite=not no_invite,
            on_existing=on_existing.value,
            errors_out=errors_out,
            as_json=output_format is ObjectFormat.JSON,
            agent_inn=agent,
            check_deliverability=check_deliverability,
            batch_size=batch_size,
        ),
    )


@client_app.command(
    "export", help="Выгрузить клиентов в CSV для Excel (UTF-8 с BOM, «;») или в JSON."
)
def client_export(
    ctx: typer.Context,
    output_format: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="csv (для Excel и импорта) или json."),
    ] = ExportFormat.CSV,
    search: Annotated[
        str, typer.Option("--search", "-s", help="Поиск по наименованию, ИНН, контакту и email.")
    ] = "",
    status: StatusFilterOption = None,
    region: RegionFilterOption = None,
    agent: AgentFilterOption = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out", "-o", help="Записать в файл вместо стандартного вывода.", show_default=False
        ),
    ] = None,
) -> None:
    """Export clients to CSV (UTF-8 with BOM, opens in Excel, imports back) or JSON."""
    from bankon_cli.cli.client_export import run_client_export

    run_client_export(
        ctx.obj,
        output_format=output_format,
        search=search,
        statuses=status or [],
        region=region,
        agent_inn=agent,
        out=out,
    )
