"""`bankon agent …`: agents and sub-agents the operator acts for."""

from __future__ import annotations

from typing import Annotated

import typer

from bankon_cli.cli.options import ListFormatOption, ObjectFormat, ObjectFormatOption, OutputFormat
from bankon_cli.context import AppContext

agent_app = typer.Typer(help="Агенты и субагенты («Мои агенты»).", no_args_is_help=True)


@agent_app.command("add", help="Добавить агента или, с --parent, субагента.")
def agent_add(
    ctx: typer.Context,
    inn: Annotated[str, typer.Option("--inn", help="ИНН агента.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Наименование агента.", show_default=False)],
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="ИНН головного агента (для субагента).", show_default=False),
    ] = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Add an agent, or a sub-agent with --parent."""
    from bankon_cli.cli.output import info, print_json
    from bankon_cli.services.agents import add_agent

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        view = add_agent(session, inn=inn, name=name, parent_inn=parent, now=app_ctx.clock())
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, view.as_json())
        return
    where = f" (субагент {view.parent_name})" if view.parent_name else ""
    info(app_ctx, f"Агент добавлен: {view.name}, ИНН {view.inn}{where}")


@agent_app.command("list", help="Список агентов с головными агентами и числом клиентов.")
def agent_list(ctx: typer.Context, output_format: ListFormatOption = OutputFormat.TABLE) -> None:
    """List agents with their sub-agents and number of clients."""
    from bankon_cli.cli.output import plain_table, print_csv, print_json, print_line, print_table
    from bankon_cli.services.agents import list_agents

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        agents = list_agents(session)
    if output_format is OutputFormat.JSON:
        print_json(app_ctx, {"total": len(agents), "agents": [agent.as_json() for agent in agents]})
        return
    if output_format is OutputFormat.CSV:
        print_csv(
            app_ctx,
            ["inn", "name", "parent_inn", "clients"],
            ([a.inn, a.name, a.parent_inn, a.clients] for a in agents),
        )
        return
    from rich.text import Text

    print_line(app_ctx, f"Всего агентов: {len(agents)}")
    if not agents:
        print_line(app_ctx, "Нет данных для отображения")
        return
    table = plain_table()
    table.add_column("Наименование агента")
    table.add_column("ИНН", no_wrap=True, min_width=12)
    table.add_column("Головной агент")
    table.add_column("Клиентов", justify="right")
    for agent in agents:
        table.add_row(
            Text(agent.name), agent.inn, Text(agent.parent_name or "-"), str(agent.clients)
        )
    print_table(app_ctx, table)
