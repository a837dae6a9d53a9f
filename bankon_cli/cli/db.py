"""`bankon db …`: schema migrations of the configured database."""

from __future__ import annotations

import typer

from bankon_cli.cli.options import ObjectFormat, ObjectFormatOption
from bankon_cli.context import AppContext

db_app = typer.Typer(help="База данных: миграции схемы.", no_args_is_help=True)


def _where(app_ctx: AppContext) -> str:
    from sqlalchemy.engine import make_url

    from bankon_cli.db.session import normalise_url

    return make_url(normalise_url(app_ctx.settings.effective_database_url)).render_as_string(
        hide_password=True
    )


@db_app.command("upgrade", help="Создать базу данных или обновить её схему до последней ревизии.")
def db_upgrade(ctx: typer.Context) -> None:
    """Create the database or upgrade its schema to the newest revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from bankon_cli.cli.output import info
    from bankon_cli.db.migrate import pending_revisions
    from bankon_cli.db.session import database_unreachable, upgrade_schema

    app_ctx: AppContext = ctx.obj
    try:
        pending = pending_revisions(app_ctx.engine)
        upgrade_schema(app_ctx.engine)
    except SQLAlchemyError as error:
        raise database_unreachable(error) from None
    if pending:
        info(
            app_ctx,
            f"База данных {_where(app_ctx)} обновлена: применены миграции {', '.join(pending)}",
        )
    else:
        info(app_ctx, f"База данных {_where(app_ctx)} уже в актуальном состоянии")


@db_app.command("status", help="Показать базу данных, ревизию её схемы и ожидающие миграции.")
def db_status(ctx: typer.Context, output_format: ObjectFormatOption = ObjectFormat.TABLE) -> None:
    """Show the database in use, its schema revision and pending migrations."""
    from sqlalchemy.exc import SQLAlchemyError

    from bankon_cli.cli.output import print_json, print_line
    from bankon_cli.db.migrate import head_revision, pending_revisions
    from bankon_cli.db.session import current_revision, database_unreachable

    app_ctx: AppContext = ctx.obj
    try:
        current = current_revision(app_ctx.engine)
        pending = pending_revisions(app_ctx.engine)
    except SQLAlchemyError as error:
        raise database_unreachable(error) from None
    data = {
        "database": _where(app_ctx),
        "current_revision": current,
        "head_revision": head_revision(),
        "pending": pending,
        "up_to_date": not pending,
    }
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, data)
        return
    print_line(app_ctx, f"База данных: {data['database']}")
    print_line(app_ctx, f"Текущая ревизия схемы: {current or 'нет (база не создана)'}")
    print_line(app_ctx, f"Последняя ревизия: {data['head_revision']}")
    print_line(
        app_ctx,
        "Схема актуальна"
        if not pending
        else f"Ожидают применения: {', '.join(pending)} (bankon db upgrade)",
    )
