"""Annotated parameter aliases defined once and shared by every command."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class ObjectFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


ListFormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="Формат вывода: table (для людей), json или csv (для программ)."
    ),
]
ObjectFormatOption = Annotated[
    ObjectFormat,
    typer.Option(
        "--format", "-f", help="Формат вывода: table (для людей) или json (для программ)."
    ),
]
AgentOption = Annotated[
    str | None,
    typer.Option(
        "--agent", help="ИНН агента, от имени которого работает оператор.", show_default=False
    ),
]
InnArgument = Annotated[
    str, typer.Argument(help="ИНН клиента (10 или 12 цифр).", show_default=False)
]
StatusFilterOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="СТАТУС",
        help="Статус: pending («На рассмотрении») или attached («Закреплен»).",
        show_default=False,
    ),
]
RegionFilterOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="РЕГИОН",
        help="Регион: код (77) или название (Москва).",
        show_default=False,
    ),
]
AgentFilterOption = Annotated[
    str | None,
    typer.Option(
        "--agent",
        metavar="ИНН",
        help="ИНН агента: только его клиенты и клиенты его субагентов.",
        show_default=False,
    ),
]
