"""Output for people (rich tables, Russian messages) and for programs (JSON, CSV)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bankon_cli.context import AppContext

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# Piped output must never cut an INN or an email: render as wide as the content needs
# (tables are as wide as their cells, never padded to this width).
PIPE_WIDTH = 100_000


def stdout_console(ctx: AppContext) -> Console:
    from rich.console import Console

    terminal = ctx.stdout.isatty() if hasattr(ctx.stdout, "isatty") else False
    return Console(
        file=ctx.stdout,
        width=None if terminal else PIPE_WIDTH,
        no_color=bool(os.environ.get("NO_COLOR")) or not terminal,
        color_system="auto" if terminal else None,
        force_terminal=terminal,
        highlight=False,
        soft_wrap=not terminal,
    )


def stderr_console(ctx: AppContext) -> Console:
    from rich.console import Console

    terminal = ctx.stderr_is_terminal
    return Console(
        file=ctx.stderr,
        width=None if terminal else PIPE_WIDTH,
        no_color=bool(os.environ.get("NO_COLOR")) or not terminal,
        color_system="auto" if terminal else None,
        highlight=False,
        soft_wrap=True,
    )


def plain_table(title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        box=box.SIMPLE_HEAVY,
        show_lines=False,
        highlight=False,
        title_justify="left",
        header_style="bold cyan",  # terminals only; NO_COLOR and pipes get none
    )


def print_table(ctx: AppContext, table: Table) -> None:
    console = stdout_console(ctx)
    if console.is_terminal:
        console.print(table)
        return
    # Piped: no padding after the last cell, so `grep`, `diff` and `cut` see clean lines.
    with console.capture() as captured:
        console.print(table)
    ctx.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))


def info(ctx: AppContext, message: str) -> None:
    """A message for the person at the terminal (stderr, so stdout stays data)."""
    ctx.stderr.write(message + "\n")
    ctx.stderr.flush()


def warn(ctx: AppContext, message: str) -> None:
    ctx.stderr.write(f"Внимание: {message}\n")
    ctx.stderr.flush()


def print_line(ctx: AppContext, text: str) -> None:
    ctx.stdout.write(text + "\n")


def print_json(ctx: AppContext, data: Any) -> None:
    ctx.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    ctx.stdout.flush()


def print_csv(ctx: AppContext, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(ctx.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    ctx.stdout.flush()


def esc(text: object) -> str:
    """User text is never read as rich markup (a company may be called `[bold]`)."""
    from rich.markup import escape

    return escape("" if text is None else str(text))


def local_time(moment: Any) -> str:
    if moment is None:
        return "—"
    from datetime import datetime

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return str(moment.astimezone().strftime("%d.%m.%Y %H:%M"))
