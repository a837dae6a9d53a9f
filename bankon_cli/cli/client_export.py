"""Running `client export`: the filtered client table as CSV for Excel (or JSON), streamed."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import IO, TYPE_CHECKING

from bankon_cli.context import AppContext

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bankon_cli.services.listing import ClientQuery
    from bankon_cli.services.views import ClientRow


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def export_query(
    app_ctx: AppContext,
    *,
    search: str,
    statuses: list[str],
    region: str | None,
    agent_inn: str | None,
) -> ClientQuery:
    """The filters of `client list`, checked the same way."""
    from bankon_cli.cli.filters import region_codes_from_option, statuses_from_options
    from bankon_cli.services.agents import agent_with_subagents, find_agent
    from bankon_cli.services.clients import parse_client_inn
    from bankon_cli.services.listing import ClientQuery

    parsed = statuses_from_options(statuses)
    region_codes = region_codes_from_option(region)
    agent_ids = None
    if agent_inn:
        with app_ctx.session_factory.begin() as session:
            agent = find_agent(session, parse_client_inn(agent_inn))
            agent_ids = agent_with_subagents(session, agent)
    return ClientQuery(
        search=search, statuses=parsed, region_codes=region_codes, agent_ids=agent_ids
    )


def run_client_export(
    app_ctx: AppContext,
    *,
    output_format: ExportFormat,
    search: str,
    statuses: list[str],
    region: str | None,
    agent_inn: str | None,
    out: str | None,
) -> None:
    from bankon_cli.cli.client_import import open_for_writing
    from bankon_cli.cli.output import info
    from bankon_cli.services.exporting import EXPORT_ENCODING, iter_clients

    query = export_query(
        app_ctx, search=search, statuses=statuses, region=region, agent_inn=agent_inn
    )
    if out and os.path.isdir(out):
        from bankon_cli.errors import InvalidInput

        raise InvalidInput(
            "--out", f"{out} — это папка; укажите имя файла, например {out}/clients.csv"
        )
    partial = f"{out}.part" if out else None
    stream: IO[str]
    if partial:
        encoding = EXPORT_ENCODING if output_format is ExportFormat.CSV else "utf-8"
        stream = open_for_writing("--out", partial, encoding=encoding)
    else:
        stream = app_ctx.stdout
        if output_format is ExportFormat.CSV:
            stream.write("\ufeff")
    try:
        with app_ctx.session_factory.begin() as session:
            rows = iter_clients(session, query)
            count = _write(stream, rows, output_format)
    except BaseException:
        if partial:
            stream.close()
            os.unlink(partial)
        raise
    if partial and out:
        stream.close()
        os.replace(partial, out)
        info(app_ctx, f"Выгружено клиентов: {count} в {out}")
    else:
        stream.flush()


def _write(stream: IO[str], rows: Iterator[ClientRow], output_format: ExportFormat) -> int:
    if output_format is ExportFormat.CSV:
        from bankon_cli.services.exporting import write_export_csv

        return write_export_csv(stream, rows)
    import json  # here, not at start-up: every command imports this module for its enum

    count = 0
    stream.write("[")
    for row in rows:
        stream.write(
            ("\n  " if count == 0 else ",\n  ") + json.dumps(row.as_json(), ensure_ascii=False)
        )
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count
