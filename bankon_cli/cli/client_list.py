"""Running `client list`: parse filters, query one page, render it as the portal's table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bankon_cli.cli.options import OutputFormat
from bankon_cli.errors import InvalidInput

if TYPE_CHECKING:
    from bankon_cli.context import AppContext

HEADERS = (
    "Краткое наименование организации",
    "ИНН",
    "Контакты",
    "Регион",
    "Акт. заявки",
    "Агент",
    "Статус клиента",
)


def run_client_list(
    app_ctx: AppContext,
    *,
    search: str,
    statuses: list[str],
    region: str | None,
    agent_inn: str | None,
    sort: str,
    page: int,
    per_page: int,
    output_format: OutputFormat,
) -> None:
    from bankon_cli.cli.filters import region_codes_from_option, statuses_from_options
    from bankon_cli.services.listing import PAGE_SIZES, SORT_KEYS, ClientQuery, list_clients

    if per_page not in PAGE_SIZES:
        raise InvalidInput("--per-page", f"допустимо 10, 25 или 50, а указано {per_page}")
    sort_key = sort.lstrip("-")
    if sort_key not in SORT_KEYS:
        raise InvalidInput(
            "--sort", f"«{sort}» — допустимо: {', '.join(SORT_KEYS)} (с «-» — по убыванию)"
        )
    parsed = statuses_from_options(statuses)
    region_codes = region_codes_from_option(region)
    with app_ctx.session_factory.begin() as session:
        agent_ids = None
        if agent_inn:
            # Only here: agents and INN checks pull in the ORM models and python-stdnum.
            from bankon_cli.services.agents import (
                agent_with_subagents,
                find_agent,
                parse_agent_inn,
            )

            agent_ids = agent_with_subagents(
                session, find_agent(session, parse_agent_inn(agent_inn, "--agent"))
            )
        result = list_clients(
            session,
            ClientQuery(
                search=search,
                statuses=parsed,
                region_codes=region_codes,
                agent_ids=agent_ids,
                sort=sort_key,
                descending=sort.startswith("-"),
                page=page,
                per_page=per_page,
            ),
        )
    if result.total and page > result.pages:
        raise InvalidInput("--page", f"страницы {page} нет, всего страниц: {result.pages}")
    if output_format is OutputFormat.JSON:
        from bankon_cli.cli.output import print_json

        print_json(app_ctx, result.as_json())
    elif output_format is OutputFormat.CSV:
        from bankon_cli.cli.output import print_csv
        from bankon_cli.services.views import CLIENT_JSON_KEYS

        print_csv(
            app_ctx,
            CLIENT_JSON_KEYS,
            ([row.as_json()[key] for key in CLIENT_JSON_KEYS] for row in result.clients),
        )
    else:
        render_client_page(app_ctx, result)


def render_client_page(app_ctx: AppContext, result: object) -> None:
    from rich.text import Text

    from bankon_cli.cli.output import plain_table, print_line, print_table
    from bankon_cli.services.listing import ClientPage

    assert isinstance(result, ClientPage)
    print_line(app_ctx, f"Всего клиентов: {result.total}")
    if not result.clients:
        print_line(app_ctx, "Нет данных для отображения")
        return
    table = plain_table()
    for header in HEADERS:
        no_wrap = header in ("ИНН", "Акт. заявки", "Статус клиента")
        table.add_column(
            header, no_wrap=no_wrap, justify="right" if header == "Акт. заявки" else "left"
        )
    for row in result.clients:
        applications = "-" if row.active_applications is None else str(row.active_applications)
        table.add_row(
            Text(row.short_name),
            row.inn,
            Text(f"{row.contact_name}, {row.email}"),
            row.region,
            applications,
            Text(row.agent_name),
            row.status_label,
        )
    print_table(app_ctx, table)
    print_line(app_ctx, f"Страница {result.page} из {result.pages}")
